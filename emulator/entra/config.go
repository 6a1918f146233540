package entra

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Config describes the one emulated tenant. BaseURL, TenantID and at least
// one App are required; everything else has a default.
type Config struct {
	// BaseURL is where the emulator is reachable, e.g. "http://127.0.0.1:8082"
	// (the stand-in for https://login.microsoftonline.com). The issuer is
	// BaseURL + "/" + TenantID + "/v2.0". If it has a path, whoever mounts
	// the handler must strip that prefix (http.StripPrefix).
	BaseURL  string
	TenantID string // a GUID
	Apps     []App
	Users    []User

	// SigningKey signs every token. Optional: an RSA 2048 key is generated
	// when nil (tokens then do not survive a restart).
	SigningKey *rsa.PrivateKey

	// TokenLifetime of access and ID tokens; expires_in reflects it.
	// Default 1h.
	TokenLifetime time.Duration

	// RefreshTokenLifetime is how long a refresh token stays usable without
	// being redeemed (Entra's 90-day inactivity window; each redemption
	// starts a new window). Refresh tokens of single-page apps always live
	// 24 hours from sign-in, as at Entra. Default 90 days.
	RefreshTokenLifetime time.Duration

	// Now is the clock; default time.Now.
	Now func() time.Time

	// Logger receives one line per token request; default discards. It
	// never receives a token, secret, password or assertion.
	Logger *slog.Logger
}

// App is an app registration together with its service principal.
type App struct {
	ClientID    string // the application (client) id, a GUID
	DisplayName string

	// ClientSecret is the only client credential; "" makes a public client,
	// which may use the password grant but not client_credentials or OBO.
	ClientSecret string

	// IdentifierURIs are the Application ID URIs, e.g. "api://<clientid>".
	IdentifierURIs []string

	// Scopes are the delegated scopes the app exposes, e.g. "access_as_user".
	Scopes []string

	// Permissions are the delegated permissions this app holds on other apps,
	// admin-consented for every user: resource ClientID -> scope names.
	// Server.GrantConsent and Server.RevokeConsent change them at run time.
	Permissions map[string][]string

	// RedirectURIs are the app's "Web" platform redirect URIs (or, for a
	// public client, its "Mobile and desktop" ones) for the authorization
	// code flow. A confidential app redeems their codes with its secret; a
	// public app must use PKCE.
	RedirectURIs []string

	// SPARedirectURIs are the app's "Single-page application" platform
	// redirect URIs. Their codes need PKCE and must be redeemed cross-origin
	// (with an Origin header, answered with CORS headers) and without a
	// client secret; their refresh tokens are bound to the browser the same
	// way. Entra registers redirect URIs per platform, so one app may have
	// both kinds: the SPA kind is a property of the URI, not of the app.
	SPARedirectURIs []string
}

// User is a directory user who can sign in with a password.
type User struct {
	ObjectID          string // oid, a GUID
	UserPrincipalName string // also preferred_username
	DisplayName       string // name
	Password          string

	// RequireMFA starts the user under a Conditional Access policy that
	// requires multi-factor authentication for every downstream resource
	// (any API other than the requesting app's own). Tokens for such a
	// resource are then refused (AADSTS50076 with a claims challenge) unless
	// the user's sign-in performed the emulated MFA. Server.SetConditionalAccess
	// switches it at run time.
	RequireMFA bool
}

// DefaultTokenLifetime is used when Config.TokenLifetime is zero.
const DefaultTokenLifetime = time.Hour

// DefaultRefreshTokenLifetime is used when Config.RefreshTokenLifetime is
// zero; SPARefreshTokenLifetime is the fixed lifetime of refresh tokens
// issued through an SPA redirect URI.
const (
	DefaultRefreshTokenLifetime = 90 * 24 * time.Hour
	SPARefreshTokenLifetime     = 24 * time.Hour
)

// The fixed development tenant and apps (see notes/dev-data.md).
const (
	DevTenantID          = "c0ffee00-0000-4000-8000-000000000001"
	DevAgentClientID     = "a9e17000-0000-4000-8000-000000000002"
	DevConnectorClientID = "5e7c0000-0000-4000-8000-000000000003"
)

// DevOptions adjusts DevConfig.
type DevOptions struct {
	// RuntimeURL is where the runtime (and its chat UI) is reachable, e.g.
	// "http://127.0.0.1:8080". When set, RuntimeURL + "/" becomes a
	// single-page-application redirect URI of the agent app, so that the UI
	// can sign users in with the authorization code flow and PKCE.
	RuntimeURL string
}

// DevConfig is the development tenant: the "ServiceNow Agent" app
// (confidential, exposes access_as_user, admin-consented to the connector's
// user_impersonation), the "ServiceNow API Connector" app (exposes
// user_impersonation) and four users who all share userPassword. Pass
// generated secrets: an empty agentClientSecret makes the agent a public
// client (which cannot do OBO) and an empty userPassword fails New. At most
// one DevOptions may follow.
func DevConfig(baseURL, agentClientSecret, userPassword string, opts ...DevOptions) Config {
	var opt DevOptions
	if len(opts) > 0 {
		opt = opts[0]
	}
	var spa []string
	if opt.RuntimeURL != "" {
		spa = []string{strings.TrimRight(opt.RuntimeURL, "/") + "/"}
	}
	user := func(oid, upn, name string) User {
		return User{ObjectID: oid, UserPrincipalName: upn, DisplayName: name, Password: userPassword}
	}
	return Config{
		BaseURL:  baseURL,
		TenantID: DevTenantID,
		Apps: []App{
			{
				ClientID:        DevAgentClientID,
				DisplayName:     "ServiceNow Agent",
				ClientSecret:    agentClientSecret,
				IdentifierURIs:  []string{"api://" + DevAgentClientID},
				Scopes:          []string{"access_as_user"},
				Permissions:     map[string][]string{DevConnectorClientID: {"user_impersonation"}},
				SPARedirectURIs: spa,
			},
			{
				ClientID:       DevConnectorClientID,
				DisplayName:    "ServiceNow API Connector",
				IdentifierURIs: []string{"api://" + DevConnectorClientID},
				Scopes:         []string{"user_impersonation"},
			},
		},
		Users: []User{
			user("0a000000-0000-4000-8000-00000000000a", "jane.smith@company.com", "Jane Smith"),
			user("0b000000-0000-4000-8000-00000000000b", "bob.jones@company.com", "Bob Jones"),
			user("0c000000-0000-4000-8000-00000000000c", "hr.partner@company.com", "Harriet Partner"),
			user("0d000000-0000-4000-8000-00000000000d", "soc.analyst@company.com", "Sam Analyst"),
		},
	}
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isGUID(s string) bool { return guidRE.MatchString(s) }

// Validate reports every problem of the configuration at once, each naming
// its field. It never includes a secret or password.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.BaseURL == "" {
		bad("BaseURL is required")
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("BaseURL %q must be an absolute http(s) URL without query or fragment", c.BaseURL)
	}
	if !isGUID(c.TenantID) {
		bad("TenantID %q must be a GUID", c.TenantID)
	}
	if c.TokenLifetime < 0 {
		bad("TokenLifetime must not be negative")
	}
	if c.RefreshTokenLifetime < 0 {
		bad("RefreshTokenLifetime must not be negative")
	}
	if c.SigningKey != nil && c.SigningKey.N.BitLen() < 2048 {
		bad("SigningKey must be an RSA key of at least 2048 bits")
	}
	if len(c.Apps) == 0 {
		bad("Apps: at least one app is required")
	}

	apps := map[string]App{}    // lower-case client id
	uris := map[string]string{} // lower-case identifier URI -> client id
	for i, a := range c.Apps {
		field := fmt.Sprintf("Apps[%d]", i)
		if !isGUID(a.ClientID) {
			bad("%s.ClientID %q must be a GUID", field, a.ClientID)
		}
		id := strings.ToLower(a.ClientID)
		if _, dup := apps[id]; dup {
			bad("%s.ClientID %q is used twice", field, a.ClientID)
		}
		apps[id] = a
		for j, u := range a.IdentifierURIs {
			if u == "" || strings.HasSuffix(u, "/") || strings.ContainsAny(u, " \t") {
				bad("%s.IdentifierURIs[%d] %q must be non-empty, without spaces or a trailing slash", field, j, u)
			}
			if other, dup := uris[strings.ToLower(u)]; dup {
				bad("%s.IdentifierURIs[%d] %q is also an identifier URI of app %s", field, j, u, other)
			}
			uris[strings.ToLower(u)] = a.ClientID
		}
		for j, s := range a.Scopes {
			if !validScopeName(s) {
				bad("%s.Scopes[%d] %q is not a valid scope name", field, j, s)
			}
		}
		seen := map[string]bool{}
		for j, u := range a.RedirectURIs {
			if !validRedirectURI(u, false) {
				bad("%s.RedirectURIs[%d] %q must be an absolute URL without fragment", field, j, u)
			}
			if seen[u] {
				bad("%s.RedirectURIs[%d] %q is registered twice", field, j, u)
			}
			seen[u] = true
		}
		for j, u := range a.SPARedirectURIs {
			if !validRedirectURI(u, true) {
				bad("%s.SPARedirectURIs[%d] %q must be an absolute http(s) URL without fragment", field, j, u)
			}
			if seen[u] {
				bad("%s.SPARedirectURIs[%d] %q is registered twice", field, j, u)
			}
			seen[u] = true
		}
	}
	for i, a := range c.Apps {
		for res, scopes := range a.Permissions {
			r, ok := apps[strings.ToLower(res)]
			if !ok {
				bad("Apps[%d].Permissions: resource %q is not an app of this tenant", i, res)
				continue
			}
			for _, s := range scopes {
				if _, ok := lookupFold(r.Scopes, s); !ok {
					bad("Apps[%d].Permissions[%q]: app %q exposes no scope %q", i, res, r.DisplayName, s)
				}
			}
		}
	}

	oids := map[string]bool{}
	upns := map[string]bool{}
	for i, u := range c.Users {
		field := fmt.Sprintf("Users[%d]", i)
		if !isGUID(u.ObjectID) {
			bad("%s.ObjectID %q must be a GUID", field, u.ObjectID)
		}
		if oids[strings.ToLower(u.ObjectID)] {
			bad("%s.ObjectID %q is used twice", field, u.ObjectID)
		}
		oids[strings.ToLower(u.ObjectID)] = true
		if !strings.Contains(u.UserPrincipalName, "@") {
			bad("%s.UserPrincipalName %q must look like user@domain", field, u.UserPrincipalName)
		}
		if upns[strings.ToLower(u.UserPrincipalName)] {
			bad("%s.UserPrincipalName %q is used twice", field, u.UserPrincipalName)
		}
		upns[strings.ToLower(u.UserPrincipalName)] = true
		if u.Password == "" {
			bad("%s.Password is required", field)
		}
	}
	return errors.Join(errs...)
}

// validRedirectURI accepts absolute URLs without fragment or wildcard;
// SPA redirect URIs must be http(s) (a browser origin), others may use a
// custom scheme as native apps do.
func validRedirectURI(s string, spa bool) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Fragment != "" || strings.ContainsAny(s, " *#") {
		return false
	}
	if spa || u.Scheme == "http" || u.Scheme == "https" {
		return (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
	return u.Host != "" || u.Opaque != "" || u.Path != ""
}

func validScopeName(s string) bool {
	return s != "" && s != ".default" && !strings.ContainsAny(s, " \t/")
}
