package bedrock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/onbehalf/onbehalf/model"
)

// mapError turns what the SDK returned into a *model.Error (or the
// context's error when the caller gave up). inStream says the error came
// from the event stream after the response began. SDK errors are not kept.
func (p *Provider) mapError(ctx context.Context, err error, inStream, textSent bool) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("bedrock: %w", ctxErr)
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
		return p.broken(textSent, transportCause(err))
	case errors.As(err, new(smithy.InvalidParamsError)):
		e.Kind, e.Message = model.ErrBadRequest, "the request is missing a required field"
	case isCredentialError(err):
		e.Kind = model.ErrAuth
	default:
		e.Kind, e.Cause = model.ErrUnavailable, transportCause(err)
	}
	if inStream && textSent {
		e.Kind, e.Cause, e.TextSent = model.ErrStreamBroken, e.Kind, true
	}
	return e
}

// broken is the error for a stream that ended before messageStop.
func (p *Provider) broken(textSent bool, cause error) error {
	return &model.Error{Provider: "bedrock", Kind: model.ErrStreamBroken, Cause: cause, TextSent: textSent}
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
	switch {
	case status == http.StatusTooManyRequests:
		return model.ErrRateLimited
	case status == 529 || status == http.StatusServiceUnavailable:
		return model.ErrOverloaded
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return model.ErrAuth
	case status == http.StatusRequestTimeout || status >= 500:
		return model.ErrUnavailable
	case status >= 400:
		return model.ErrBadRequest
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

// transportCause keeps the standard-library part of a transport error.
func transportCause(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return io.ErrUnexpectedEOF
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the URL itself is left out
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return netErr
	}
	return nil
}

// safeMessage is the service's explanation of a rejected request, cut
// short and without the static secrets.
func (p *Provider) safeMessage(msg string) string {
	for _, s := range p.secrets {
		msg = strings.ReplaceAll(msg, s, "[redacted]")
	}
	const max = 300
	if len(msg) > max {
		msg = strings.ToValidUTF8(msg[:max], "") + "…"
	}
	return msg
}
