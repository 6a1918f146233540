package awsapi

import (
	"testing"
)

// shortInput is GetResourceOauth2Token's input as a broker that does not
// know customState would have it.
type shortInput struct {
	WorkloadIdentityToken          string   `json:"workloadIdentityToken"`
	ResourceCredentialProviderName string   `json:"resourceCredentialProviderName"`
	Scopes                         []string `json:"scopes"`
	Oauth2Flow                     string   `json:"oauth2Flow"`
}

func TestModelMemberTheBrokerCannotHoldIsRefusedNotDropped(t *testing.T) {
	svc := theModel.Services[DataPlaneService]
	op := svc.Operations["GetResourceOauth2Token"]
	var in shortInput
	e := decodeInput(svc, op, []byte(`{"workloadIdentityToken":"w","resourceCredentialProviderName":"P","scopes":[],"oauth2Flow":"M2M","customState":"s"}`), &in)
	if e == nil || len(e.Fields) != 1 || e.Fields[0].Name != "customState" || e.Fields[0].Message != "Member is not supported by this broker" {
		t.Fatalf("got %+v, want customState refused as unsupported", e)
	}
	if e := decodeInput(svc, op, []byte(`{"workloadIdentityToken":"w","resourceCredentialProviderName":"P","scopes":["a"],"oauth2Flow":"M2M"}`), &in); e != nil {
		t.Fatalf("a valid body: %+v", e)
	}
	if in.ResourceCredentialProviderName != "P" || len(in.Scopes) != 1 {
		t.Errorf("decoded %+v", in)
	}
}

func TestEnumAndLengthViolationsAreNamed(t *testing.T) {
	svc := theModel.Services[DataPlaneService]
	op := svc.Operations["GetResourceOauth2Token"]
	var in shortInput
	e := decodeInput(svc, op, []byte(`{"workloadIdentityToken":"","resourceCredentialProviderName":"P","scopes":["`+string(make([]byte, 0))+`"],"oauth2Flow":"PASSWORD"}`), &in)
	if e == nil || e.Reason != reasonFieldValidationFailed {
		t.Fatalf("got %+v", e)
	}
	want := map[string]string{
		"oauth2Flow":            "Member must satisfy enum value set: [USER_FEDERATION, M2M, ON_BEHALF_OF_TOKEN_EXCHANGE]",
		"scopes[0]":             "Member must have length greater than or equal to 1",
		"workloadIdentityToken": "Member must have length greater than or equal to 1",
	}
	if len(e.Fields) != len(want) {
		t.Fatalf("fields %+v, want %v", e.Fields, want)
	}
	for _, f := range e.Fields {
		if want[f.Name] != f.Message {
			t.Errorf("%s: %q, want %q", f.Name, f.Message, want[f.Name])
		}
	}
}
