package sigv4

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	scopeTerminal   = "aws4_request"
	amzDateLayout   = "20060102T150405Z"
	scopeDateLayout = "20060102"
)

// authorization is the parsed Authorization header plus X-Amz-Date.
type authorization struct {
	accessKeyID   string
	scopeDate     string // yyyymmdd
	region        string
	service       string
	signedHeaders string   // as sent: lowercase, sorted, ';'-separated
	headerNames   []string // signedHeaders split
	signature     []byte   // 32 bytes
	amzDate       string   // X-Amz-Date as sent
	time          time.Time
}

// scope is the credential scope that goes into the string to sign.
func (a *authorization) scope() string {
	return a.scopeDate + "/" + a.region + "/" + a.service + "/" + scopeTerminal
}

func (a *authorization) signs(name string) bool {
	for _, h := range a.headerNames {
		if h == name {
			return true
		}
	}
	return false
}

// parseAuthorization reads the Authorization header form of SigV4:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/bedrock-agentcore/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>
func parseAuthorization(r *http.Request) (*authorization, error) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		q := r.URL.Query()
		if q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential") {
			return nil, fmt.Errorf("%w: presigned (query string) signatures are not accepted", ErrMalformedAuth)
		}
		return nil, ErrMissingAuth
	}
	if len(values) > 1 {
		return nil, fmt.Errorf("%w: more than one Authorization header", ErrMalformedAuth)
	}
	alg, rest, ok := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !ok || alg != algorithm {
		return nil, fmt.Errorf("%w: algorithm must be %s", ErrMalformedAuth, algorithm)
	}
	var credential, signedHeaders, signature string
	var seen [3]bool
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%w: Authorization component without '='", ErrMalformedAuth)
		}
		var i int
		switch k {
		case "Credential":
			credential, i = v, 0
		case "SignedHeaders":
			signedHeaders, i = v, 1
		case "Signature":
			signature, i = v, 2
		default:
			return nil, fmt.Errorf("%w: unknown Authorization component", ErrMalformedAuth)
		}
		if seen[i] {
			return nil, fmt.Errorf("%w: repeated Authorization component %s", ErrMalformedAuth, k)
		}
		seen[i] = true
	}
	if !seen[0] || !seen[1] || !seen[2] {
		return nil, fmt.Errorf("%w: Authorization needs Credential, SignedHeaders and Signature", ErrMalformedAuth)
	}

	a := &authorization{signedHeaders: signedHeaders}
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[0] == "" {
		return nil, fmt.Errorf("%w: Credential must be <access key>/<date>/<region>/<service>/aws4_request", ErrMalformedAuth)
	}
	a.accessKeyID, a.scopeDate, a.region, a.service = parts[0], parts[1], parts[2], parts[3]
	if parts[4] != scopeTerminal {
		return nil, fmt.Errorf("%w: credential scope must end in %s", ErrMalformedAuth, scopeTerminal)
	}
	if !isScopeToken(a.region) {
		return nil, fmt.Errorf("%w: credential scope region is not a region name", ErrMalformedAuth)
	}
	if !isScopeToken(a.service) {
		return nil, fmt.Errorf("%w: credential scope service is not a service name", ErrMalformedAuth)
	}

	if len(signature) != 2*32 {
		return nil, fmt.Errorf("%w: Signature must be 64 hex digits", ErrMalformedAuth)
	}
	sig, err := hex.DecodeString(signature)
	if err != nil {
		return nil, fmt.Errorf("%w: Signature must be 64 hex digits", ErrMalformedAuth)
	}
	a.signature = sig

	a.headerNames = strings.Split(signedHeaders, ";")
	for i, h := range a.headerNames {
		if h == "" || !isLowerToken(h) {
			return nil, fmt.Errorf("%w: SignedHeaders must be lowercase header names separated by ';'", ErrMalformedAuth)
		}
		if i > 0 && a.headerNames[i-1] >= h {
			return nil, fmt.Errorf("%w: SignedHeaders must be sorted and unique", ErrMalformedAuth)
		}
	}

	dates := r.Header.Values("X-Amz-Date")
	if len(dates) != 1 {
		return nil, fmt.Errorf("%w: exactly one X-Amz-Date header is required", ErrMalformedAuth)
	}
	a.amzDate = dates[0]
	a.time, err = time.Parse(amzDateLayout, a.amzDate)
	if err != nil {
		return nil, fmt.Errorf("%w: X-Amz-Date must be yyyymmddThhmmssZ", ErrMalformedAuth)
	}
	if a.time.Format(scopeDateLayout) != a.scopeDate {
		return nil, fmt.Errorf("%w: credential scope date does not match X-Amz-Date", ErrMalformedAuth)
	}
	return a, nil
}

// isScopeToken reports whether s looks like a region or service name
// (lowercase letters, digits and '-'), so that scope values echoed in
// error messages are harmless.
func isScopeToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isLowerToken reports whether s is an HTTP header name (RFC 9110 token)
// without uppercase letters.
func isLowerToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
