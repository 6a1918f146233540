package authorizer

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfigReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Config{
		DiscoveryURL:       "http://idp.example.com/.well-known/openid-configuration",
		AllowedClients:     []string{""},
		Algorithms:         []string{"RS256", "HS256", "none", "FOO256"},
		ClockSkew:          -time.Second,
		MaxTokenBytes:      -1,
		RefreshInterval:    -time.Second,
		MinRefreshInterval: -time.Second,
	}.validate(true)
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("validate: %v; want ErrInvalidConfig", err)
	}
	for _, want := range []string{
		`DiscoveryURL: "http://idp.example.com/.well-known/openid-configuration": http is allowed only on a loopback host`,
		"AllowedAudiences: required",
		"AllowedClients: contains an empty string",
		`Algorithms: "HS256" is never allowed`,
		`Algorithms: "none" is never allowed`,
		`Algorithms: "FOO256" is not supported`,
		"ClockSkew: must not be negative",
		"MaxTokenBytes: must not be negative",
		"RefreshInterval: must not be negative",
		"MinRefreshInterval: must not be negative",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q; got:\n%v", want, err)
		}
	}
}

func TestConfigZeroValueIsStrict(t *testing.T) {
	_, err := New(t.Context(), Config{})
	for _, want := range []string{"DiscoveryURL: required", "AllowedAudiences: required"} {
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("zero Config: %v; want ErrInvalidConfig naming %q", err, want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	s, err := Config{DiscoveryURL: "https://idp.example/.well-known/openid-configuration", AllowedAudiences: []string{"x"}}.validate(true)
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	if !slices.Equal(s.algorithms, DefaultAlgorithms) || s.ClockSkew != 60*time.Second || s.MaxTokenBytes != 16<<10 ||
		s.RefreshInterval != time.Hour || s.MinRefreshInterval != 5*time.Minute || s.HTTPClient == nil || s.Now == nil || s.Logger == nil {
		t.Errorf("defaults not applied: algs %v skew %s max %d refresh %s min %s client %v", s.algorithms, s.ClockSkew,
			s.MaxTokenBytes, s.RefreshInterval, s.MinRefreshInterval, s.HTTPClient != nil)
	}
}

func TestConfigURLRules(t *testing.T) {
	tests := []struct {
		url       string
		allowHTTP bool
		ok        bool
	}{
		{"https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration", false, true},
		{"http://127.0.0.1:8080/.well-known/openid-configuration", false, true},
		{"http://localhost:8080/.well-known/openid-configuration", false, true},
		{"http://[::1]:8080/.well-known/openid-configuration", false, true},
		{"http://entra-emulator:8080/.well-known/openid-configuration", false, false},
		{"http://entra-emulator:8080/.well-known/openid-configuration", true, true},
		{"https://user:pass@idp.example/.well-known/openid-configuration", false, false},
		{"ftp://idp.example/x", false, false},
		{"/relative/path", false, false},
	}
	for _, tt := range tests {
		err := checkFetchURL(tt.url, tt.allowHTTP)
		if (err == nil) != tt.ok {
			t.Errorf("checkFetchURL(%q, %v) = %v; want ok=%v", tt.url, tt.allowHTTP, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), "pass") {
			t.Errorf("error repeats credentials: %v", err)
		}
	}
}

func TestConfigAudienceOptOutIsExplicit(t *testing.T) {
	base := Config{DiscoveryURL: "https://idp.example/.well-known/openid-configuration"}
	skip := base
	skip.SkipAudienceCheck = true
	if _, err := skip.validate(true); err != nil {
		t.Errorf("SkipAudienceCheck without audiences: %v; want ok", err)
	}
	both := skip
	both.AllowedAudiences = []string{"x"}
	if _, err := both.validate(true); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("SkipAudienceCheck with audiences: %v; want ErrInvalidConfig", err)
	}
}

func TestNewWithKeySetValidates(t *testing.T) {
	_, err := NewWithKeySet("", nil, Config{DiscoveryURL: "https://x/.well-known/openid-configuration"})
	for _, want := range []string{"issuer: required", "keys: required", "DiscoveryURL: must be empty", "AllowedAudiences: required"} {
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), want) {
			t.Errorf("NewWithKeySet: %v; want ErrInvalidConfig naming %q", err, want)
		}
	}
}

func TestDefaultClientRefusesRedirectDowngrade(t *testing.T) {
	s, err := Config{DiscoveryURL: "https://idp.example/.well-known/openid-configuration", AllowedAudiences: []string{"x"}}.validate(true)
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	check := s.HTTPClient.CheckRedirect
	for _, tt := range []struct {
		to string
		ok bool
	}{
		{"https://idp.example/keys", true},
		{"http://127.0.0.1:9/keys", true},
		{"http://idp.example/keys", false},
	} {
		req := httptest.NewRequest("GET", tt.to, nil)
		if err := check(req, nil); (err == nil) != tt.ok {
			t.Errorf("redirect to %s: %v; want ok=%v", tt.to, err, tt.ok)
		}
	}
	req := httptest.NewRequest("GET", "https://idp.example/keys", nil)
	if err := check(req, make([]*http.Request, 5)); err == nil {
		t.Error("sixth redirect allowed; want refused")
	}
}
