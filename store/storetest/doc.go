// Package storetest is the conformance suite every store.Store backend must
// pass, plus helpers that give other packages' tests a fresh store.
//
//	func TestMyBackend(t *testing.T) {
//		storetest.RunTests(t, func(t *testing.T) store.Store { return newMyStore(t) })
//	}
//
// NewSQLite returns a fresh file-backed SQLite store; NewPostgres a store in
// a fresh schema of the database named by ONBEHALF_TEST_POSTGRES (it skips
// the test when that variable is unset).
package storetest
