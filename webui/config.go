package webui

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
)

// ErrInvalidConfig is wrapped by Config.Validate's error.
var ErrInvalidConfig = errors.New("webui: invalid configuration")

// Config is the chat UI's public configuration: everything in it is sent
// to the browser as /config.json, so it never holds a secret. The UI is a
// public client (PKCE, no client secret).
type Config struct {
	// Authority is the OpenID Connect issuer whose discovery document the
	// browser reads (Authority + "/.well-known/openid-configuration"), e.g.
	// "https://login.microsoftonline.com/<tenant>/v2.0" or, in dev,
	// "http://127.0.0.1:8082/<tenant>/v2.0". Its origin is the only one
	// besides the page's that the page may connect to.
	Authority string
	// ClientID is the app the user signs in to (the Agent App).
	ClientID string
	// Scopes requested at sign-in, e.g. "api://<agent>/access_as_user".
	// "openid", "profile" and "offline_access" are added when missing: the
	// UI needs the ID token (nonce check, the user's name) and a refresh
	// token.
	Scopes []string
	// RedirectPath is where the IdP sends the browser back, relative to
	// the page's origin (default "/"); origin + RedirectPath must be a
	// single-page-application redirect URI of ClientID.
	RedirectPath string
	// Title names the page (default "onbehalf").
	Title string
}

// reserved paths a RedirectPath may not take.
var reserved = []string{"/config.json", "/invocations", "/ping"}

// Validate reports every problem of c at once, each naming its field.
func (c Config) Validate() error {
	var problems []string
	if c.Authority == "" {
		problems = append(problems, "Authority is required")
	} else if u, err := url.Parse(c.Authority); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		problems = append(problems, "Authority must be an http(s) URL without query, fragment or user info")
	}
	if strings.TrimSpace(c.ClientID) == "" {
		problems = append(problems, "ClientID is required")
	}
	if len(c.Scopes) == 0 {
		problems = append(problems, "Scopes must name at least the agent API's scope")
	}
	for _, s := range c.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			problems = append(problems, fmt.Sprintf("Scopes: %q is not a scope token", s))
		}
	}
	if p := c.RedirectPath; p != "" {
		switch {
		case !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#\\") || (p != path.Clean(p) && p != path.Clean(p)+"/"):
			problems = append(problems, "RedirectPath must be a clean absolute path without query or fragment")
		case strings.HasPrefix(p, "/assets/") || slices.Contains(reserved, p):
			problems = append(problems, fmt.Sprintf("RedirectPath %q is reserved", p))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidConfig, strings.Join(problems, "; "))
}

// withDefaults fills the optional fields.
func (c Config) withDefaults() Config {
	c.Authority = strings.TrimRight(c.Authority, "/")
	if c.RedirectPath == "" {
		c.RedirectPath = "/"
	}
	if c.Title == "" {
		c.Title = "onbehalf"
	}
	scopes := slices.Clone(c.Scopes)
	for _, s := range []string{"openid", "profile", "offline_access"} {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	c.Scopes = scopes
	return c
}

// authorityOrigin is scheme://host of the Authority.
func (c Config) authorityOrigin() string {
	u, err := url.Parse(c.Authority)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
