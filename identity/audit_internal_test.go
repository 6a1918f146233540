package identity

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/store"
)

// A broker on a store that spools audit events appends each event from
// its caller (no group-commit goroutine); on any other store it batches.
// The spooled-store case of TestAuditFailureFailsTheCall cannot tell the
// two apart (both fail the call), so this checks the wiring itself.
func TestAuditorAppendsDirectlyOnlyOnSpoolingStores(t *testing.T) {
	kr, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	for dsn, direct := range map[string]bool{
		"sqlite:" + filepath.Join(t.TempDir(), "onbehalf.db"): true,
		"sqlite::memory:": false,
	} {
		st, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		b, err := New(Config{Store: st, Keyring: kr, VerifyUserToken: func(context.Context, string) (UserClaims, error) { return UserClaims{}, nil }})
		if err != nil {
			t.Fatal(err)
		}
		if b.audit.direct != direct {
			t.Errorf("%s: auditor direct = %v, want %v", dsn[:min(len(dsn), 14)], b.audit.direct, direct)
		}
		// And the direct path stores the event at once.
		if err := b.audit.append(store.AuditEvent{Action: "probe", Outcome: "ok"}); err != nil {
			t.Fatalf("%s: append: %v", dsn, err)
		}
		evs, err := st.ListAudit(context.Background(), store.AuditFilter{Action: "probe"})
		if err != nil || len(evs) != 1 {
			t.Errorf("%s: probe events = %d, %v; want 1", dsn, len(evs), err)
		}
	}
}
