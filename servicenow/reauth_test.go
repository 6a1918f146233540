package servicenow

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// refresher is a TokenSource that is also a Refresher, as
// identity.TokenSource is: Token may be a cached token, ForceToken a fresh
// On-Behalf-Of exchange.
type refresher struct {
	mu                     sync.Mutex
	cached, fresh          string
	forceErr               error
	tokenCalls, forceCalls int
}

func (r *refresher) Token(context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tokenCalls++
	return r.cached, nil
}

func (r *refresher) ForceToken(context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forceCalls++
	return r.fresh, r.forceErr
}

const unauthorizedBody = `{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}`

// acceptOnly answers 401 unless the request carries token.
func acceptOnly(token, okBody string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			reply(w, 401, unauthorizedBody)
			return
		}
		reply(w, 200, okBody, "X-Total-Count", "1")
	}
}

func authHeaders(reqs []recorded) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Header.Get("Authorization"))
	}
	return out
}

func TestUnauthorizedIsRetriedOnceWithAForcedToken(t *testing.T) {
	f, c := newFake(t, acceptOnly("fresh-token-b", `{"result":[{"number":"INC0012345"}]}`))
	src := &refresher{cached: "revoked-token-b", fresh: "fresh-token-b"}
	c.Tokens = src
	recs, _, err := c.List(context.Background(), "incident", ListOptions{})
	if err != nil || len(recs) != 1 {
		t.Fatalf("List = %v, %v; want one row with the fresh token", recs, err)
	}
	if d := cmp.Diff([]string{"Bearer revoked-token-b", "Bearer fresh-token-b"}, authHeaders(f.requests())); d != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", d)
	}
	if src.tokenCalls != 1 || src.forceCalls != 1 {
		t.Errorf("Token called %d times, ForceToken %d; want 1 and 1", src.tokenCalls, src.forceCalls)
	}
	if len(f.sleeps) != 0 {
		t.Errorf("waited %v before re-authenticating, want no wait", f.sleeps)
	}
}

func TestSecondUnauthorizedAsksToSignInAgain(t *testing.T) {
	f, c := newFake(t, acceptOnly("nobody-has-this", `{"result":[]}`))
	src := &refresher{cached: "revoked-token-b", fresh: "also-rejected-token-b"}
	c.Tokens = src
	_, _, err := c.List(context.Background(), "incident", ListOptions{})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if n, forced := len(f.requests()), src.forceCalls; n != 2 || forced != 1 {
		t.Errorf("%d requests, %d forced exchanges; want 2 and exactly 1", n, forced)
	}

	// Through a tool: one forced exchange per call, then the sign-in message.
	f2, c2 := newFake(t, acceptOnly("nobody-has-this", `{"result":[]}`))
	src2 := &refresher{cached: "revoked-token-b", fresh: "also-rejected-token-b"}
	c2.Tokens = src2
	res := run(t, c2, "update_incident", `{"number":"INC0012345","state":"Resolved"}`)
	if !res.IsError || res.Content != MsgUnauthorized {
		t.Errorf("result = %q (error=%v), want %q", res.Content, res.IsError, MsgUnauthorized)
	}
	if !strings.Contains(MsgUnauthorized, "please sign in again") {
		t.Errorf("MsgUnauthorized %q does not ask the user to sign in again", MsgUnauthorized)
	}
	if n, forced := len(f2.requests()), src2.forceCalls; n != 2 || forced != 1 {
		t.Errorf("tool: %d requests, %d forced exchanges; want 2 and exactly 1", n, forced)
	}
}

func TestForcedTokenIsKeptForTheRestOfTheToolCall(t *testing.T) {
	// The lookup is refused with the cached token; the forced token serves
	// the retried lookup and the PATCH, with no second exchange.
	x := newSnowFake()
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Authorization") != "Bearer fresh-token-b" {
			reply(w, 401, unauthorizedBody)
			return
		}
		x.handle(w, r, n)
	})
	src := &refresher{cached: "revoked-token-b", fresh: "fresh-token-b"}
	c.Tokens = src
	res := run(t, c, "resolve_incident", `{"number":"INC0012345","close_code":"Solved (Permanently)","close_notes":"Done."}`)
	if res.IsError {
		t.Fatalf("result = %q, want success", res.Content)
	}
	want := []string{"Bearer revoked-token-b", "Bearer fresh-token-b", "Bearer fresh-token-b"}
	if d := cmp.Diff(want, authHeaders(f.requests())); d != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", d)
	}
	if src.tokenCalls != 1 || src.forceCalls != 1 {
		t.Errorf("Token called %d times, ForceToken %d; want 1 and 1", src.tokenCalls, src.forceCalls)
	}
}

func TestForcedTokenServesLaterPagesOfAList(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 { // the second page: the cached token expired meanwhile
			reply(w, 401, unauthorizedBody)
			return
		}
		reply(w, 200, `{"result":[]}`, "X-Total-Count", "25")
	})
	src := &refresher{cached: "cached-token-b", fresh: "fresh-token-b"}
	c.Tokens = src
	if _, _, err := c.List(context.Background(), "incident", ListOptions{Limit: 10}); err != nil {
		t.Fatalf("List: %v", err)
	}
	want := []string{"Bearer cached-token-b", "Bearer cached-token-b", "Bearer fresh-token-b", "Bearer fresh-token-b"}
	if d := cmp.Diff(want, authHeaders(f.requests())); d != "" {
		t.Errorf("Authorization headers (-want +got):\n%s", d)
	}
}

func TestUnauthorizedWithoutARefresherIsNotRetried(t *testing.T) {
	for name, setup := range map[string]func(c *Client){
		"plain TokenSource": func(c *Client) {},
		"basic auth": func(c *Client) {
			c.Tokens = &refresher{cached: "x", fresh: "y"}
			c.Auth = BasicAuth("admin", "wrong")
		},
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t, acceptOnly("nobody-has-this", `{"result":[]}`))
			setup(c)
			_, _, err := c.List(context.Background(), "incident", ListOptions{})
			if !errors.Is(err, ErrUnauthorized) {
				t.Errorf("err = %v, want ErrUnauthorized", err)
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("made %d requests, want 1", n)
			}
			if r, ok := c.Tokens.(*refresher); ok && r.forceCalls != 0 {
				t.Errorf("ForceToken called %d times with Basic auth", r.forceCalls)
			}
		})
	}
}

func TestFailedForcedExchangeAsksToSignInAgain(t *testing.T) {
	cause := errors.New("identity: interaction_required")
	f, c := newFake(t, acceptOnly("nobody-has-this", `{"result":[]}`))
	c.Tokens = &refresher{cached: "revoked-token-b", forceErr: cause}
	_, _, err := c.List(context.Background(), "incident", ListOptions{})
	if !errors.Is(err, ErrNoToken) || !errors.Is(err, cause) {
		t.Errorf("err = %v, want ErrNoToken wrapping the cause", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("made %d requests, want 1", n)
	}
	res := run(t, c, "query_incidents", `{}`)
	if !res.IsError || res.Content != MsgNoToken {
		t.Errorf("tool result = %q, want %q", res.Content, MsgNoToken)
	}

	// An empty forced token is no token either, and is never sent.
	f2, c2 := newFake(t, acceptOnly("nobody-has-this", `{"result":[]}`))
	c2.Tokens = &refresher{cached: "revoked-token-b", fresh: ""}
	if _, _, err := c2.List(context.Background(), "incident", ListOptions{}); !errors.Is(err, ErrNoToken) {
		t.Errorf("empty forced token: err = %v, want ErrNoToken", err)
	}
	if n := len(f2.requests()); n != 1 {
		t.Errorf("empty forced token: made %d requests, want 1", n)
	}
}

func TestRequestsNeverLeaveTheInstanceHost(t *testing.T) {
	var foreignHits int
	var mu sync.Mutex
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		foreignHits++
		mu.Unlock()
		reply(w, 200, `{"result":[{"number":"INC6666666"}]}`)
	}))
	defer foreign.Close()

	t.Run("Link next on another host is not followed", func(t *testing.T) {
		f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 0 {
				reply(w, 200, `{"result":[]}`, "Link", `<`+foreign.URL+`/api/now/table/incident?sysparm_offset=2>;rel="next"`)
				return
			}
			reply(w, 200, `{"result":[{"number":"INC0000003"}]}`)
		})
		recs, _, err := c.List(context.Background(), "incident", ListOptions{Limit: 2})
		if err != nil || len(recs) != 1 || recs[0].Value("number") != "INC0000003" {
			t.Errorf("List = %v, %v; want INC0000003 from the instance's own second page", recs, err)
		}
		if reqs := f.requests(); len(reqs) != 2 || reqs[1].Query.Get("sysparm_offset") != "2" {
			t.Errorf("instance requests = %v, want 2 with the second at offset 2", reqs)
		}
	})
	t.Run("redirects are not followed", func(t *testing.T) {
		for _, code := range []int{301, 302, 307, 308} {
			_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				http.Redirect(w, r, foreign.URL+r.URL.RequestURI(), code)
			})
			_, _, err := c.List(context.Background(), "incident", ListOptions{})
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("%d: err = %v, want ErrUnavailable", code, err)
			}
			if res := run(t, c, "get_incident", `{"number":"INC0012345"}`); res.Content != MsgUnavailable {
				t.Errorf("%d: tool result %q, want %q", code, res.Content, MsgUnavailable)
			}
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if foreignHits != 0 {
		t.Errorf("the foreign host got %d requests, want none", foreignHits)
	}
}

func TestRedirectRefusalDoesNotChangeTheCallersHTTPClient(t *testing.T) {
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, `{"result":[]}`) })
	if _, _, err := c.List(context.Background(), "incident", ListOptions{}); err != nil {
		t.Fatalf("List: %v", err)
	}
	if c.HTTPClient.CheckRedirect != nil {
		t.Errorf("Client.HTTPClient.CheckRedirect was set; the caller's client must stay as given")
	}
}
