package awsapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type assignInner struct {
	ClientID string            `json:"clientId"`
	Scopes   []string          `json:"actorTokenScopes,omitempty"`
	Tags     map[string]string `json:"tags"`
}

type assignEmbedded struct {
	Shared string `json:"shared"`
}

type assignInput struct {
	assignEmbedded
	Name    string       `json:"name"`
	Force   bool         `json:"forceAuthentication"`
	Max     *int32       `json:"maxResults"`
	Inner   *assignInner `json:"inner"`
	List    []assignInner
	Skipped string `json:"-"`
}

func TestAssignFillsLikeEncodingJSON(t *testing.T) {
	body := []byte(`{"shared":"s","name":"n","forceAuthentication":true,"maxResults":20,
		"inner":{"clientId":"c","actorTokenScopes":["a","b"],"tags":{"k":"v"}},
		"List":[{"clientId":"x"},{"clientId":"y","tags":{}}],"-":"ignored"}`)
	var want, got assignInput
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if err := assign(reflect.ValueOf(&got).Elem(), raw); err != nil {
		t.Fatalf("assign: %v", err)
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(assignInput{})); d != "" {
		t.Errorf("assign differs from json.Unmarshal (-want +got):\n%s", d)
	}
}

func TestAssignRefusesWhatItCannotDoSoDecodeFallsBack(t *testing.T) {
	var overflow struct {
		N int8 `json:"n"`
	}
	if err := assign(reflect.ValueOf(&overflow).Elem(), map[string]any{"n": json.Number("300")}); err != errAssign {
		t.Errorf("int8 overflow: got %v, want errAssign", err)
	}
	var custom struct {
		R json.RawMessage `json:"r"`
	}
	if err := assign(reflect.ValueOf(&custom).Elem(), map[string]any{"r": "x"}); err != errAssign {
		t.Errorf("json.RawMessage: got %v, want errAssign", err)
	}
}
