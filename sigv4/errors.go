package sigv4

import "errors"

// Errors returned by Verify, each wrapped with a detail that is safe to show
// a client: it never contains a signature, secret or session token. Match
// them with errors.Is.
var (
	// ErrMissingAuth: the request carries no Authorization header.
	ErrMissingAuth = errors.New("sigv4: missing authentication")
	// ErrMalformedAuth: the Authorization header, X-Amz-Date or the
	// credential scope cannot be parsed, or uses a form this package does
	// not accept (another algorithm, a presigned URL).
	ErrMalformedAuth = errors.New("sigv4: malformed authorization")
	// ErrUnknownAccessKey: the CredentialStore does not know the access key
	// id. Stores return it (wrapped or not) from Lookup.
	ErrUnknownAccessKey = errors.New("sigv4: unknown access key")
	// ErrInvalidSessionToken: X-Amz-Security-Token is missing for a
	// temporary credential, present for a long-term one, or does not match.
	ErrInvalidSessionToken = errors.New("sigv4: invalid session token")
	// ErrSignatureMismatch: the signature does not match the request.
	ErrSignatureMismatch = errors.New("sigv4: signature does not match")
	// ErrRequestExpired: X-Amz-Date is further than MaxSkew from now, in
	// the past or in the future.
	ErrRequestExpired = errors.New("sigv4: request time outside the allowed clock skew")
	// ErrWrongService: the credential scope names another service.
	ErrWrongService = errors.New("sigv4: credential scoped to another service")
	// ErrWrongRegion: the credential scope names another region than
	// Verifier.Region.
	ErrWrongRegion = errors.New("sigv4: credential scoped to another region")
	// ErrUnsignedHeader: a header that must be signed (host, x-amz-date,
	// x-amz-security-token when sent) is not in SignedHeaders.
	ErrUnsignedHeader = errors.New("sigv4: required header not signed")
	// ErrMissingSignedHeader: a header listed in SignedHeaders is absent
	// from the request.
	ErrMissingSignedHeader = errors.New("sigv4: signed header missing from request")
	// ErrUnsignedPayload: X-Amz-Content-Sha256 is UNSIGNED-PAYLOAD or a
	// STREAMING-* value; the body must be hashed into the signature.
	ErrUnsignedPayload = errors.New("sigv4: unsigned payload not accepted")
	// ErrPayloadHashMismatch: X-Amz-Content-Sha256 is not the SHA-256 of
	// the body.
	ErrPayloadHashMismatch = errors.New("sigv4: x-amz-content-sha256 does not match the body")
	// ErrBodyTooLarge: the body is larger than MaxBodyBytes.
	ErrBodyTooLarge = errors.New("sigv4: request body too large")
	// ErrBodyUnreadable: the body ended before its Content-Length or the
	// connection failed while it was read (the client's doing, not the
	// server's).
	ErrBodyUnreadable = errors.New("sigv4: request body could not be read")
)
