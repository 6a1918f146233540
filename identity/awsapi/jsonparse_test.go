package awsapi

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

// stdParse is what decodeInput used before parseJSON: encoding/json's
// Decoder with UseNumber, one value, nothing after it.
func stdParse(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errSyntax
	}
	return v, nil
}

var jsonSeeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0.5e+10`, `"x"`, ` {"a" : [1, 2.5, "s", null, true, {"b": {}}]} `,
	`{"workloadIdentityToken":"obwat1.AAAA","scopes":["api://x/user_impersonation"],"oauth2Flow":"M2M"}`,
	`"\u00e9\ud83d\ude00\n\t\"\\\/"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`, "\"\xff\xfe ok\"", "\"caf\xc3\xa9\"",
	`{"a":1,"a":2}`, `01`, `1.`, `.5`, `-`, `1e`, `"\x"`, `"\u12"`, "\"a\x01\"", `{"a" 1}`, `{"a":1,}`, `[1,]`, `tru`,
	`{} {}`, `[` + strings.Repeat(`[`, 70) + strings.Repeat(`]`, 71), `"` + strings.Repeat("A", 3000) + `"`,
}

func TestParseJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonSeeds {
		compareParsers(t, []byte(s))
	}
}

func FuzzParseJSONMatchesEncodingJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(compareParsers)
}

func compareParsers(t *testing.T, b []byte) {
	want, werr := stdParse(b)
	got, gerr := parseJSON(b)
	if (werr == nil) != (gerr == nil) {
		// encoding/json has no depth limit below 10000; parseJSON stops at
		// maxDepth, which refuses more, never less.
		if werr == nil && bytes.Count(b, []byte("["))+bytes.Count(b, []byte("{")) > maxDepth {
			return
		}
		t.Fatalf("%q: encoding/json err=%v, parseJSON err=%v", b, werr, gerr)
	}
	if werr == nil && !reflect.DeepEqual(want, got) {
		t.Fatalf("%q:\n encoding/json %#v\n parseJSON     %#v", b, want, got)
	}
}
