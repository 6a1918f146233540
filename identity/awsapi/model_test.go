package awsapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate model.json from the installed botocore")

// botocoreModel reads the installed botocore's service-2.json(.gz) for svc.
func botocoreModel(t *testing.T, svc string) map[string]any {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		t.Skipf("botocore is not installed: %v", err)
	}
	dirs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "data", svc, "*"))
	if len(dirs) == 0 {
		t.Skipf("botocore has no %s model", svc)
	}
	sort.Strings(dirs)
	dir := dirs[len(dirs)-1]
	var r io.Reader
	if f, err := os.Open(filepath.Join(dir, "service-2.json.gz")); err == nil {
		defer f.Close()
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	} else {
		f, err := os.Open(filepath.Join(dir, "service-2.json"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r = f
	}
	var m map[string]any
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// extract reduces a botocore model to the served operations' inputs.
func extract(t *testing.T, svc string, raw map[string]any) *serviceModel {
	meta := raw["metadata"].(map[string]any)
	ops := raw["operations"].(map[string]any)
	shapes := raw["shapes"].(map[string]any)
	sm := &serviceModel{SigningName: meta["signingName"].(string), Operations: map[string]*operationModel{}, Shapes: map[string]*shape{}}
	var add func(name string)
	add = func(name string) {
		if _, done := sm.Shapes[name]; done {
			return
		}
		rs := shapes[name].(map[string]any)
		sh := &shape{Type: rs["type"].(string)}
		sm.Shapes[name] = sh
		if v, ok := rs["min"].(float64); ok {
			sh.Min = &v
		}
		if v, ok := rs["max"].(float64); ok {
			sh.Max = &v
		}
		sh.Pattern, _ = rs["pattern"].(string)
		sh.Sensitive, _ = rs["sensitive"].(bool)
		sh.Union, _ = rs["union"].(bool)
		for _, e := range asList(rs["enum"]) {
			sh.Enum = append(sh.Enum, e.(string))
		}
		for _, e := range asList(rs["required"]) {
			sh.Required = append(sh.Required, e.(string))
		}
		switch sh.Type {
		case "structure":
			sh.Members = map[string]member{}
			for mn, mv := range rs["members"].(map[string]any) {
				mm := mv.(map[string]any)
				if _, ok := mm["location"]; ok {
					t.Fatalf("%s.%s is bound to %v, not the body: teach the validator", name, mn, mm["location"])
				}
				if _, ok := mm["jsonName"]; ok {
					t.Fatalf("%s.%s has a jsonName: teach the validator", name, mn)
				}
				sh.Members[mn] = member{Shape: mm["shape"].(string)}
				add(mm["shape"].(string))
			}
		case "list":
			sh.Member = rs["member"].(map[string]any)["shape"].(string)
			add(sh.Member)
		case "map":
			sh.Key = rs["key"].(map[string]any)["shape"].(string)
			sh.Value = rs["value"].(map[string]any)["shape"].(string)
			add(sh.Key)
			add(sh.Value)
		}
	}
	for _, name := range servedOperations[svc] {
		op, ok := ops[name].(map[string]any)
		if !ok {
			t.Fatalf("botocore %s has no operation %s", svc, name)
		}
		h := op["http"].(map[string]any)
		if h["method"] != "POST" {
			t.Fatalf("%s is %v, not POST", name, h["method"])
		}
		in := op["input"].(map[string]any)["shape"].(string)
		sm.Operations[name] = &operationModel{Path: h["requestUri"].(string), Status: int(h["responseCode"].(float64)), Input: in}
		add(in)
	}
	return sm
}

func asList(v any) []any { l, _ := v.([]any); return l }

func TestModelMatchesBotocore(t *testing.T) {
	want := &modelFile{Services: map[string]*serviceModel{}}
	for svc := range servedOperations {
		want.Services[svc] = extract(t, svc, botocoreModel(t, svc))
	}
	b, err := json.MarshalIndent(want, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *update {
		if err := os.WriteFile("model.json", b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(b, modelJSON) {
		t.Errorf("model.json differs from the installed botocore's models; run go test -run TestModelMatchesBotocore -update and review the diff")
	}
	for svc, sm := range want.Services {
		if sm.SigningName != SigningName {
			t.Errorf("%s signs as %q, want %q", svc, sm.SigningName, SigningName)
		}
	}
}
