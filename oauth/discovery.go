package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Metadata is the part of an OpenID Connect discovery document (or RFC 8414
// authorization server metadata) the broker uses.
type Metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
}

type cachedMetadata struct {
	md      Metadata
	fetched time.Time
}

// discoveryTimeout bounds one shared discovery fetch, whose context is
// detached from any single caller.
const discoveryTimeout = 30 * time.Second

// Discover fetches the document at discoveryURL, or returns the copy fetched
// less than DiscoveryTTL ago. Concurrent callers for one URL share one fetch.
// The document must name an issuer and an absolute token endpoint.
func (c *Client) Discover(ctx context.Context, discoveryURL string) (*Metadata, error) {
	ttl := c.DiscoveryTTL
	if ttl <= 0 {
		ttl = DefaultDiscoveryTTL
	}
	c.mu.Lock()
	if e, ok := c.cache[discoveryURL]; ok && c.now().Sub(e.fetched) < ttl {
		c.mu.Unlock()
		md := e.md
		return &md, nil
	}
	c.mu.Unlock()

	ch := c.flight.DoChan(discoveryURL, func() (any, error) {
		// A flight that ended between our cache check and this one filled
		// the cache: use it rather than fetch again.
		c.mu.Lock()
		if e, ok := c.cache[discoveryURL]; ok && c.now().Sub(e.fetched) < ttl {
			c.mu.Unlock()
			return e.md, nil
		}
		c.mu.Unlock()
		// One caller giving up must not fail the others sharing this fetch.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), discoveryTimeout)
		defer cancel()
		md, err := c.fetchMetadata(fctx, discoveryURL)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.cache == nil {
			c.cache = map[string]cachedMetadata{}
		}
		c.cache[discoveryURL] = cachedMetadata{md: md, fetched: c.now()}
		c.mu.Unlock()
		return md, nil
	})
	select {
	case <-ctx.Done():
		return nil, unavailable("discovery %s", ctx.Err(), endpointName(discoveryURL))
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		md := r.Val.(Metadata)
		return &md, nil
	}
}

func (c *Client) fetchMetadata(ctx context.Context, discoveryURL string) (Metadata, error) {
	name := endpointName(discoveryURL)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, discoveryURL, nil)
	if err != nil {
		return Metadata{}, unavailable("discovery %s", err, name)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return Metadata{}, unavailable("discovery %s", err, name)
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body)
	if err != nil {
		return Metadata{}, unavailable("discovery %s: reading response", err, name)
	}
	if resp.StatusCode != http.StatusOK {
		return Metadata{}, unavailable("discovery %s: HTTP %d", nil, name, resp.StatusCode)
	}
	var md Metadata
	if err := json.Unmarshal(body, &md); err != nil {
		return Metadata{}, unavailable("discovery %s: response is not JSON metadata", nil, name)
	}
	if md.Issuer == "" {
		return Metadata{}, unavailable("discovery %s: document has no issuer", nil, name)
	}
	if u, err := url.Parse(md.TokenEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Metadata{}, unavailable("discovery %s: document has no absolute token_endpoint", nil, name)
	}
	return md, nil
}
