package servicenow

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const janeMine = "assigned_to=javascript:gs.getUserID()"

var janeVisible = []string{"INC0012345", "INC0012389", "INC0012401", "INC0012455", "INC0012478"}

func TestJaneBearerListsExactlyHerFiveVisibleIncidents(t *testing.T) {
	e := newTestEnv(t)
	got := e.numbers(incidentsWhere(janeMine), e.bearer("jane.smith@company.com"))
	wantSame(t, "jane's incidents", got, janeVisible)
	for _, hidden := range []string{"INC0012350", "INC0012399"} {
		for _, n := range got {
			if n == hidden {
				t.Errorf("jane sees %s, which her ACLs hide", hidden)
			}
		}
	}
}

func TestAdminBasicSeesAllSevenAssignedToJane(t *testing.T) {
	e := newTestEnv(t)
	jane := seedID("sys_user", "jane.smith")
	got := e.numbers(incidentsWhere("assigned_to="+jane), e.admin())
	wantSame(t, "admin view of jane's incidents", got,
		[]string{"INC0012345", "INC0012350", "INC0012389", "INC0012399", "INC0012401", "INC0012455", "INC0012478"})
}

func TestRoleHoldersSeeTheirRestrictedCategory(t *testing.T) {
	e := newTestEnv(t)
	wantSame(t, "hr.partner hr incidents",
		e.numbers(incidentsWhere("category=hr"), e.bearer("hr.partner@company.com")), []string{"INC0012350"})
	wantSame(t, "hr.partner security incidents",
		e.numbers(incidentsWhere("category=security"), e.bearer("hr.partner@company.com")), nil)
	wantSame(t, "soc.analyst security incidents",
		e.numbers(incidentsWhere("category=security"), e.bearer("soc.analyst@company.com")), []string{"INC0012399"})
	wantSame(t, "soc.analyst hr incidents",
		e.numbers(incidentsWhere("category=hr"), e.bearer("soc.analyst@company.com")), nil)
	wantSame(t, "jane restricted categories",
		e.numbers(incidentsWhere("categoryINhr,security"), e.bearer("jane.smith@company.com")), nil)
}

func TestBobSeesHisThreeIncidents(t *testing.T) {
	e := newTestEnv(t)
	got := e.numbers(incidentsWhere(janeMine), e.bearer("bob.jones@company.com"))
	wantSame(t, "bob's incidents", got, []string{"INC0012360", "INC0012420", "INC0012490"})
}

func TestBearerRejections(t *testing.T) {
	e := newTestEnv(t)
	hs256 := jwt.NewWithClaims(jwt.SigningMethodHS256, e.iss.claims("jane.smith@company.com"))
	hsToken, err := hs256.SignedString([]byte("shared-secret"))
	if err != nil {
		t.Fatal(err)
	}
	none := jwt.NewWithClaims(jwt.SigningMethodNone, e.iss.claims("jane.smith@company.com"))
	noneToken, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	tamperedParts := strings.Split(e.iss.token(t, "bob.jones@company.com"), ".")
	janeParts := strings.Split(e.iss.token(t, "jane.smith@company.com"), ".")
	tampered := tamperedParts[0] + "." + janeParts[1] + "." + tamperedParts[2]

	cases := []struct {
		name    string
		wantErr error
		token   func() string
	}{
		{"unknown email", errUnknownUser, func() string { return e.iss.token(t, "nobody@company.com") }},
		{"wrong audience", jwt.ErrTokenInvalidAudience, func() string {
			c := e.iss.claims("jane.smith@company.com")
			c["aud"] = "api://a9e17000-0000-4000-8000-000000000002"
			return e.iss.sign(t, c)
		}},
		{"expired beyond clock skew", jwt.ErrTokenExpired, func() string {
			c := e.iss.claims("jane.smith@company.com")
			c["exp"] = testNow.Add(-301 * time.Second).Unix()
			return e.iss.sign(t, c)
		}},
		{"not yet valid beyond clock skew", jwt.ErrTokenNotValidYet, func() string {
			c := e.iss.claims("jane.smith@company.com")
			c["nbf"] = testNow.Add(301 * time.Second).Unix()
			return e.iss.sign(t, c)
		}},
		{"no exp", jwt.ErrTokenRequiredClaimMissing, func() string {
			c := e.iss.claims("jane.smith@company.com")
			delete(c, "exp")
			return e.iss.sign(t, c)
		}},
		{"wrong issuer", errNoProvider, func() string {
			c := e.iss.claims("jane.smith@company.com")
			c["iss"] = "https://login.microsoftonline.com/" + testTenant + "/v2.0"
			return e.iss.sign(t, c)
		}},
		{"no user claim", errNoClaim, func() string {
			c := e.iss.claims("jane.smith@company.com")
			delete(c, "preferred_username")
			return e.iss.sign(t, c)
		}},
		{"HS256 signed", jwt.ErrTokenSignatureInvalid, func() string { return hsToken }},
		{"alg none", jwt.ErrTokenSignatureInvalid, func() string { return noneToken }},
		{"payload swapped under another signature", jwt.ErrTokenSignatureInvalid, func() string { return tampered }},
		{"garbage", errBadCredentials, func() string { return "not-a-jwt" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := c.token()
			req := httptest.NewRequest(http.MethodGet, "/api/now/table/incident", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if _, err := e.srv.authenticate(req); !errors.Is(err, c.wantErr) {
				t.Errorf("authenticate error %v, want %v", err, c.wantErr)
			}
			r := e.get(incidentsWhere(janeMine), "Bearer "+tok)
			wantEnvelope(t, r, http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
			if _, ok := r.body["result"]; ok {
				t.Errorf("401 carries a result: %s", r.raw)
			}
			if !strings.Contains(strings.Join(r.header.Values("WWW-Authenticate"), ","), `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate %q lacks the bearer error", r.header.Values("WWW-Authenticate"))
			}
		})
	}
}

func TestBearerWithinClockSkewIsAccepted(t *testing.T) {
	e := newTestEnv(t)
	c := e.iss.claims("jane.smith@company.com")
	c["exp"] = testNow.Add(-299 * time.Second).Unix()
	c["nbf"] = testNow.Add(299 * time.Second).Unix()
	got := e.numbers(incidentsWhere(janeMine), "Bearer "+e.iss.sign(t, c))
	wantSame(t, "jane's incidents with a token at the skew edge", got, janeVisible)
}

func TestInactiveUserBearerIsRejected(t *testing.T) {
	e := newTestEnv(t)
	if _, err := e.srv.db.Exec("UPDATE sys_user SET active = 0 WHERE user_name = 'bob.jones'"); err != nil {
		t.Fatal(err)
	}
	r := e.get(incidentsWhere(janeMine), e.bearer("bob.jones@company.com"))
	wantEnvelope(t, r, http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
}

func TestMissingAuthGetsUnauthenticatedEnvelopeAndChallenge(t *testing.T) {
	e := newTestEnv(t)
	r := e.get("/api/now/table/incident", "")
	wantEnvelope(t, r, http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
	ch := r.header.Values("WWW-Authenticate")
	if len(ch) != 2 || !strings.HasPrefix(ch[0], "Basic ") || !strings.HasPrefix(ch[1], "Bearer ") {
		t.Errorf("WWW-Authenticate = %q, want a Basic and a Bearer challenge", ch)
	}
}

func TestBasicAuthRejectsWrongPasswordAndPasswordlessUsers(t *testing.T) {
	e := newTestEnv(t)
	for name, auth := range map[string]string{
		"wrong admin password":     basic("admin", "nope"),
		"user without a password":  basic("jane.smith", ""),
		"unknown user":             basic("mallory", testAdminPass),
		"malformed basic":          "Basic !!!",
		"unsupported scheme":       "Digest abc",
		"admin password, bob name": basic("bob.jones", testAdminPass),
	} {
		t.Run(name, func(t *testing.T) {
			r := e.get("/api/now/table/incident", auth)
			wantEnvelope(t, r, http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
		})
	}
}

func TestOIDCMetadataAndKeysAreFetchedOnceAndCached(t *testing.T) {
	e := newTestEnv(t)
	for i := 0; i < 3; i++ {
		e.numbers(incidentsWhere(janeMine), e.bearer("jane.smith@company.com"))
	}
	if m, k := e.iss.metadataHits.Load(), e.iss.jwksHits.Load(); m != 1 || k != 1 {
		t.Errorf("metadata fetched %d times, JWKS %d times; want 1 and 1", m, k)
	}
}

func TestNewReportsEveryConfigProblem(t *testing.T) {
	_, err := New(t.Context(), Config{
		BaseURL: "ftp://x",
		OIDC: []OIDCProvider{
			{Name: "", MetadataURL: "not a url", ClientID: ""},
			{Name: "a", MetadataURL: "http://127.0.0.1/x", ClientID: "c", UserField: "user_password"},
		},
		Logger: discardLogger(),
	})
	if err == nil {
		t.Fatal("New accepted a broken config")
	}
	for _, want := range []string{"BaseURL", "OIDC[0].Name", "OIDC[0].MetadataURL", "OIDC[0].ClientID", `OIDC[1].UserField "user_password"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestUnavailableIdPIsRetriedOnTheNextRequest(t *testing.T) {
	for _, which := range []string{"metadata", "jwks"} {
		t.Run(which, func(t *testing.T) {
			e := newTestEnv(t)
			down := &e.iss.metadataDown
			if which == "jwks" {
				down = &e.iss.jwksDown
			}
			down.Store(true)
			tok := e.bearer("jane.smith@company.com")
			wantEnvelope(t, e.get(incidentsWhere(janeMine), tok), http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
			down.Store(false)
			wantSame(t, "after the IdP is back", e.numbers(incidentsWhere(janeMine), tok), janeVisible)
		})
	}
}

func TestConcurrentCallersEachSeeTheirOwnRecords(t *testing.T) {
	e := newTestEnv(t)
	want := map[string][]string{
		"jane.smith@company.com": janeVisible,
		"bob.jones@company.com":  {"INC0012360", "INC0012420", "INC0012490"},
	}
	tokens := map[string]string{}
	for u := range want {
		tokens[u] = e.bearer(u)
	}
	type result struct {
		user string
		got  []string
		err  string
	}
	results := make(chan result, 40)
	for i := 0; i < 40; i++ {
		user := "jane.smith@company.com"
		if i%2 == 1 {
			user = "bob.jones@company.com"
		}
		go func() {
			req, _ := http.NewRequest(http.MethodGet, e.hs.URL+incidentsWhere(janeMine), nil)
			req.Header.Set("Authorization", tokens[user])
			res, err := e.hs.Client().Do(req)
			if err != nil {
				results <- result{user: user, err: err.Error()}
				return
			}
			defer res.Body.Close()
			var body struct {
				Result []struct {
					Number string `json:"number"`
				} `json:"result"`
			}
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				results <- result{user: user, err: err.Error()}
				return
			}
			var got []string
			for _, r := range body.Result {
				got = append(got, r.Number)
			}
			results <- result{user: user, got: got}
		}()
	}
	for i := 0; i < 40; i++ {
		r := <-results
		if r.err != "" {
			t.Errorf("%s: %s", r.user, r.err)
			continue
		}
		wantSame(t, r.user, r.got, want[r.user])
	}
}

// Two providers: each token is checked against the provider of its issuer,
// with that provider's audience, user claim and sys_user field.
func TestSeveralOIDCProvidersEachMapTheirOwnClaim(t *testing.T) {
	okta := newTestIssuer(t)
	e := newTestEnvWith(t, func(c *Config) {
		c.OIDC = append(c.OIDC, OIDCProvider{
			Name: "Okta", MetadataURL: okta.metadataURL, ClientID: "api://servicenow",
			UserClaim: "sub", UserField: "user_name", ClockSkew: time.Second,
		})
		c.HTTPClient = http.DefaultClient
	})
	c := okta.claims("ignored")
	c["aud"], c["sub"] = "api://servicenow", "bob.jones"
	delete(c, "preferred_username")
	bob := "Bearer " + okta.sign(t, c)
	wantSame(t, "okta bob", e.numbers(incidentsWhere(janeMine), bob), []string{"INC0012360", "INC0012420", "INC0012490"})
	wantSame(t, "entra jane", e.numbers(incidentsWhere(janeMine), e.bearer("jane.smith@company.com")), janeVisible)
	// Okta's audience is not Entra's, and each provider's skew is its own.
	c["aud"] = connectorID
	wantEnvelope(t, e.get(incidentsWhere(janeMine), "Bearer "+okta.sign(t, c)), http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
	c["aud"], c["exp"] = "api://servicenow", testNow.Add(-2*time.Second).Unix()
	wantEnvelope(t, e.get(incidentsWhere(janeMine), "Bearer "+okta.sign(t, c)), http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
}
