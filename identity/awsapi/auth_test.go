package awsapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"

	"github.com/onbehalf/onbehalf/identity/awsapi"
)

const watPath = "/identities/GetWorkloadAccessTokenForJWT"

type errBody struct {
	Message   string `json:"message"`
	Reason    string `json:"reason"`
	FieldList []struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"fieldList"`
}

// wantError asserts an AWS-shaped error: status, X-Amzn-ErrorType, a JSON
// message and a request id.
func wantError(t *testing.T, resp *http.Response, body []byte, status int, typ string) errBody {
	t.Helper()
	if resp.StatusCode != status || resp.Header.Get("X-Amzn-ErrorType") != typ {
		t.Errorf("got %d %q, want %d %q (body %s)", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), status, typ, body)
	}
	var e errBody
	if err := json.Unmarshal(body, &e); err != nil || e.Message == "" {
		t.Errorf("body %s is not {\"message\": …}", body)
	}
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("no x-amzn-RequestId header")
	}
	return e
}

func (w *world) watBody(t *testing.T, wl string) string {
	b, _ := json.Marshal(map[string]string{"workloadName": wl, "userToken": w.idp.TokenA(t, jane)})
	return string(b)
}

func TestUnsignedCallIsRefusedAsMissingAuthenticationToken(t *testing.T) {
	w := newWorld(t)
	resp, body := w.rawCall(t, watPath, w.watBody(t, workload), nil)
	wantError(t, resp, body, http.StatusForbidden, "MissingAuthenticationTokenException")
}

func TestWrongSecretIsRefusedAsInvalidSignature(t *testing.T) {
	w := newWorld(t)
	forged := w.wl
	forged.SecretAccessKey = strings.Repeat("x", 40)
	body := w.watBody(t, workload)
	resp, rb := w.rawCall(t, watPath, body, sign(t, forged, body, time.Now()))
	wantError(t, resp, rb, http.StatusForbidden, "InvalidSignatureException")

	// The Go SDK surfaces the same code.
	_, err := w.dataClient(forged).GetWorkloadAccessTokenForJWT(context.Background(), &bedrockagentcore.GetWorkloadAccessTokenForJWTInput{
		WorkloadName: aws.String(workload), UserToken: aws.String(w.idp.TokenA(t, jane)),
	})
	if code, st := apiErr(t, err); code != "InvalidSignatureException" || st != http.StatusForbidden {
		t.Errorf("Go SDK got %s %d, want InvalidSignatureException 403", code, st)
	}
}

func TestUnknownAccessKeyIsRefusedAsUnrecognizedClient(t *testing.T) {
	w := newWorld(t)
	stranger := awsapi.AccessKey{AccessKeyID: "AKOBNOBODYKNOWSTHIS", SecretAccessKey: strings.Repeat("y", 40)}
	body := w.watBody(t, workload)
	resp, rb := w.rawCall(t, watPath, body, sign(t, stranger, body, time.Now()))
	wantError(t, resp, rb, http.StatusForbidden, "UnrecognizedClientException")
}

func TestSignatureOutsideTheClockSkewIsRefused(t *testing.T) {
	w := newWorld(t)
	body := w.watBody(t, workload)
	resp, rb := w.rawCall(t, watPath, body, sign(t, w.wl, body, time.Now().Add(-10*time.Minute)))
	e := wantError(t, resp, rb, http.StatusForbidden, "InvalidSignatureException")
	if !strings.Contains(e.Message, "skew") {
		t.Errorf("message %q does not say the clock is off", e.Message)
	}
}

func TestRevokedKeyIsRefusedAtOnce(t *testing.T) {
	w := newWorld(t)
	body := w.watBody(t, workload)
	if resp, rb := w.rawCall(t, watPath, body, sign(t, w.wl, body, time.Now())); resp.StatusCode != http.StatusOK {
		t.Fatalf("before revoking: %d %s", resp.StatusCode, rb)
	}
	if err := w.keys.Revoke(context.Background(), w.wl.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	resp, rb := w.rawCall(t, watPath, body, sign(t, w.wl, body, time.Now()))
	wantError(t, resp, rb, http.StatusForbidden, "UnrecognizedClientException")
}

func TestValidationErrorsNameEveryFieldLikeAWS(t *testing.T) {
	w := newWorld(t)
	body := `{"workloadName":"no spaces allowed","unexpected":1}`
	resp, rb := w.rawCall(t, watPath, body, sign(t, w.admin, body, time.Now()))
	e := wantError(t, resp, rb, http.StatusBadRequest, "ValidationException")
	if e.Reason != "FieldValidationFailed" {
		t.Errorf("reason %q, want FieldValidationFailed", e.Reason)
	}
	var names []string
	for _, f := range e.FieldList {
		names = append(names, f.Name)
	}
	if want := []string{"unexpected", "userToken", "workloadName"}; !slices.Equal(names, want) {
		t.Errorf("fieldList names %q, want %q", names, want)
	}
	if !strings.HasPrefix(e.Message, "3 validation errors detected: Value at 'unexpected'") ||
		!strings.Contains(e.Message, "Member must satisfy regular expression pattern: [A-Za-z0-9_.-]+") ||
		!strings.Contains(e.Message, "; Value at 'userToken' failed to satisfy constraint: Member must not be null; Value at 'workloadName'") {
		t.Errorf("message %q is not AWS's wording", e.Message)
	}
	if strings.Contains(e.Message, "no spaces allowed") {
		t.Errorf("message quotes the value: %q", e.Message)
	}
}

func TestMalformedJSONCannotParse(t *testing.T) {
	w := newWorld(t)
	for _, body := range []string{`{"workloadName":`, `{"workloadName":42,"userToken":"a.b.c"}`, `{} {}`} {
		resp, rb := w.rawCall(t, watPath, body, sign(t, w.admin, body, time.Now()))
		if e := wantError(t, resp, rb, http.StatusBadRequest, "ValidationException"); e.Reason != "CannotParse" {
			t.Errorf("%s: reason %q, want CannotParse", body, e.Reason)
		}
	}
}

func TestUnknownPathIsUnknownOperation(t *testing.T) {
	w := newWorld(t)
	resp, rb := w.rawCall(t, "/identities/NoSuchThing", "{}", sign(t, w.admin, "{}", time.Now()))
	wantError(t, resp, rb, http.StatusNotFound, "UnknownOperationException")
}

func TestEveryResponseHasItsOwnRequestID(t *testing.T) {
	w := newWorld(t)
	seen := map[string]bool{}
	for range 3 {
		body := w.watBody(t, workload)
		resp, _ := w.rawCall(t, watPath, body, sign(t, w.wl, body, time.Now()))
		id := resp.Header.Get("x-amzn-RequestId")
		if len(id) != 36 || seen[id] {
			t.Errorf("request id %q is not a fresh UUID", id)
		}
		seen[id] = true
	}
}

func TestCallsOverTheKeysRateAreThrottled(t *testing.T) {
	w := newWorldWith(t, worldOptions{rateLimit: 0.001})
	body := w.watBody(t, workload)
	if resp, rb := w.rawCall(t, watPath, body, sign(t, w.wl, body, time.Now())); resp.StatusCode != http.StatusOK {
		t.Fatalf("first call: %d %s", resp.StatusCode, rb)
	}
	resp, rb := w.rawCall(t, watPath, body, sign(t, w.wl, body, time.Now()))
	wantError(t, resp, rb, http.StatusTooManyRequests, "ThrottlingException")
	// Another key has its own bucket.
	if resp, rb := w.rawCall(t, watPath, body, sign(t, w.admin, body, time.Now())); resp.StatusCode != http.StatusOK {
		t.Errorf("the admin key was throttled by the workload key's calls: %d %s", resp.StatusCode, rb)
	}
}

// A signed body over the broker's bound is refused as too large, in the
// AWS error shape, before anything parses it; one at the bound is read
// whole (and then judged by the model: it is not a valid request).
func TestOversizedBodyIsRefused(t *testing.T) {
	w := newWorld(t)
	huge := `{"workloadName":"` + strings.Repeat("a", 512<<10) + `"}`
	resp, rb := w.rawCall(t, watPath, huge, sign(t, w.wl, huge, time.Now()))
	e := wantError(t, resp, rb, http.StatusRequestEntityTooLarge, "ValidationException")
	if !strings.Contains(e.Message, "too large") {
		t.Errorf("message %q does not say the body is too large", e.Message)
	}
	atBound := `{"workloadName":"` + strings.Repeat("a", 512<<10-20) + `"}`
	resp, rb = w.rawCall(t, watPath, atBound, sign(t, w.wl, atBound, time.Now()))
	wantError(t, resp, rb, http.StatusBadRequest, "ValidationException")
}
