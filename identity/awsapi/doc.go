// Package awsapi is the identity broker's HTTP face: the Amazon Bedrock
// AgentCore Identity operations of the `bedrock-agentcore` (data plane) and
// `bedrock-agentcore-control` (control plane) services, wire-compatible with
// their botocore models, so that the AWS CLI, boto3 and the AWS SDK for Go
// talk to an onbehalf broker unchanged, with only an endpoint override.
//
// It is a package of its own because it is all transport: routing, strict
// request decoding, validation against the service models, SigV4
// authentication and per-key authorization, the AWS error shape. The
// broker's behaviour lives in package identity; this package only decodes,
// authorizes, calls and encodes.
//
// # Quick start
//
//	keys := awsapi.NewKeyStore(st, kr, nil)
//	admin, _ := keys.Create(ctx, awsapi.Grant{Admin: true})
//	h, _ := awsapi.NewHandler(broker, keys, &awsapi.Options{Region: "us-east-1"})
//	http.ListenAndServe("127.0.0.1:8081", h)
//
// then, with admin's key id and secret in the environment:
//
//	aws bedrock-agentcore-control list-workload-identities --endpoint-url http://127.0.0.1:8081
//
// # Wire
//
// Every operation is POST at the model's path (/identities/…), JSON in and
// out, answered with the model's status (201 for Create…, 204 for Delete…).
// Every response carries x-amzn-RequestId. Errors are the HTTP status, an
// X-Amzn-ErrorType header and {"message": …} (ValidationException adds
// reason and fieldList). Request bodies are validated against the embedded
// subset of the botocore models (model.json; `go test -run
// TestModelMatchesBotocore -update` regenerates it from the installed
// botocore): required members, lengths, full-match patterns, enums, unions,
// and members nobody defined or this broker does not support are refused
// instead of being silently dropped. Timestamps go out as epoch seconds,
// rest-json's default.
//
// # Authentication and authorization
//
// Every call is SigV4-signed for the signing name both models declare,
// "bedrock-agentcore", with a bounded clock skew. Access keys live in a
// [KeyStore], sealed with the broker's keyring in the store's vault table. An
// admin key may call everything; a workload key may call the data plane
// only, only for its own workload (the workloadName it asks a workload
// access token for, and the workload inside the token it presents), and
// only through the providers that workload is allowed.
//
// Three things are served without SigV4, because browsers and identity
// providers call them: GET /ping, the broker's OAuth2 callback
// (identity.CallbackPath, GET and POST) and the PRIVATE_KEY_JWT key sets
// (JWKSPath + provider name).
//
// # Secrets
//
// Client secrets, API keys, tokens and signatures are never written to a
// response (other than the token the operation returns), an error message or
// a log line. Logs carry the access key id, the operation and the request id.
package awsapi
