// Package webui is onbehalf's chat UI: a single page, embedded in the
// binary, that signs the user in with their own IdP account (OpenID Connect
// authorization code + PKCE, in the browser), sends their messages to the
// runtime's POST /invocations with their token (Token A) as the bearer, and
// renders the streamed answer and a trace panel of the article's hops.
//
// Handler serves it; runtime.FrontDoor mounts it as its UI so that the page
// and /invocations share one origin:
//
//	front.UI = webui.Handler(webui.Config{
//		Authority: "https://login.microsoftonline.com/<tenant>/v2.0",
//		ClientID:  "<agent app client id>",
//		Scopes:    []string{"api://<agent app client id>/access_as_user", "openid", "profile", "offline_access"},
//	})
//
// The agent app needs a single-page-application redirect URI equal to the
// page's origin + Config.RedirectPath (default "/").
//
// Paths: / (and RedirectPath) the page, /config.json the public
// configuration the page reads, /assets/<version>/<file> the embedded
// scripts and styles (immutable; the version is a hash of all of them, so a
// new build gets new URLs). Every other path is 404: the UI has one route.
//
// Security choices, each enforced here or in static/*.js:
//   - Tokens live in the page's memory only: never localStorage,
//     sessionStorage or cookies. A reload therefore needs a new sign-in.
//     sessionStorage holds only the PKCE verifier, state and nonce of a
//     sign-in round trip (and the user's unsent message), and is emptied as
//     soon as the IdP redirects back.
//   - A strict Content-Security-Policy: scripts and styles only from this
//     origin, no inline script, network only to this origin and the IdP's,
//     no framing, and Trusted Types required, so that the browser itself
//     refuses any HTML string sink: model text is turned into DOM nodes,
//     never into markup.
//   - No third-party asset or network fetch; no build step: plain ES
//     modules.
//
// It is a package of its own because it owns files (the embedded assets)
// and browser behaviour that no other package should know about; the
// runtime only sees an http.Handler.
package webui
