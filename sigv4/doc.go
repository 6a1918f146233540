// Package sigv4 verifies AWS Signature Version 4 on requests to onbehalf's
// identity broker, so that the AWS CLI, boto3 and the AWS SDK for Go v2
// call the broker's AgentCore Identity API unchanged (with an endpoint
// override) and the broker knows which principal signed each call.
//
// It is a package of its own because it is a trust boundary with exact
// wire rules, tested against the real signers (the Go SDK's aws/signer/v4,
// botocore, the aws CLI), and it holds no broker logic: the HTTP face asks
// it "who signed this?" and decides what that principal may do.
//
// Quick start:
//
//	store, err := sigv4.NewStaticStore(sigv4.Credential{
//		AccessKeyID: "AKIA...", SecretAccessKey: secretFromEnv,
//		Principal: "workload:servicenow-agent-workload",
//	})
//	v := &sigv4.Verifier{Credentials: store, Service: "bedrock-agentcore"}
//	mux.Handle("POST /identities/", v.Middleware(api, nil)) // nil: AWS-style JSON errors
//	// in api: res, _ := sigv4.ResultFrom(r.Context()); res.Principal
//
// What a request must be (the Authorization-header form only):
//
//   - Authorization: AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request,
//     SignedHeaders=<sorted lowercase names>, Signature=<64 hex>. Presigned
//     URLs (the query form), SigV4a and the Date-header alternative to
//     X-Amz-Date are not accepted; no AWS SDK uses them for this API.
//   - X-Amz-Date within MaxSkew (default 5 min) of Now, in either direction,
//     on the scope's day. The scope's service equals Verifier.Service; its
//     region equals Verifier.Region when that is set.
//   - host and x-amz-date signed; x-amz-security-token signed when sent;
//     every header named in SignedHeaders present.
//   - The body hashed into the signature: Verify always hashes the body
//     itself (at most MaxBodyBytes, default 1 MiB) and restores r.Body. An
//     X-Amz-Content-Sha256 header is optional (S3 style) but must then equal
//     that hash; UNSIGNED-PAYLOAD and STREAMING-* are refused, because the
//     broker's bodies are small JSON that a signature must cover.
//   - Temporary credentials: a Credential with a SessionToken requires the
//     same token, signed, in X-Amz-Security-Token (compared in constant
//     time); a long-term Credential refuses any session token.
//
// The canonical request follows the SigV4 spec: the path exactly as sent
// (r.RequestURI, never the decoded r.URL.Path) URI-encoded once more, as
// non-S3 services require; query names and values decoded, re-encoded and
// sorted after encoding; header values trimmed with runs of spaces
// collapsed and repeated headers joined with ','. botocore (AWS CLI, boto3)
// differs at three edges: it removes "." / ".." and empty segments from
// the path, signs query pairs as sent without re-encoding, and collapses
// any whitespace (tabs too) in header values. A request that fails the spec
// form is therefore checked once more in botocore's form when that differs;
// ordinary requests, where both agree, are signed and compared once.
// Signatures are compared with hmac.Equal.
//
// botocore also signs both values of a repeated header but sends only the
// last, so such requests fail here as they fail at AWS; and urllib3
// uppercases lowercase %xx escapes in the query after botocore signed them.
//
// Limits inherited from SigV4: a signed request can be replayed within
// MaxSkew, and the order of repeated query parameters is not signed, so
// handlers must not give it meaning. Handlers should route on a cleaned
// path (http.ServeMux does), since botocore signs the cleaned path.
//
// Errors wrap one sentinel each (ErrSignatureMismatch, ErrRequestExpired,
// ...) and say what is wrong without echoing a signature, secret or session
// token; ErrorStatus and WriteError map them to the status and
// X-Amzn-ErrorType AWS itself uses (InvalidSignatureException,
// UnrecognizedClientException, ...), so CLI users see familiar errors.
package sigv4
