package entra

import (
	"net/http"
	"strings"
	"time"
)

// The sign-in page keeps two cookies, both HttpOnly and SameSite=Lax:
//
//   - browserCookie, a random id of the browser, set when a sign-in page
//     is shown. A page's form post is accepted only with the same cookie
//     as the GET that created the page, so another site cannot post a
//     sign-in into the victim's browser (login CSRF).
//   - sessionCookie, the single sign-on session after a successful
//     sign-in: later authorization requests (prompt=none, or no prompt)
//     reuse it without the page. Logout and RevokeRefreshTokens end it.
//
// The server keeps only SHA-256s of their values.
const (
	browserCookie   = "entra_emu_browser"
	sessionCookie   = "entra_emu_session"
	sessionLifetime = 12 * time.Hour
)

type session struct {
	user    *User
	mfa     bool
	gen     int
	signIn  time.Time
	expires time.Time
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secureCookies, SameSite: http.SameSiteLaxMode,
	})
}

// browserID returns the browser cookie, setting a new one if the request
// has none (or a malformed one).
func (s *Server) browserID(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(browserCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	id := randomToken("", 32)
	s.setCookie(w, browserCookie, id, 0)
	return id
}

// startSession records a sign-in and sets the session cookie.
func (s *Server) startSession(w http.ResponseWriter, user *User, mfa bool) {
	now := s.now()
	id := randomToken("", 32)
	s.stMu.Lock()
	makeRoom(s.st.sessions, func(v *session) bool { return !now.Before(v.expires) })
	s.st.sessions[storeKey(id)] = &session{
		user: user, mfa: mfa, gen: s.st.gen[strings.ToLower(user.ObjectID)],
		signIn: now, expires: now.Add(sessionLifetime),
	}
	s.stMu.Unlock()
	s.setCookie(w, sessionCookie, id, int(sessionLifetime/time.Second))
}

// currentSession is the browser's live session, or nil.
func (s *Server) currentSession(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	s.stMu.Lock()
	defer s.stMu.Unlock()
	sess := s.st.sessions[storeKey(c.Value)]
	if sess == nil || !s.now().Before(sess.expires) || sess.gen != s.st.gen[strings.ToLower(sess.user.ObjectID)] {
		return nil
	}
	return sess
}

// endSession forgets the browser's session and clears its cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.stMu.Lock()
		delete(s.st.sessions, storeKey(c.Value))
		s.stMu.Unlock()
	}
	s.setCookie(w, sessionCookie, "", -1)
}
