package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Defaults for the zero values of Verifier's fields.
const (
	DefaultMaxSkew      = 5 * time.Minute
	DefaultMaxBodyBytes = 1 << 20
)

const (
	unsignedPayload = "UNSIGNED-PAYLOAD"
	streamingPrefix = "STREAMING-"
)

// Verifier checks AWS Signature Version 4 (Authorization header form) on
// incoming requests. Its zero value is not usable: Credentials and Service
// are required. A Verifier is safe for concurrent use and must not be
// changed after its first use.
type Verifier struct {
	// Credentials finds the secret for an access key id. Required.
	Credentials CredentialStore
	// Service is the signing name every credential scope must name, e.g.
	// "bedrock-agentcore". Required.
	Service string
	// Region, when set, is the only region a credential scope may name.
	// Empty accepts any well-formed region.
	Region string
	// MaxSkew bounds |now - X-Amz-Date| both ways. Zero means
	// DefaultMaxSkew (5 minutes).
	MaxSkew time.Duration
	// MaxBodyBytes bounds the body Verify reads to hash it. Zero means
	// DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// Now is the clock. Nil means time.Now.
	Now func() time.Time

	keys keyCache
}

// Result is what a verified request proves.
type Result struct {
	Principal   string // Credential.Principal of the signing key
	AccessKeyID string
	Region      string // from the credential scope
	Service     string // from the credential scope (equals Verifier.Service)
	// SignedHeaders are the lowercase names the signature covers, sorted.
	SignedHeaders []string
	// SigningTime is X-Amz-Date.
	SigningTime time.Time
	// Temporary is true when the key is a temporary credential and the
	// request carried its session token.
	Temporary bool
	// Body is the request body Verify read to hash it (nil for none).
	// r.Body was reset to read the same bytes again; a handler may use
	// either.
	Body []byte
}

func (v *Verifier) config() (maxSkew time.Duration, maxBody int64, now time.Time, err error) {
	switch {
	case v.Credentials == nil:
		return 0, 0, time.Time{}, errors.New("sigv4: Verifier.Credentials is nil")
	case v.Service == "":
		return 0, 0, time.Time{}, errors.New("sigv4: Verifier.Service is empty")
	case v.MaxSkew < 0 || v.MaxBodyBytes < 0:
		return 0, 0, time.Time{}, errors.New("sigv4: Verifier.MaxSkew and MaxBodyBytes must not be negative")
	}
	maxSkew, maxBody = v.MaxSkew, v.MaxBodyBytes
	if maxSkew == 0 {
		maxSkew = DefaultMaxSkew
	}
	if maxBody == 0 {
		maxBody = DefaultMaxBodyBytes
	}
	if v.Now != nil {
		now = v.Now()
	} else {
		now = time.Now()
	}
	return maxSkew, maxBody, now, nil
}

// Verify checks the SigV4 signature of r and returns who signed it. It
// reads the body (at most MaxBodyBytes) to hash it and puts an identical,
// re-readable body back in r.Body, so handlers read the body as usual.
//
// Checks run cheapest first: header syntax, credential scope, clock skew
// and the presence of required signed headers, then the credential lookup,
// then the body hash and the signature (compared in constant time).
// Errors wrap one of the package's sentinels; other errors (a failing
// CredentialStore, a misconfigured Verifier) are internal failures.
func (v *Verifier) Verify(r *http.Request) (*Result, error) {
	maxSkew, maxBody, now, err := v.config()
	if err != nil {
		return nil, err
	}
	a, err := parseAuthorization(r)
	if err != nil {
		return nil, err
	}
	if a.service != v.Service {
		return nil, fmt.Errorf("%w: scope names %q, want %q", ErrWrongService, a.service, v.Service)
	}
	if v.Region != "" && a.region != v.Region {
		return nil, fmt.Errorf("%w: scope names %q, want %q", ErrWrongRegion, a.region, v.Region)
	}
	if d := now.Sub(a.time); d > maxSkew {
		return nil, fmt.Errorf("%w: signed %s ago, more than %s", ErrRequestExpired, d.Truncate(time.Second), maxSkew)
	} else if -d > maxSkew {
		return nil, fmt.Errorf("%w: signed %s in the future, more than %s", ErrRequestExpired, (-d).Truncate(time.Second), maxSkew)
	}
	for _, h := range []string{"host", "x-amz-date"} {
		if !a.signs(h) {
			return nil, fmt.Errorf("%w: %s", ErrUnsignedHeader, h)
		}
	}
	tokens := r.Header.Values("X-Amz-Security-Token")
	if len(tokens) > 0 && !a.signs("x-amz-security-token") {
		return nil, fmt.Errorf("%w: x-amz-security-token", ErrUnsignedHeader)
	}
	values := make([][]string, len(a.headerNames))
	for i, h := range a.headerNames {
		if values[i] = headerValues(r, h); values[i] == nil {
			return nil, fmt.Errorf("%w: %s", ErrMissingSignedHeader, h)
		}
	}
	declaredHash, err := declaredPayloadHash(r)
	if err != nil {
		return nil, err
	}

	cred, err := v.Credentials.Lookup(r.Context(), a.accessKeyID)
	if errors.Is(err, ErrUnknownAccessKey) {
		return nil, ErrUnknownAccessKey
	}
	if err != nil {
		return nil, fmt.Errorf("sigv4: looking up access key: %w", err)
	}
	if cred.AccessKeyID != a.accessKeyID || cred.SecretAccessKey == "" {
		// A store must not hand back another key or a key anyone could
		// sign for.
		return nil, fmt.Errorf("%w: store returned an unusable credential", ErrUnknownAccessKey)
	}
	if err := checkSessionToken(cred, tokens); err != nil {
		return nil, err
	}

	payloadHash, body, err := hashBody(r, maxBody)
	if err != nil {
		return nil, err
	}
	if declaredHash != "" && declaredHash != payloadHash {
		return nil, ErrPayloadHashMismatch
	}

	key, cached := v.keys.get(cred.SecretAccessKey, a)
	spec, ok := canonicalRequest(r, a, values, payloadHash, dialectSpec)
	matched := ok && hmac.Equal(signature(key, a, spec), a.signature)
	if !matched {
		if boto, _ := canonicalRequest(r, a, values, payloadHash, dialectBotocore); boto != spec {
			matched = hmac.Equal(signature(key, a, boto), a.signature)
		}
	}
	if !matched {
		return nil, ErrSignatureMismatch
	}
	if !cached {
		// Only keys that verified a request are kept, so nobody who merely
		// knows an access key id can churn the cache.
		v.keys.put(cred.SecretAccessKey, a, key)
	}
	return &Result{
		Principal:     cred.Principal,
		AccessKeyID:   a.accessKeyID,
		Region:        a.region,
		Service:       a.service,
		SignedHeaders: a.headerNames,
		SigningTime:   a.time,
		Temporary:     cred.SessionToken != "",
		Body:          body,
	}, nil
}

// declaredPayloadHash returns X-Amz-Content-Sha256 when the client sent
// one. It must be a SHA-256 in lowercase hex: UNSIGNED-PAYLOAD and the
// STREAMING-* forms are refused because the broker's bodies are small JSON
// that must be covered by the signature.
func declaredPayloadHash(r *http.Request) (string, error) {
	vs := r.Header.Values("X-Amz-Content-Sha256")
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1:
		return "", fmt.Errorf("%w: more than one X-Amz-Content-Sha256 header", ErrMalformedAuth)
	case vs[0] == unsignedPayload || strings.HasPrefix(vs[0], streamingPrefix):
		return "", ErrUnsignedPayload
	case len(vs[0]) != 2*sha256.Size || strings.ToLower(vs[0]) != vs[0]:
		return "", fmt.Errorf("%w: X-Amz-Content-Sha256 must be 64 lowercase hex digits", ErrMalformedAuth)
	}
	if _, err := hex.DecodeString(vs[0]); err != nil {
		return "", fmt.Errorf("%w: X-Amz-Content-Sha256 must be 64 lowercase hex digits", ErrMalformedAuth)
	}
	return vs[0], nil
}

// checkSessionToken enforces Credential.SessionToken: required and equal
// for temporary credentials, absent for long-term ones.
func checkSessionToken(cred Credential, tokens []string) error {
	switch {
	case cred.SessionToken == "" && len(tokens) == 0:
		return nil
	case cred.SessionToken == "":
		return fmt.Errorf("%w: a session token was sent with a long-term access key", ErrInvalidSessionToken)
	case len(tokens) != 1:
		return fmt.Errorf("%w: this access key needs exactly one X-Amz-Security-Token", ErrInvalidSessionToken)
	case subtle.ConstantTimeCompare([]byte(tokens[0]), []byte(cred.SessionToken)) != 1:
		return fmt.Errorf("%w: X-Amz-Security-Token does not match", ErrInvalidSessionToken)
	}
	return nil
}

// hashBody reads at most maxBody bytes of r.Body, replaces r.Body with an
// identical reader and returns the body's SHA-256 in lowercase hex.
// presizeLimit caps the buffer a declared Content-Length reserves before
// the body arrives.
const presizeLimit = 64 << 10

// readAllSized is io.ReadAll starting from a buffer of size bytes.
func readAllSized(r io.Reader, size int64) ([]byte, error) {
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				return b, nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

func hashBody(r *http.Request, maxBody int64) (string, []byte, error) {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		// A declared length sizes the buffer once (the doubling growth of
		// io.ReadAll was a third of all the bytes a request allocated),
		// but only up to presizeLimit: the length is the unauthenticated
		// caller's word, and a stalled body must not pin a large buffer.
		// Beyond it the buffer grows with the bytes that arrive; the read
		// is bounded by maxBody either way.
		size := int64(512)
		if r.ContentLength > 0 && r.ContentLength <= maxBody {
			size = min(r.ContentLength+1, presizeLimit) // +1 reaches EOF without growing
		}
		var err error
		body, err = readAllSized(io.LimitReader(r.Body, maxBody+1), size)
		if err != nil {
			return "", nil, fmt.Errorf("%w: %w", ErrBodyUnreadable, err)
		}
		if int64(len(body)) > maxBody {
			return "", nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, maxBody)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), body, nil
}
