package oauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/oauth"
)

// discoveryServer serves a document naming its own token endpoint and counts
// fetches per path.
func discoveryServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/t/v2.0/.well-known/openid-configuration":
			n.Add(1)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"issuer":"`+srv.URL+`/t/v2.0","authorization_endpoint":"`+srv.URL+`/t/oauth2/v2.0/authorize","token_endpoint":"`+srv.URL+`/t/oauth2/v2.0/token","jwks_uri":"`+srv.URL+`/t/discovery/v2.0/keys","extra":[1,2]}`)
		case "/no-token-endpoint/.well-known/openid-configuration":
			io.WriteString(w, `{"issuer":"x"}`)
		case "/broken/.well-known/openid-configuration":
			n.Add(1)
			w.WriteHeader(http.StatusInternalServerError)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestDiscoverParsesMetadata(t *testing.T) {
	srv, _ := discoveryServer(t)
	md, err := newClient().Discover(context.Background(), srv.URL+"/t/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	want := oauth.Metadata{
		Issuer:                srv.URL + "/t/v2.0",
		AuthorizationEndpoint: srv.URL + "/t/oauth2/v2.0/authorize",
		TokenEndpoint:         srv.URL + "/t/oauth2/v2.0/token",
		JWKSURI:               srv.URL + "/t/discovery/v2.0/keys",
	}
	if *md != want {
		t.Errorf("metadata = %+v, want %+v", *md, want)
	}
}

func TestDiscoverCachesPerURLUntilTTL(t *testing.T) {
	srv, fetches := discoveryServer(t)
	now := fixedNow
	var mu sync.Mutex
	c := &oauth.Client{DiscoveryTTL: 10 * time.Minute, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	u := srv.URL + "/t/v2.0/.well-known/openid-configuration"

	md, err := c.Discover(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	md.TokenEndpoint = "https://mutated.example/token" // callers get copies
	for range 3 {
		md, err = c.Discover(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := fetches.Load(); got != 1 {
		t.Errorf("fetches within TTL = %d, want 1", got)
	}
	if md.TokenEndpoint != srv.URL+"/t/oauth2/v2.0/token" {
		t.Errorf("cached copy was mutated through a returned pointer: %q", md.TokenEndpoint)
	}

	mu.Lock()
	now = now.Add(10 * time.Minute)
	mu.Unlock()
	if _, err := c.Discover(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if got := fetches.Load(); got != 2 {
		t.Errorf("fetches after TTL = %d, want 2", got)
	}
}

func TestDiscoverConcurrentCallersShareOneFetch(t *testing.T) {
	srv, fetches := discoveryServer(t)
	c := newClient()
	u := srv.URL + "/t/v2.0/.well-known/openid-configuration"
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			if _, err := c.Discover(context.Background(), u); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Discover: %v", err)
	}
	if got := fetches.Load(); got != 1 {
		t.Errorf("fetches = %d, want 1", got)
	}
}

func TestDiscoverFailuresAreUnavailableAndNotCached(t *testing.T) {
	srv, fetches := discoveryServer(t)
	c := newClient()
	for _, path := range []string{"/broken/.well-known/openid-configuration", "/broken/.well-known/openid-configuration", "/missing/.well-known/openid-configuration", "/no-token-endpoint/.well-known/openid-configuration"} {
		_, err := c.Discover(context.Background(), srv.URL+path)
		if !errors.Is(err, oauth.ErrUnavailable) {
			t.Errorf("%s: err = %v, want ErrUnavailable", path, err)
		}
	}
	if got := fetches.Load(); got != 2 {
		t.Errorf("fetches of the broken document = %d, want 2 (failures are not cached)", got)
	}
}
