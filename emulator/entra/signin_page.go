package entra

import (
	"html/template"
	"log/slog"
	"net/http"
	"strings"
)

// pageState is what a rendering of the sign-in page varies on.
type pageState struct {
	selected    string // UPN to preselect
	err         string // shown in an alert
	mfaRequired bool
}

type pageUser struct {
	ID, UPN, Name string
	Checked       bool
}

type signInData struct {
	Title, AppName, Tenant, Action, RequestID, Error string
	Users                                            []pageUser
	MFARequired                                      bool
}

// The sign-in page: no script, one form, every control labelled, the
// error announced with role=alert, users as a radio group in a fieldset.
var signInTmpl = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f3f3f3;margin:0;color:#1b1b1b}
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.25rem;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:1.5rem;margin-top:0}
fieldset{border:1px solid #8a8886;margin:1rem 0;padding:.5rem 1rem}
.user{margin:.4rem 0}
label{cursor:pointer}
input[type=password]{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin:.25rem 0 1rem;font-size:1rem}
[role=alert]{color:#a4262c;font-weight:600}
button{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}
button[value=sign_in]{background:#0067b8;color:#fff;border:0}
:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px}
.note{font-size:.85rem;color:#605e5c}
</style>
</head>
<body>
<main>
<h1>Sign in</h1>
<p>to continue to <strong>{{.AppName}}</strong></p>
<p class="note">Microsoft Entra ID emulator, tenant {{.Tenant}}. Development only.</p>
{{if .Error}}<p role="alert" id="error">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="request_id" value="{{.RequestID}}">
<fieldset>
<legend>Account</legend>
{{range .Users}}<div class="user"><input type="radio" name="username" id="{{.ID}}" value="{{.UPN}}"{{if .Checked}} checked{{end}} required>
<label for="{{.ID}}">{{.Name}} ({{.UPN}})</label></div>
{{end}}</fieldset>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required{{if .Error}} aria-describedby="error"{{end}}>
<fieldset>
<legend>Multi-factor authentication (emulated)</legend>
<input type="checkbox" id="mfa_approve" name="mfa_approve" value="yes"{{if .MFARequired}} required aria-describedby="mfa_note"{{end}}>
<label for="mfa_approve">Approve this sign-in on my authenticator</label>
{{if .MFARequired}}<p class="note" id="mfa_note">Required: your organization asks for multi-factor authentication.</p>{{end}}
</fieldset>
<button type="submit" name="action" value="sign_in">Sign in</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>
</main>
</body>
</html>
`))

var errorTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p role="alert">{{.Message}}</p>
{{if .Trace}}<p>Trace ID: {{.Trace}}</p>{{end}}
</main>
</body>
</html>
`))

// pageHeaders are the security headers of every HTML page. formOrigin, if
// set, is where the page's form may lead besides this server (the
// redirect after a sign-in).
func (s *Server) pageHeaders(w http.ResponseWriter, formOrigin string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	formAction := "'self'"
	if formOrigin != "" {
		formAction += " " + formOrigin
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	s.noStore(w)
}

func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, ar *authRequest, ps pageState) {
	data := signInData{
		Title:       "Sign in to " + ar.client.DisplayName + " - Entra ID emulator",
		AppName:     ar.client.DisplayName,
		Tenant:      s.tenant,
		Action:      s.baseURL + "/" + ar.tenantSeg + "/oauth2/v2.0/authorize",
		RequestID:   ar.id,
		Error:       ps.err,
		MFARequired: ps.mfaRequired || ar.claims,
	}
	if data.AppName == "" {
		data.AppName = ar.client.ClientID
		data.Title = "Sign in - Entra ID emulator"
	}
	for i, u := range s.users {
		data.Users = append(data.Users, pageUser{
			ID: "user" + itoa(i), UPN: u.UserPrincipalName, Name: u.DisplayName,
			Checked: ps.selected != "" && strings.EqualFold(ps.selected, u.UserPrincipalName),
		})
	}
	redirectOrigin := originOf(ar.redirect)
	s.pageHeaders(w, redirectOrigin)
	w.WriteHeader(http.StatusOK)
	if err := signInTmpl.Execute(w, data); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "entra sign-in page", slog.String("error", err.Error()))
	}
}

// errorPage shows an error the endpoint cannot send back to a client.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, e *aadError) {
	trace := newGUID()
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "entra sign-in error page",
		slog.Int("status", e.status), slog.String("error", e.err), slog.Int("aadsts", e.code), slog.String("trace_id", trace))
	s.pageHeaders(w, "")
	w.Header().Set("x-ms-request-id", trace)
	w.WriteHeader(e.status)
	_ = errorTmpl.Execute(w, map[string]string{
		"Title":   "Sign in failed",
		"Message": "AADSTS" + itoa(e.code) + ": " + e.text,
		"Trace":   trace,
	})
}
