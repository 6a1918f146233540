package runtime

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// Router is the front door of several agents at AgentCore Runtime's
// paths:
//
//	POST /runtimes/{id}/invocations   one agent: id is its name, or an agent
//	                                  runtime ARN whose runtime id is its name
//	                                  (URL-escaped, as the AWS SDKs send it);
//	                                  ?qualifier= is accepted (DEFAULT only)
//	GET  /.well-known/oauth-protected-resource/runtimes/{id}/invocations
//	                                  that agent's protected resource
//	                                  metadata (RFC 9728)
//
// Everything else (the container contract's /invocations and /ping, the
// default agent's metadata, the UI) goes to the first agent's FrontDoor,
// the default.
//
// An ARN's partition, region and account are not checked: this runtime
// has one namespace of agent names, and each agent's own authorizer still
// decides who may invoke it. Agent names are not secret (an unknown name
// is a 404, a known one asks for a token, and its metadata is public, as
// RFC 9728 intends).
type Router struct {
	// Agents are the agents' front doors; the first is the default. Each
	// must have a distinct AgentName.
	Agents []*FrontDoor
}

const (
	runtimesPrefix = "/runtimes/"
	metadataPath   = "/.well-known/oauth-protected-resource"
)

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(rt.Agents) == 0 {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "no agent is configured")
		return
	}
	// Resource paths are kept exactly as the client wrote them (an escaped
	// ARN stays escaped): RFC 9728 clients use metadata only when its
	// resource is the URL they asked for.
	path := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(path, runtimesPrefix):
		f, name, ok := rt.agentAt(w, path[len(runtimesPrefix):])
		if !ok {
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "ValidationException", "invocations take POST")
			return
		}
		for _, q := range r.URL.Query()["qualifier"] {
			if q != "DEFAULT" {
				writeError(w, http.StatusNotFound, "ResourceNotFoundException", "agent runtime "+name+" has no endpoint "+quoteShort(q)+" (only DEFAULT)")
				return
			}
		}
		f.invoke(w, r, path)
	case strings.HasPrefix(path, metadataPath+runtimesPrefix):
		f, _, ok := rt.agentAt(w, path[len(metadataPath+runtimesPrefix):])
		if !ok {
			return
		}
		f.serveMetadata(w, r, path[len(metadataPath):])
	default:
		rt.Agents[0].ServeHTTP(w, r)
	}
}

// agentAt finds the agent of "{id}/invocations" (id escaped) or answers
// 404.
func (rt *Router) agentAt(w http.ResponseWriter, rest string) (*FrontDoor, string, bool) {
	escaped, ok := strings.CutSuffix(rest, "/invocations")
	if !ok || escaped == "" || strings.Contains(escaped, "/") {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "no such path")
		return nil, "", false
	}
	id, err := url.PathUnescape(escaped)
	if err != nil {
		writeError(w, http.StatusNotFound, "ResourceNotFoundException", "no such path")
		return nil, "", false
	}
	name := runtimeName(id)
	for _, f := range rt.Agents {
		if f.AgentName == name {
			return f, name, true
		}
	}
	writeError(w, http.StatusNotFound, "ResourceNotFoundException", "no agent runtime "+quoteShort(id))
	return nil, "", false
}

// runtimeName is the agent name an invocation id names: the id itself, or
// the runtime id of an ARN arn:<partition>:bedrock-agentcore:<region>:
// <account>:runtime/<name>.
func runtimeName(id string) string {
	if !strings.HasPrefix(id, "arn:") {
		return id
	}
	parts := strings.SplitN(id, ":", 6)
	if len(parts) != 6 || parts[2] != "bedrock-agentcore" {
		return ""
	}
	name, ok := strings.CutPrefix(parts[5], "runtime/")
	if !ok || strings.Contains(name, "/") {
		return ""
	}
	return name
}

// quoteShort quotes an id for an error message, cut to a sane length.
func quoteShort(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}

// protectedResource is the OAuth 2.0 Protected Resource Metadata (RFC
// 9728) of one agent.
type protectedResource struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers,omitempty"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
}

// issuerSource is a TokenVerifier that can say which issuer it trusts
// (*authorizer.Authorizer).
type issuerSource interface {
	Issuer(ctx context.Context) (string, error)
}

func (f *FrontDoor) serveMetadata(w http.ResponseWriter, r *http.Request, resourcePath string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "ValidationException", "metadata takes GET")
		return
	}
	servers := f.AuthorizationServers
	if is, ok := f.Verifier.(issuerSource); ok && len(servers) == 0 {
		iss, err := is.Issuer(r.Context())
		if err != nil {
			w.Header().Set("Retry-After", "5")
			writeError(w, http.StatusServiceUnavailable, "ServiceUnavailableException", "the identity provider's metadata is unavailable; try again shortly")
			return
		}
		servers = []string{iss}
	}
	writeJSON(w, http.StatusOK, protectedResource{
		Resource:               f.base(r) + resourcePath,
		AuthorizationServers:   servers,
		ScopesSupported:        f.Scopes,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           f.AgentName,
	})
}

// base is f.PublicURL, or else the scheme and host the request was
// addressed to.
func (f *FrontDoor) base(r *http.Request) string {
	if f.PublicURL != "" {
		return strings.TrimSuffix(f.PublicURL, "/")
	}
	return baseURL(r)
}

// baseURL is the scheme and host the request was addressed to. A host
// that is not plainly a host name, address and port (the host of an
// absolute-form request line is not checked by net/http) is not echoed.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" || strings.IndexFunc(host, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(".-:[]", c))
	}) >= 0 {
		host = "invalid-host"
	}
	return scheme + "://" + host
}
