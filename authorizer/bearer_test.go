package authorizer

import (
	"errors"
	"net/http/httptest"
	"testing"
)

func TestBearerTokenExtractsTokenCaseInsensitively(t *testing.T) {
	for _, header := range []string{"Bearer abc.def.ghi", "bearer abc.def.ghi", "BEARER   abc.def.ghi  "} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", header)
		got, err := BearerToken(r)
		if err != nil || got != "abc.def.ghi" {
			t.Errorf("BearerToken(%q) = %q, %v; want %q, nil", header, got, err, "abc.def.ghi")
		}
	}
}

func TestBearerTokenRefusals(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    error
	}{
		{"no header", nil, ErrMissingToken},
		{"basic scheme", []string{"Basic dXNlcjpwYXNz"}, ErrMissingToken},
		{"scheme only", []string{"Bearer"}, ErrMalformed},
		{"empty token", []string{"Bearer    "}, ErrMalformed},
		{"two tokens", []string{"Bearer a.b.c d.e.f"}, ErrMalformed},
		{"comma", []string{"Bearer a.b.c,x"}, ErrMalformed},
		{"repeated header", []string{"Bearer a.b.c", "Bearer d.e.f"}, ErrMalformed},
		{"only padding", []string{"Bearer ==="}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			got, err := BearerToken(r)
			if !errors.Is(err, tt.want) {
				t.Fatalf("BearerToken = %q, %v; want error %v", got, err, tt.want)
			}
		})
	}
}
