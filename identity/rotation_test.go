package identity_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/store"
	"github.com/onbehalf/onbehalf/store/storetest"
)

// sealedKeyIDs maps every sealed value in the store (vault rows and
// resource secrets) to the id of the key that sealed it.
func sealedKeyIDs(t *testing.T, st store.Store) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	rows, err := st.ListVault(ctx, "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rows {
		id, _ := keyring.SealedKeyID(e.Ciphertext)
		out["vault/"+e.Key[:12]] = id
	}
	for _, kind := range []string{"oauth2credentialprovider", "apikeycredentialprovider", "oauth2session"} {
		rs, err := st.ListResources(ctx, kind, "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			id, _ := keyring.SealedKeyID(r.Secret)
			out[kind+"/"+r.Name] = id
		}
	}
	return out
}

// withoutKey is kr's key file with the key id removed, loaded again: a
// ring that has retired that key.
func withoutKey(t *testing.T, kr *keyring.Keyring, id string) *keyring.Keyring {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := kr.Save(path); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	var f map[string]any
	json.Unmarshal(raw, &f)
	var keep []any
	for _, k := range f["keys"].([]any) {
		if k.(map[string]any)["id"] != id {
			keep = append(keep, k)
		}
	}
	f["keys"] = keep
	raw, _ = json.Marshal(f)
	os.WriteFile(path, raw, 0o600)
	out, err := keyring.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestKeyRotationKeepsOldValuesOpenNewWritesUseTheNewKeyAndReencryptRetiresTheOld(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	if _, err := e.broker.CreateApiKeyCredentialProvider(ctx, identity.CreateApiKeyCredentialProviderInput{Name: "Search", APIKey: "search-api-key"}); err != nil {
		t.Fatal(err)
	}
	janeWAT := e.wat(workload, jane)
	janeTok := e.mustGet(obo(janeWAT, providerMS, connectorScope))
	oldKey := e.kr.ActiveKeyID()

	newKey, err := e.kr.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(identity.DefaultVaultCacheTTL) // read the vault, not the broker's memory
	if e.mustGet(obo(janeWAT, providerMS, connectorScope)) != janeTok || e.oboRequests() != 1 {
		t.Fatalf("after Rotate jane's row did not open (IdP requests %d)", e.oboRequests())
	}
	e.mustGet(obo(e.wat(workload, bob), providerMS, connectorScope))
	ids := sealedKeyIDs(t, e.store)
	var onNew, onOld int
	for what, id := range ids {
		switch id {
		case newKey:
			onNew++
		case oldKey:
			onOld++
		default:
			t.Errorf("%s sealed by unknown key %q", what, id)
		}
	}
	// New: bob's row. Old: jane's row, 3 providers, 1 API key.
	if onNew != 1 || onOld != 5 {
		t.Errorf("sealed by new/old key = %d/%d, want 1/5: %v", onNew, onOld, ids)
	}

	res, err := e.broker.ReencryptAll(ctx)
	if err != nil || res != (identity.ReencryptResult{Resealed: 5, Current: 1}) {
		t.Fatalf("ReencryptAll = %+v, %v; want 5 re-sealed, 1 current", res, err)
	}
	for what, id := range sealedKeyIDs(t, e.store) {
		if id != newKey {
			t.Errorf("%s still sealed by %s", what, id)
		}
	}
	if again, _ := e.broker.ReencryptAll(ctx); again != (identity.ReencryptResult{Current: 6}) {
		t.Errorf("second ReencryptAll = %+v, want all 6 current", again)
	}
	if evs, _ := e.store.ListAudit(ctx, store.AuditFilter{Action: "ReencryptAll"}); len(evs) != 2 || !strings.Contains(evs[1].Detail, "5 re-sealed") {
		t.Errorf("audit = %+v", evs)
	}

	// A replica whose ring has retired the old key serves everything.
	cfg := e.cfg
	cfg.Keyring = withoutKey(t, e.kr, oldKey)
	retired, err := identity.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, err := retired.GetResourceOauth2Token(ctx, obo(janeWAT2(t, e, retired), providerMS, connectorScope))
	if err != nil || out.AccessToken != janeTok {
		t.Errorf("retired-key replica: %v, %v; want jane's vault row", out, err)
	}
	if e.oboRequests() != 2 {
		t.Errorf("IdP requests = %d, want 2 (jane once, bob once)", e.oboRequests())
	}
	if _, err := retired.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: "key-user"}); err != nil {
		t.Fatal(err)
	}
	apiWAT, _ := retired.GetWorkloadAccessToken(ctx, identity.GetWorkloadAccessTokenInput{WorkloadName: "key-user"})
	if k, err := retired.GetResourceApiKey(ctx, identity.GetResourceApiKeyInput{WorkloadIdentityToken: apiWAT.WorkloadAccessToken, ResourceCredentialProviderName: "Search"}); err != nil || k.APIKey != "search-api-key" {
		t.Errorf("API key on the retired-key replica = %v, %v", k, err)
	}
}

// janeWAT2 is a WAT for jane issued by b.
func janeWAT2(t *testing.T, e *env, b *identity.Broker) string {
	t.Helper()
	out, err := b.GetWorkloadAccessTokenForJWT(context.Background(), identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: e.tokenA(jane)})
	if err != nil {
		t.Fatal(err)
	}
	e.remember(out.WorkloadAccessToken)
	return out.WorkloadAccessToken
}

// populate puts every kind of secret the broker keeps into its store and
// returns them: client secrets (configured and API-created), an API key,
// OBO and M2M tokens, refresh tokens, a pending USER_FEDERATION session and
// a completed one.
func populate(t *testing.T, f *fedEnv) map[string]string {
	t.Helper()
	ctx := context.Background()
	secrets := map[string]string{"agent client secret": f.agentSecret, "user password": f.userPassword}
	n := 0
	fake := newFakeIdP(t, func(int, url.Values) (int, string) {
		n++
		return 200, tokenJSON(fmt.Sprintf("FAKE-ACCESS-%s-%d", randomSecret(), n), "FAKE-REFRESH-"+randomSecret(), 3600)
	})
	apiSecret, apiKey := randomSecret(), randomSecret()
	secrets["API-created client secret"], secrets["API key"] = apiSecret, apiKey
	in := customProvider("Fake", fake.srv.URL+"/.well-known/openid-configuration", apiSecret)
	in.Oauth2ProviderConfigInput.CustomOauth2ProviderConfig.OnBehalfOfTokenExchangeConfig.GrantType = identity.GrantTokenExchange
	if _, err := f.broker.CreateOauth2CredentialProvider(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := f.broker.CreateApiKeyCredentialProvider(ctx, identity.CreateApiKeyCredentialProviderInput{Name: "Search", APIKey: apiKey}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.broker.UpdateWorkloadIdentity(ctx, identity.UpdateWorkloadIdentityInput{Name: "wl-all"}); identity.ErrorType(err) != identity.ResourceNotFoundException {
		t.Fatal(err)
	}
	if _, err := f.broker.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: "wl-all", AllowedResourceOauth2ReturnUrls: []string{returnURL}}); err != nil {
		t.Fatal(err)
	}
	tokenA := f.tokenA(jane)
	secrets["Token A"] = tokenA
	wat := f.wat(workload, jane)
	secrets["OBO token"] = f.mustGet(obo(wat, providerMS, connectorScope, "offline_access"))
	m := obo(wat, providerMS, "api://"+entra.DevConnectorClientID+"/.default")
	m.Oauth2Flow = identity.FlowM2M
	secrets["M2M token"] = f.mustGet(m)
	watAll, err := f.broker.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: "wl-all", UserToken: tokenA})
	if err != nil {
		t.Fatal(err)
	}
	f.remember(watAll.WorkloadAccessToken)
	secrets["exchanged token"] = f.mustGet(obo(watAll.WorkloadAccessToken, "Fake", "read"))
	// A completed USER_FEDERATION (its tokens now in the vault) and a
	// pending one (its PKCE verifier and state in the session).
	done := f.start(federation(wat, connectorScope, "offline_access"))
	f.follow(f.tenant.SignIn(t, done.AuthorizationURL, jane, false))
	if err := f.complete(done.SessionURI, tokenA); err != nil {
		t.Fatal(err)
	}
	fed, err := f.broker.GetResourceOauth2Token(ctx, federation(wat, connectorScope, "offline_access"))
	if err != nil || fed.AccessToken == "" {
		t.Fatalf("federated token: %v, %v", fed, err)
	}
	secrets["federated token"] = fed.AccessToken
	pending := f.start(federation(wat, connectorScope, "openid"))
	au, _ := url.Parse(pending.AuthorizationURL)
	secrets["pending session state secret"] = strings.SplitN(au.Query().Get("state"), ".", 2)[1]
	// The fake IdP's refresh tokens, which only the vault holds.
	for i, r := range fakeRefreshTokens(t, f.broker, watAll.WorkloadAccessToken) {
		secrets[fmt.Sprintf("refresh token %d", i)] = r
	}
	for _, s := range secrets {
		f.remember(s)
	}
	return secrets
}

// fakeRefreshTokens forces one more exchange at the fake IdP and returns
// the refresh token it issued (now in the vault).
func fakeRefreshTokens(t *testing.T, b *identity.Broker, wat string) []string {
	t.Helper()
	var issued []string
	idp := newFakeIdP(t, func(n int, _ url.Values) (int, string) {
		r := "FAKE-REFRESH-" + randomSecret()
		issued = append(issued, r)
		return 200, tokenJSON("FAKE-ACCESS-"+randomSecret(), r, 3600)
	})
	up := customProvider("Fake", idp.srv.URL+"/.well-known/openid-configuration", "")
	up.Oauth2ProviderConfigInput.CustomOauth2ProviderConfig.OnBehalfOfTokenExchangeConfig.GrantType = identity.GrantTokenExchange
	if _, err := b.UpdateOauth2CredentialProvider(context.Background(), toUpdate(up)); err != nil {
		t.Fatal(err)
	}
	in := obo(wat, "Fake", "read")
	if _, err := b.GetResourceOauth2Token(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return issued
}

// findSecrets reports which secrets (or, for JWTs, their payload or
// signature) appear in data as text or as hex.
func findSecrets(data []byte, secrets map[string]string) []string {
	var found []string
	lower := bytes.ToLower(data)
	for name, s := range secrets {
		for _, part := range secretParts(s) {
			if len(part) < 8 {
				continue
			}
			if bytes.Contains(data, []byte(part)) || bytes.Contains(lower, []byte(hex.EncodeToString([]byte(part)))) {
				found = append(found, name)
				break
			}
		}
	}
	return found
}

func TestNoSecretIsInTheRawSQLiteFiles(t *testing.T) {
	dir := t.TempDir()
	f := newFedEnv(t, options{dsn: "sqlite:" + filepath.Join(dir, "onbehalf.db")})
	secrets := populate(t, f)
	var all []byte
	files, _ := filepath.Glob(filepath.Join(dir, "onbehalf.db*")) // the database, its WAL and shared memory
	if len(files) < 2 {
		t.Fatalf("database files = %v", files)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	// The check finds a plaintext value when there is one.
	if got := findSecrets(append(all, []byte(secrets["API key"])...), secrets); len(got) != 1 {
		t.Fatalf("self-check: found %v, want [API key]", got)
	}
	if found := findSecrets(all, secrets); len(found) > 0 {
		t.Errorf("the SQLite files contain in plaintext: %v", found)
	}
	t.Logf("searched %d bytes for %d secrets", len(all), len(secrets))
	if !bytes.Contains(all, []byte("GetResourceOauth2Token")) {
		t.Error("the files do not even hold the audit trail: wrong files read?")
	}
}

func TestNoSecretIsInThePostgresTables(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	f := newFedEnv(t, options{dsn: dsn})
	secrets := populate(t, f)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	var dump []byte
	for _, table := range tables {
		// Every row as text (bytea as hex), and bytea columns raw.
		r, err := db.Query(`SELECT t::text FROM "` + table + `" t`)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var line string
			r.Scan(&line)
			dump = append(dump, line...)
		}
		r.Close()
	}
	for _, q := range []string{`SELECT ciphertext FROM vault`, `SELECT data FROM resources`, `SELECT secret FROM resources`} {
		r, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var b []byte
			r.Scan(&b)
			dump = append(dump, b...)
		}
		r.Close()
	}
	if !strings.Contains(strings.Join(tables, ","), "vault") || !bytes.Contains(dump, []byte("GetResourceOauth2Token")) {
		t.Fatalf("tables %v: dump does not hold the expected rows", tables)
	}
	if found := findSecrets(dump, secrets); len(found) > 0 {
		t.Errorf("the PostgreSQL tables contain in plaintext: %v", found)
	}
	t.Logf("searched %d bytes of %d tables for %d secrets", len(dump), len(tables), len(secrets))
}
