package identity_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
	"github.com/onbehalf/onbehalf/store/storetest"
)

// replicas starts n brokers like e's, each with its own Store opened on dsn
// and its own IdP client (so nothing in-process is shared but the keyring,
// which replicas share through the key file).
func replicas(t *testing.T, e *env, dsn string, n int) ([]*identity.Broker, []store.Store) {
	t.Helper()
	var out []*identity.Broker
	var stores []store.Store
	for range n {
		st, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("store.Open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		stores = append(stores, st)
		cfg := e.cfg
		cfg.Store = st
		cfg.OAuth = &oauth.Client{Now: e.clk.Now}
		b, err := identity.New(cfg)
		if err != nil {
			t.Fatalf("identity.New: %v", err)
		}
		out = append(out, b)
	}
	return out, stores
}

// coldStampede sends callers concurrent cold requests for one user's token
// spread over the brokers and checks they all got the one token from the
// one IdP request.
func coldStampede(t *testing.T, e *env, brokers []*identity.Broker, stores []store.Store, callers int) {
	t.Helper()
	wat := e.wat(workload, jane)
	toks := make([]string, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-start
			out, err := brokers[i%len(brokers)].GetResourceOauth2Token(context.Background(), obo(wat, providerMS, connectorScope))
			toks[i], errs[i] = out.AccessToken, err
		})
	}
	close(start)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d (replica %d): %v", i, i%len(brokers), errs[i])
		}
		if toks[i] != toks[0] {
			t.Fatalf("caller %d (replica %d) got a different token", i, i%len(brokers))
		}
	}
	e.remember(toks[0])
	if got := e.idp.TokenRequests(entra.GrantJWTBearer); got != 1 {
		t.Errorf("IdP OBO requests = %d, want exactly 1 across %d replicas and %d callers", got, len(brokers), callers)
	}
	if claims(t, toks[0])["preferred_username"] != jane {
		t.Error("the token is not jane's")
	}
	// Every call is audited once (the brokers batch concurrent events). A
	// store's ListAudit waits for its own spooled events (SQLite), so ask
	// each replica's store once before counting.
	for _, st := range stores {
		if _, err := st.ListAudit(context.Background(), store.AuditFilter{Limit: 1}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := stores[0].ListAudit(context.Background(), store.AuditFilter{Action: "GetResourceOauth2Token", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, ev := range evs {
		if ev.Outcome == "ok" && ev.User != "" {
			ok++
		}
	}
	if ok != callers {
		t.Errorf("audit has %d ok events, want %d", ok, callers)
	}
}

// TestThreeReplicasOnPostgresExchangeOnceFor300ColdCallers is the issue's
// test: three brokers on one PostgreSQL act as one.
func TestThreeReplicasOnPostgresExchangeOnceFor300ColdCallers(t *testing.T) {
	dsn := storetest.PostgresDSN(t) // skips, saying why, without ONBEHALF_TEST_POSTGRES
	e := newEnv(t, options{})
	brokers, stores := replicas(t, e, dsn, 3)
	coldStampede(t, e, brokers, stores, 300)
}

// The same on SQLite: three Stores on one file (one process) share locks.
func TestThreeReplicasOnOneSQLiteFileExchangeOnce(t *testing.T) {
	e := newEnv(t, options{})
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "shared.db")
	brokers, stores := replicas(t, e, dsn, 3)
	coldStampede(t, e, brokers, stores, 300)
}
