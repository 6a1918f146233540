package authorizer

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestChallengeForEachSentinel(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, `Bearer realm="onbehalf"`},
		{ErrMissingToken, `Bearer realm="onbehalf"`},
		{ErrExpired, `Bearer realm="onbehalf", error="invalid_token", error_description="the token has expired"`},
		{ErrAudience, `Bearer realm="onbehalf", error="invalid_token", error_description="the token audience is not allowed"`},
		{ErrSignature, `Bearer realm="onbehalf", error="invalid_token", error_description="the token signature is invalid"`},
		{ErrScope, `Bearer realm="onbehalf", error="insufficient_scope", error_description="the token has none of the required scopes"`},
		{errors.New("something else"), `Bearer realm="onbehalf", error="invalid_token", error_description="the token is invalid"`},
	}
	for _, tt := range tests {
		wrapped := fmt.Errorf("authorizer: %w: context that must not leak", tt.err)
		if tt.err == nil {
			wrapped = nil
		}
		if got := Challenge(wrapped, "onbehalf"); got != tt.want {
			t.Errorf("Challenge(%v):\n got %s\nwant %s", tt.err, got, tt.want)
		}
	}
}

func TestChallengeEscapesRealm(t *testing.T) {
	got := Challenge(ErrMissingToken, "a\"b\\c\r\nSet-Cookie: x")
	want := `Bearer realm="a\"b\\cSet-Cookie: x"`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestStatusCodeMapsErrors(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, http.StatusOK},
		{ErrExpired, http.StatusUnauthorized},
		{ErrMissingToken, http.StatusUnauthorized},
		{ErrScope, http.StatusForbidden},
		{fmt.Errorf("x: %w", ErrKeySetUnavailable), http.StatusServiceUnavailable},
		{fmt.Errorf("%w: %w", ErrUnknownKey, ErrKeySetUnavailable), http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		if got := StatusCode(tt.err); got != tt.want {
			t.Errorf("StatusCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func ExampleChallenge() {
	err := fmt.Errorf("authorizer: %w: exp is 3m0s ago", ErrExpired)
	fmt.Println(Challenge(err, "onbehalf"))
	fmt.Println(Challenge(ErrMissingToken, "onbehalf"))
	// Output:
	// Bearer realm="onbehalf", error="invalid_token", error_description="the token has expired"
	// Bearer realm="onbehalf"
}
