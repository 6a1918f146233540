package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/model"
)

func TestSafeMessageRedactsSecretsAndCutsLongText(t *testing.T) {
	if got := SafeMessage("bad key sk-123 here", "", "sk-123"); got != "bad key [redacted] here" {
		t.Errorf("SafeMessage = %q, want the key redacted and an empty secret ignored", got)
	}
	long := SafeMessage(strings.Repeat("é", 200))
	if !strings.HasSuffix(long, "…") || len(long) > maxMessage+len("…") || !strings.HasPrefix(long, "éé") {
		t.Errorf("SafeMessage of 400 bytes = %q, want at most %d bytes of valid text and an ellipsis", long, maxMessage)
	}
}

func TestKindOfStatusClassifiesEveryErrorStatus(t *testing.T) {
	for status, want := range map[int]error{
		429: model.ErrRateLimited, 529: model.ErrOverloaded, 503: model.ErrOverloaded,
		401: model.ErrAuth, 403: model.ErrAuth, 408: model.ErrUnavailable, 500: model.ErrUnavailable,
		502: model.ErrUnavailable, 400: model.ErrBadRequest, 402: model.ErrBadRequest, 404: model.ErrBadRequest,
	} {
		if got, ok := KindOfStatus(status); !ok || !errors.Is(got, want) {
			t.Errorf("KindOfStatus(%d) = %v, %v; want %v", status, got, ok, want)
		}
	}
	if got, ok := KindOfStatus(200); ok {
		t.Errorf("KindOfStatus(200) = %v, want none", got)
	}
}

func TestToolInputTurnsEmptyIntoAnObjectAndRejectsBrokenJSON(t *testing.T) {
	if in, ok := ToolInput("  "); !ok || string(in) != "{}" {
		t.Errorf("ToolInput(blank) = %s, %v; want {}", in, ok)
	}
	if _, ok := ToolInput(`{"limit": 5`); ok {
		t.Error("ToolInput accepted JSON cut off mid-object")
	}
}

func TestBaseURLRejectsURLsWithoutSchemeOrHost(t *testing.T) {
	for _, raw := range []string{"127.0.0.1:11434", "ftp://x", "http://", "::"} {
		if _, err := BaseURL("openai", raw); err == nil || !strings.HasPrefix(err.Error(), "openai: ") {
			t.Errorf("BaseURL(%q) = %v, want an error naming the provider", raw, err)
		}
	}
	u, err := BaseURL("openai", "https://u:pw@gw.example.com/v1/?k=v#f")
	if err != nil || ShownURL(u) != "https://gw.example.com/v1" {
		t.Errorf("ShownURL = %q, %v; want no user info, query or fragment", ShownURL(u), err)
	}
}
