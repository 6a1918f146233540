package servicenow

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestRateLimitIs429WithHeadersUntilTheNextHour(t *testing.T) {
	clk := newClock(testNow) // 09:30:00
	e := newTestEnvWith(t, func(c *Config) {
		c.Now = clk.now
		c.RateLimits = []RateLimit{
			{RequestsPerHour: 100},                      // everyone
			{Role: "itil", RequestsPerHour: 3},          // fulfillers
			{User: "bob.jones", RequestsPerHour: 1},     // bob specifically
			{Role: "sn_si.analyst", RequestsPerHour: 2}, // stricter role wins over itil
		}
	})
	jane := e.bearer("jane.smith@company.com")
	reset := strconv.FormatInt(time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC).Unix(), 10)
	for i := 1; i <= 3; i++ {
		r := e.get(incidentsWhere(janeMine), jane)
		if r.status != http.StatusOK || r.header.Get("X-RateLimit-Limit") != "3" ||
			r.header.Get("X-RateLimit-Remaining") != strconv.Itoa(3-i) || r.header.Get("X-RateLimit-Reset") != reset {
			t.Fatalf("request %d: status %d, headers %v", i, r.status, r.header)
		}
	}
	clk.set(testNow.Add(10 * time.Minute)) // 09:40:00
	r := e.get(incidentsWhere(janeMine), jane)
	wantEnvelope(t, r, http.StatusTooManyRequests, "Rate limit exceeded", "Rate limit of 3 requests per hour for Table API exceeded")
	if r.header.Get("Retry-After") != "1200" || r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Reset") != reset {
		t.Errorf("429 headers: %v", r.header)
	}
	// Other users have their own counts and rules.
	if r := e.get(incidentsWhere(janeMine), e.bearer("bob.jones@company.com")); r.status != http.StatusOK || r.header.Get("X-RateLimit-Limit") != "1" {
		t.Errorf("bob: status %d limit %q", r.status, r.header.Get("X-RateLimit-Limit"))
	}
	if r := e.get(incidentsWhere(janeMine), e.bearer("bob.jones@company.com")); r.status != http.StatusTooManyRequests {
		t.Errorf("bob's second request: status %d, want 429", r.status)
	}
	if r := e.get(incidentsWhere(janeMine), e.bearer("soc.analyst@company.com")); r.header.Get("X-RateLimit-Limit") != "2" {
		t.Errorf("soc.analyst limit %q, want 2 (the stricter role)", r.header.Get("X-RateLimit-Limit"))
	}
	if r := e.get("/api/now/table/incident", e.admin()); r.header.Get("X-RateLimit-Limit") != "100" {
		t.Errorf("admin limit %q, want 100 (all users)", r.header.Get("X-RateLimit-Limit"))
	}
	// Refused requests do not count; the next hour starts over.
	clk.set(time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC))
	if r := e.get(incidentsWhere(janeMine), jane); r.status != http.StatusOK || r.header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("next hour: status %d remaining %q", r.status, r.header.Get("X-RateLimit-Remaining"))
	}
	// 429s are in the transaction log, under the user.
	recs, _ := e.list("/api/now/table/syslog_transaction?sysparm_query=http_status=429^sys_created_by=jane.smith", e.admin())
	if len(recs) != 1 {
		t.Errorf("jane's logged 429s: %d, want 1", len(recs))
	}
}

func TestNoRateLimitHeadersWithoutARule(t *testing.T) {
	e := newTestEnvWith(t, func(c *Config) { c.RateLimits = []RateLimit{{User: "bob.jones", RequestsPerHour: 5}} })
	if r := e.get(incidentsWhere(janeMine), e.bearer("jane.smith@company.com")); r.header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("jane has no rule but got X-RateLimit-Limit %q", r.header.Get("X-RateLimit-Limit"))
	}
	if r := e.get("/api/now/table/incident", ""); r.header.Get("X-RateLimit-Limit") != "" || r.status != http.StatusUnauthorized {
		t.Errorf("unauthenticated: status %d, limit %q", r.status, r.header.Get("X-RateLimit-Limit"))
	}
}

func TestInvalidQueryReturnsNoRowsSetting(t *testing.T) {
	on := newTestEnvWith(t, func(c *Config) { c.InvalidQueryReturnsNoRows = true })
	wantSame(t, "on: unknown field", on.numbers(incidentsWhere("bogus=1^priority=1"), on.admin()), nil)
	wantSame(t, "on: no operator", on.numbers(incidentsWhere("priority"), on.admin()), nil)
	wantSame(t, "on: valid query", on.numbers(incidentsWhere("priority=1"), on.admin()), []string{"INC0012399"})
	off := newTestEnv(t)
	wantSame(t, "off: unknown field dropped", off.numbers(incidentsWhere("bogus=1^priority=1"), off.admin()), []string{"INC0012399"})
}

func TestCheckJTIAcceptsEachTokenOnce(t *testing.T) {
	e := newTestEnvWith(t, func(c *Config) { c.OIDC[0].CheckJTI = true })
	c := e.iss.claims("jane.smith@company.com")
	c["jti"] = "token-1"
	tok := "Bearer " + e.iss.sign(t, c)
	wantSame(t, "first use", e.numbers(incidentsWhere(janeMine), tok), janeVisible)
	wantEnvelope(t, e.get(incidentsWhere(janeMine), tok), http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")

	c = e.iss.claims("jane.smith@company.com")
	c["uti"] = "entra-uti-1" // Entra's token id when there is no jti
	tok = "Bearer " + e.iss.sign(t, c)
	wantSame(t, "uti first use", e.numbers(incidentsWhere(janeMine), tok), janeVisible)
	wantEnvelope(t, e.get(incidentsWhere(janeMine), tok), http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")

	noID := "Bearer " + e.iss.sign(t, e.iss.claims("jane.smith@company.com"))
	wantEnvelope(t, e.get(incidentsWhere(janeMine), noID), http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")

	// Without CheckJTI a token serves many calls.
	plain := newTestEnv(t)
	tok = plain.bearer("jane.smith@company.com")
	for i := 0; i < 3; i++ {
		wantSame(t, "reuse", plain.numbers(incidentsWhere(janeMine), tok), janeVisible)
	}
}

// A token verified once is still refused once it expires (the cache keeps
// the signature check, not the validity window).
func TestCachedTokenStillExpires(t *testing.T) {
	clk := newClock(testNow)
	e := newTestEnvWith(t, func(c *Config) { c.Now = clk.now })
	tok := e.bearer("jane.smith@company.com") // exp testNow+55m, skew 300s
	wantSame(t, "valid", e.numbers(incidentsWhere(janeMine), tok), janeVisible)
	clk.set(testNow.Add(59*time.Minute + 59*time.Second))
	wantSame(t, "within skew", e.numbers(incidentsWhere(janeMine), tok), janeVisible)
	clk.set(testNow.Add(60 * time.Minute))
	wantEnvelope(t, e.get(incidentsWhere(janeMine), tok), http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
}

// A role granted through the API takes effect on the next request of a
// user whose principal is cached.
func TestRoleChangesReachCachedPrincipals(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	wantSame(t, "before", e.numbers(incidentsWhere("category=hr"), jane), nil)
	r := e.do(http.MethodPost, "/api/now/table/sys_user_has_role", e.admin(),
		`{"user":"`+seedID("sys_user", "jane.smith")+`","role":"`+seedID("sys_user_role", "sn_hr_core.case_reader")+`"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("grant role: %d %s", r.status, r.raw)
	}
	wantSame(t, "after", e.numbers(incidentsWhere("category=hr"), jane), []string{"INC0012350"})
}
