package servicenow

import (
	"context"
	"testing"
	"time"
)

func TestParseOIDCProviderAndRateLimit(t *testing.T) {
	p, err := ParseOIDCProvider("name=EntraID,metadata=http://127.0.0.1:8081/t/v2.0/.well-known/openid-configuration,client_id=5e7c,user_claim=upn,user_field=user_name,clock_skew=2m,check_jti=true")
	want := OIDCProvider{Name: "EntraID", MetadataURL: "http://127.0.0.1:8081/t/v2.0/.well-known/openid-configuration", ClientID: "5e7c",
		UserClaim: "upn", UserField: "user_name", ClockSkew: 2 * time.Minute, CheckJTI: true}
	if err != nil || p != want {
		t.Errorf("ParseOIDCProvider = %+v, %v; want %+v", p, err, want)
	}
	for _, bad := range []string{"name=a,colour=red", "name", "clock_skew=soon", "check_jti=maybe", "name=a,name=b"} {
		if _, err := ParseOIDCProvider(bad); err == nil {
			t.Errorf("ParseOIDCProvider(%q) accepted", bad)
		}
	}
	for spec, want := range map[string]RateLimit{
		"per_hour=100":               {RequestsPerHour: 100},
		"user=jane.smith,per_hour=5": {User: "jane.smith", RequestsPerHour: 5},
		"role=itil, per_hour=50":     {Role: "itil", RequestsPerHour: 50},
	} {
		got, err := ParseRateLimit(spec)
		if err != nil || got != want {
			t.Errorf("ParseRateLimit(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	for _, bad := range []string{"user=x", "per_hour=0", "per_hour=-1", "per_hour=x", "group=a,per_hour=1"} {
		if _, err := ParseRateLimit(bad); err == nil {
			t.Errorf("ParseRateLimit(%q) accepted", bad)
		}
	}
}

func TestCountSeesEveryRecordMatchingTheQuery(t *testing.T) {
	e := newTestEnv(t)
	for q, want := range map[string]int{"": 10, "category=hr": 1, "assigned_to.user_name=jane.smith": 7} {
		n, err := e.srv.Count(context.Background(), "incident", q)
		if err != nil || n != want {
			t.Errorf("Count(%q) = %d, %v; want %d", q, n, err, want)
		}
	}
	if _, err := e.srv.Count(context.Background(), "incident", "bogus=1"); err == nil {
		t.Error("an invalid query was counted")
	}
}
