package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// dialect names one way of building the canonical request. Clients agree
// on the spec for ordinary requests and differ at the edges, so a request
// that does not verify under the spec is tried once more the way botocore
// (the AWS CLI, boto3) builds it, when that gives a different string.
type dialect int

const (
	// dialectSpec follows the SigV4 spec as the AWS SDK for Go v2 (and the
	// Java and JavaScript SDKs) implement it: the path as sent, URI-encoded
	// once more; query names and values decoded, re-encoded and sorted
	// after encoding; header values trimmed with runs of spaces collapsed.
	dialectSpec dialect = iota
	// dialectBotocore follows botocore.auth.SigV4Auth: dot segments and
	// empty segments removed from the path before encoding; query pairs
	// sorted as sent, without decoding; header values split on any
	// whitespace (tabs too) and joined with one space; host lowercased.
	dialectBotocore
)

// canonicalRequest builds the SigV4 canonical request for r. values[i]
// holds the received values of a.headerNames[i] (see headerValues). ok is
// false when r cannot be expressed in dialect d (a query that does not
// decode).
func canonicalRequest(r *http.Request, a *authorization, values [][]string, payloadHash string, d dialect) (s string, ok bool) {
	path, rawQuery := requestTarget(r)
	var query string
	switch d {
	case dialectSpec:
		query, ok = canonicalQuerySpec(rawQuery)
		if !ok {
			return "", false
		}
	case dialectBotocore:
		query = canonicalQueryBotocore(rawQuery)
		path = removeDotSegments(path)
	}
	if path == "" {
		path = "/"
	}

	var b strings.Builder
	b.Grow(len(r.Method) + 2*len(path) + len(query) + 64*len(a.headerNames) + len(a.signedHeaders) + len(payloadHash) + 8)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	writeEscapedPath(&b, path)
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	for n, name := range a.headerNames {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range values[n] {
			if i > 0 {
				b.WriteByte(',')
			}
			if d == dialectBotocore {
				if name == "host" {
					v = strings.ToLower(v)
				}
				b.WriteString(strings.Join(strings.Fields(v), " "))
			} else {
				writeTrimmed(&b, v)
			}
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(a.signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String(), true
}

// requestTarget returns the path and query exactly as the client sent
// them. A server request keeps its request-target in RequestURI; r.URL.Path
// is decoded (and may have been rewritten by a router), so it is used only
// for requests that never crossed the wire.
func requestTarget(r *http.Request) (path, rawQuery string) {
	if strings.HasPrefix(r.RequestURI, "/") {
		path, rawQuery, _ = strings.Cut(r.RequestURI, "?")
		return path, rawQuery
	}
	return r.URL.EscapedPath(), r.URL.RawQuery
}

// headerValues returns the values of a signed header as received, or nil.
func headerValues(r *http.Request, name string) []string {
	if name == "host" {
		h := r.Host
		if h == "" {
			h = r.URL.Host
		}
		if h == "" {
			return nil
		}
		return []string{h}
	}
	if vs, ok := r.Header[textproto.CanonicalMIMEHeaderKey(name)]; ok {
		return vs
	}
	for k, vs := range r.Header { // keys that net/textproto left uncanonical
		if strings.EqualFold(k, name) {
			return vs
		}
	}
	if name == "content-length" && r.ContentLength > 0 {
		// net/http moves Content-Length into the field for some requests.
		return []string{strconv.FormatInt(r.ContentLength, 10)}
	}
	return nil
}

// writeTrimmed writes v without leading and trailing whitespace and with
// each run of spaces collapsed to one space (the spec's Trimall).
func writeTrimmed(b *strings.Builder, v string) {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b.WriteByte(v[i])
	}
}

// unreserved reports whether c is an RFC 3986 unreserved character, the
// only bytes SigV4 leaves unencoded.
func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

const upperhex = "0123456789ABCDEF"

// writeEscapedPath URI-encodes every byte of the (already escaped) path but
// '/' and unreserved characters: non-S3 services encode each segment twice,
// once on the wire and once here.
func writeEscapedPath(b *strings.Builder, path string) {
	for i := 0; i < len(path); i++ {
		c := path[i]
		if unreserved(c) || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperhex[c>>4])
		b.WriteByte(upperhex[c&15])
	}
}

func escapeQueryComponent(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperhex[c>>4])
		b.WriteByte(upperhex[c&15])
	}
	return b.String()
}

type queryPair struct{ key, value string }

func joinPairs(pairs []queryPair) string {
	slices.SortFunc(pairs, func(x, y queryPair) int {
		if c := strings.Compare(x.key, y.key); c != 0 {
			return c
		}
		return strings.Compare(x.value, y.value)
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// canonicalQuerySpec decodes each name and value ('+' as a space, as a Go
// handler reading r.URL.Query() would), re-encodes it the SigV4 way and
// sorts the pairs after encoding, by name then value. Empty pairs ("a&&b")
// are dropped as url.ParseQuery drops them.
func canonicalQuerySpec(raw string) (string, bool) {
	if raw == "" {
		return "", true
	}
	pairs := make([]queryPair, 0, strings.Count(raw, "&")+1)
	for p := range strings.SplitSeq(raw, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return "", false
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return "", false
		}
		pairs = append(pairs, queryPair{escapeQueryComponent(dk), escapeQueryComponent(dv)})
	}
	return joinPairs(pairs), true
}

// canonicalQueryBotocore sorts the raw name=value pairs as sent, as
// botocore does for a query that is part of the URL.
func canonicalQueryBotocore(raw string) string {
	if raw == "" {
		return ""
	}
	var pairs []queryPair
	for p := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(p, "=")
		pairs = append(pairs, queryPair{k, v})
	}
	return joinPairs(pairs)
}

// removeDotSegments is botocore's remove_dot_segments: RFC 3986 section
// 5.2.4 plus removal of empty segments ("//").
func removeDotSegments(path string) string {
	if path == "" {
		return ""
	}
	var out []string
	for seg := range strings.SplitSeq(path, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	var b strings.Builder
	if path[0] == '/' {
		b.WriteByte('/')
	}
	b.WriteString(strings.Join(out, "/"))
	if path[len(path)-1] == '/' && len(out) > 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// signingKey derives the SigV4 signing key for one day, region and service.
func signingKey(secret string, a *authorization) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), a.scopeDate)
	k = hmacSHA256(k, a.region)
	k = hmacSHA256(k, a.service)
	return hmacSHA256(k, scopeTerminal)
}

// keyCache keeps derived signing keys: a key holds for one access key,
// day, region and service, and deriving it is four HMACs. An entry
// remembers the secret it came from, so a key whose secret changed is
// derived afresh.
type keyCache struct {
	mu sync.Mutex
	m  map[keyCacheID]cachedKey
}

type keyCacheID struct{ accessKeyID, date, region, service string }

type cachedKey struct {
	secret string
	key    []byte
}

// keyCacheEntries bounds the cache; beyond it, it starts over.
const keyCacheEntries = 1024

// get returns the signing key for a's scope and whether it came from the
// cache (derived afresh otherwise, and not stored: see put).
func (c *keyCache) get(secret string, a *authorization) ([]byte, bool) {
	id := keyCacheID{a.accessKeyID, a.scopeDate, a.region, a.service}
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && subtle.ConstantTimeCompare([]byte(e.secret), []byte(secret)) == 1 {
		return e.key, true
	}
	return signingKey(secret, a), false
}

// put keeps key for a's scope.
func (c *keyCache) put(secret string, a *authorization, key []byte) {
	id := keyCacheID{a.accessKeyID, a.scopeDate, a.region, a.service}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= keyCacheEntries {
		c.m = map[keyCacheID]cachedKey{}
	}
	c.m[id] = cachedKey{secret: secret, key: key}
}

// signature is the SigV4 signature of a canonical request.
func signature(key []byte, a *authorization, canonical string) []byte {
	sum := sha256.Sum256([]byte(canonical))
	var hexSum [2 * sha256.Size]byte
	hex.Encode(hexSum[:], sum[:])
	var b strings.Builder
	b.Grow(len(algorithm) + len(a.amzDate) + 64 + len(hexSum) + 3)
	b.WriteString(algorithm)
	b.WriteByte('\n')
	b.WriteString(a.amzDate)
	b.WriteByte('\n')
	b.WriteString(a.scope())
	b.WriteByte('\n')
	b.Write(hexSum[:])
	return hmacSHA256(key, b.String())
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
