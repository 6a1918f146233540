package storetest

import (
	"testing"

	"github.com/onbehalf/onbehalf/store"
)

// RunTests runs the conformance suite. newStore must return a new, empty
// store for each call and arrange its own cleanup (t.Cleanup); it is called
// from parallel subtests.
func RunTests(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"GetVaultMissingIsErrNotFound", testGetVaultMissing},
		{"PutVaultThenGetReturnsEntry", testPutGetVault},
		{"PutVaultReplacesExistingEntry", testPutVaultReplaces},
		{"VaultCiphertextReturnedByteForByte", testVaultBytesExact},
		{"PutVaultFillsZeroUpdatedAt", testPutVaultFillsUpdatedAt},
		{"DeleteVaultIsIdempotent", testDeleteVaultIdempotent},
		{"TimesReturnedInUTCWithMicroseconds", testTimesUTC},
		{"AppendAuditAssignsIncreasingIDs", testAppendAuditIDs},
		{"ListAuditReturnsStoredFields", testListAuditFields},
		{"ListAuditFilters", testListAuditFilters},
		{"ListAuditNewestFirst", testListAuditOrder},
		{"ListAuditLimit", testListAuditLimit},
		{"AppendAuditFillsZeroTime", testAppendAuditFillsTime},
		{"CreateGetSession", testCreateGetSession},
		{"GetSessionMissingIsErrNotFound", testGetSessionMissing},
		{"CreateSessionDuplicateIsErrAlreadyExists", testCreateSessionDuplicate},
		{"UpdateSessionAppliesFn", testUpdateSession},
		{"UpdateSessionMissingIsErrNotFound", testUpdateSessionMissing},
		{"UpdateSessionFnErrorLeavesRowUnchanged", testUpdateSessionFnError},
		{"UpdateSessionRefusesIDChange", testUpdateSessionIDChange},
		{"UpdateSessionConcurrentUpdatersAllApply", testUpdateSessionConcurrent},
		{"DeleteExpiredSessionsRemovesOnlyExpired", testDeleteExpiredSessions},
		{"ConcurrentWritersAllSucceed", testConcurrentWriters},
		{"ListAuditPagesByBeforeID", testListAuditPagesByID},
		{"AppendAuditsStoresABatchInOrder", testAppendAuditsInOneCommit},
		{"ListVaultPagesInKeyOrder", testListVaultPages},
		{"SwapVaultReplacesOnlyTheExpectedCiphertext", testSwapVault},
		{"CreateGetResource", testCreateGetResource},
		{"ResourceMissingIsErrNotFound", testResourceMissing},
		{"CreateResourceDuplicateIsErrAlreadyExists", testCreateResourceDuplicate},
		{"CreateResourceFillsZeroTimes", testCreateResourceFillsTimes},
		{"ListResourcesPagesInByteOrder", testListResourcesPages},
		{"UpdateResourceAppliesFn", testUpdateResource},
		{"UpdateResourceRefusesRenameAndKeepsRowOnFnError", testUpdateResourceRefusesRename},
		{"UpdateResourceConcurrentUpdatersAllApply", testUpdateResourceConcurrent},
		{"DeleteResourceFreesTheName", testDeleteResource},
		{"DeleteExpiredResourcesRemovesOnlyExpired", testDeleteExpiredResources},
		{"LockExcludesConcurrentHolders", testLockExcludes},
		{"LockNamesAreIndependent", testLockNamesAreIndependent},
		{"LockHonoursContextAndReleases", testLockHonoursContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t))
		})
	}
}
