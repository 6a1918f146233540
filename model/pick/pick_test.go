package pick

import (
	"context"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestChooseDetectsTheProviderFromTheEnvironment(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		wantName string
	}{
		{"nothing set", map[string]string{}, "offline planner"},
		{"AWS variables alone never pick Bedrock", map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "x"}, "offline planner"},
		{"anthropic key", map[string]string{"ANTHROPIC_API_KEY": "sk-test"}, "anthropic:"},
		{"ollama", map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1", "ONBEHALF_OPENAI_MODEL": "llama3.1"}, "openai:llama3.1@http://127.0.0.1:11434/v1"},
		{"bedrock named", map[string]string{EnvModel: "bedrock", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "x", "AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}, "bedrock:us.anthropic.claude-sonnet-4-20250514-v1:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, why, err := Choose(context.Background(), Spec{Provider: Auto}, env(tt.env), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(p.Name(), tt.wantName) || why == "" {
				t.Errorf("chose %q (%s), want %q…", p.Name(), why, tt.wantName)
			}
			for _, secret := range []string{"sk-test", "AKIA"} {
				if strings.Contains(why, secret) || strings.Contains(p.Name(), secret) {
					t.Errorf("name %q or reason %q shows a credential", p.Name(), why)
				}
			}
		})
	}
}

func TestChooseRefusesAConfiguredProviderWithoutCredentials(t *testing.T) {
	for _, name := range []string{Anthropic, Bedrock} {
		_, _, err := Choose(context.Background(), Spec{Provider: name}, env(map[string]string{}), nil)
		if err == nil || !strings.Contains(err.Error(), "not configured") {
			t.Errorf("%s without credentials: err = %v, want 'not configured'", name, err)
		}
	}
	if _, _, err := Choose(context.Background(), Spec{Provider: "gpt"}, env(nil), nil); err == nil || !strings.Contains(err.Error(), `"gpt"`) {
		t.Errorf("unknown provider: err = %v", err)
	}
}

func TestChooseUsesAConfiguredOpenAICompatibleBaseURL(t *testing.T) {
	p, _, err := Choose(context.Background(), Spec{Provider: OpenAI, ID: "qwen2.5", BaseURL: "http://127.0.0.1:8000/v1"}, env(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "openai:qwen2.5@http://127.0.0.1:8000/v1" {
		t.Errorf("name = %q", p.Name())
	}
}
