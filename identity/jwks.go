package identity

import (
	"encoding/json"
	"net/http"
	"path"
)

// JWKSHandler serves the public keys the broker signs PRIVATE_KEY_JWT
// client assertions with, one JWK Set per credential provider: GET
// <mount>/<provider name> answers {"keys":[…]}. Register that URL (or the
// key itself) with the identity provider as the client's key set. A
// provider that does not use PRIVATE_KEY_JWT, or does not exist, is 404.
// Mount it where the identity provider can reach it, e.g. at
// /identities/oauth2/jwks/ (http.StripPrefix is not needed: only the last
// path segment is read).
func (b *Broker) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := path.Base(r.URL.Path)
		if !providerNameRE.MatchString(name) {
			http.NotFound(w, r)
			return
		}
		p, err := b.oauth2Provider(r.Context(), name)
		switch {
		case ErrorType(err) == ResourceNotFoundException, err == nil && p.jwk == nil:
			http.NotFound(w, r)
			return
		case err != nil:
			http.Error(w, "the key set is unavailable", http.StatusInternalServerError)
			return
		}
		body, _ := json.Marshal(map[string]any{"keys": []map[string]string{p.jwk}})
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(body)
	})
}
