// Package oauth is onbehalf's client for OAuth 2.0 token endpoints: the part
// of MSAL or golang.org/x/oauth2 that a token broker needs, and nothing else.
//
// It speaks the grants the identity broker uses — RFC 7523 jwt-bearer (Entra
// ID On-Behalf-Of when the caller adds requested_token_use=on_behalf_of),
// RFC 8693 token exchange, client credentials, refresh, the authorization
// code grant with PKCE (AuthCodeURL, AuthorizationCode; USER_FEDERATION),
// and the resource owner password grant for development — plus OpenID
// Connect / RFC 8414 discovery with a per-URL cache.
//
// Clients authenticate with client_secret_basic, client_secret_post or
// private_key_jwt (an RFC 7523 assertion signed per request with an RSA or
// P-256 key; RS256, PS256, ES256).
//
// Token requests are retried a bounded number of times (Client.MaxRetries,
// default 2, jittered exponential backoff, Retry-After up to 5 s honoured)
// after a network failure, a per-attempt timeout (Client.AttemptTimeout) or
// an HTTP 429/500/502/503/504, and then fail with ErrUnavailable. An
// authorization code is never retried: it is single-use.
//
// Errors are typed so the broker can decide without parsing text:
//
//   - an RFC 6749 §5.2 error response (with Entra's extra fields such as
//     error_codes, claims, trace_id) is an *Error (errors.As);
//   - a network failure, timeout, 429/5xx, redirect, oversized or non-JSON
//     response matches ErrUnavailable (errors.Is).
//
// No error string ever holds a token, a secret, an assertion or a raw
// response body: an *Error prints its code and the first line of the
// description only.
//
// It is a package of its own because the wire protocol is independent of the
// broker's policy (which user, which workload, which cache key), and because
// the CLI's `onbehalf token` uses it without the broker.
package oauth
