package bedrock

import (
	"context"
	"errors"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// mapError turns what the SDK returned into a *model.Error (or the
// context's error when the caller gave up). inStream says the error came
// from the event stream after the response began. SDK errors are not kept.
func (p *Provider) mapError(ctx context.Context, err error, inStream, textSent bool) error {
	if err := provider.Canceled(ctx, "bedrock"); err != nil {
		return err
	}
	e := &model.Error{Provider: "bedrock"}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		e.Status = respErr.HTTPStatusCode()
		e.RequestID = respErr.ServiceRequestID()
		if respErr.Response != nil {
			e.RetryAfter = model.ParseRetryAfter(respErr.Response.Header, p.now())
		}
	}
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &apiErr):
		e.Code = apiErr.ErrorCode()
		e.Kind = kindOf(e.Code, e.Status)
		if e.Kind == model.ErrBadRequest {
			e.Message = p.safeMessage(apiErr.ErrorMessage())
		}
	case e.Status != 0: // an error body that is not Bedrock's (a proxy's page)
		e.Kind = kindOf("", e.Status)
	case inStream:
		return provider.Broken("bedrock", textSent, provider.TransportCause(err))
	case errors.As(err, new(smithy.InvalidParamsError)):
		e.Kind, e.Message = model.ErrBadRequest, "the request is missing a required field"
	case isCredentialError(err):
		e.Kind = model.ErrAuth
	default:
		e.Kind, e.Cause = model.ErrUnavailable, provider.TransportCause(err)
	}
	if inStream && textSent {
		provider.BrokeAfterText(e)
	}
	return e
}

// kindOf classifies an error by its code, else by its HTTP status.
func kindOf(code string, status int) error {
	switch code {
	case "ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException":
		return model.ErrRateLimited
	case "ServiceUnavailableException":
		return model.ErrOverloaded
	case "InternalServerException", "ModelNotReadyException", "ModelTimeoutException",
		"ModelStreamErrorException", "ModelErrorException":
		return model.ErrUnavailable
	case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
		"ExpiredTokenException", "IncompleteSignature", "MissingAuthenticationTokenException",
		"InvalidClientTokenId", "SignatureDoesNotMatch":
		return model.ErrAuth
	case "ValidationException", "ResourceNotFoundException", "ConflictException":
		return model.ErrBadRequest
	}
	if kind, ok := provider.KindOfStatus(status); ok {
		return kind
	}
	return model.ErrUnavailable // an exception of a kind this code does not know
}

// isCredentialError reports a failure to obtain credentials before the
// request was sent. The SDK has no type for it, only its wording
// ("get identity: get credentials: …").
func isCredentialError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "get identity") || strings.Contains(msg, "credentials")
}

// safeMessage is the service's explanation of a rejected request, cut
// short and without the static secrets.
func (p *Provider) safeMessage(msg string) string { return provider.SafeMessage(msg, p.secrets...) }
