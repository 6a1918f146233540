package entra

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// handleLogout is the end-session endpoint: it forgets the browser's
// sign-in session and, when post_logout_redirect_uri is a registered
// redirect URI (of client_id's app when given, else of any app), redirects
// there with state; otherwise it shows a signed-out page, as Entra does.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	if _, ok := s.tenantSegment(seg); !ok {
		s.errorPage(w, r, errTenantNotFound(seg))
		return
	}
	s.endSession(w, r)
	q := r.URL.Query()
	target := q.Get("post_logout_redirect_uri")
	registered := target != "" && s.isLogoutRedirect(q.Get("client_id"), target)
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "entra sign-out", slog.Bool("redirect", registered))
	if registered {
		u, _ := url.Parse(target)
		if st := q.Get("state"); st != "" && len(st) <= maxAuthParamBytes {
			v := u.Query()
			v.Set("state", st)
			u.RawQuery = v.Encode()
		}
		s.noStore(w)
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusFound)
		return
	}
	msg := "You signed out of your account. It's a good idea to close all browser windows."
	if target != "" {
		msg += " (The post_logout_redirect_uri is not a registered redirect URI, so you were not sent back.)"
	}
	s.pageHeaders(w, "")
	w.WriteHeader(http.StatusOK)
	_ = errorTmpl.Execute(w, map[string]string{"Title": "Signed out", "Message": msg})
}

func (s *Server) isLogoutRedirect(clientID, uri string) bool {
	if clientID != "" {
		app := s.apps[strings.ToLower(clientID)]
		return app != nil && isRegisteredRedirect(app, uri)
	}
	for _, app := range s.apps {
		if isRegisteredRedirect(app, uri) {
			return true
		}
	}
	return false
}
