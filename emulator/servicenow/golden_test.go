package servicenow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Golden transcripts (testdata/golden/*.txtar) hold requests and the exact
// responses the emulator gives, so any change to a wire shape shows up as
// a diff; `go test -run TestGolden -update` rewrites the responses. Where a
// step has a "reference" section (a real capture or a documented sample
// from REFERENCE.md, "…" eliding), the response must also match it shape
// for shape: every header named there matches its pattern, and the JSON
// body has the same structure (same keys, strings where strings are, "…"
// matching any text; a "…" key allows more keys).
var update = flag.Bool("update", false, "rewrite the responses in testdata/golden/*.txtar")

// goldenBase is the instance URL in golden links: a real-looking host.
const goldenBase = "https://dev12345.service-now.com"

// goldenPassword is the Basic password of every user in golden runs.
func goldenPassword(user string) string { return "golden-" + user + "-pw" }

func newGoldenServer(t *testing.T) *httptest.Server {
	t.Helper()
	users := []SeedUser{
		{UserName: "jane.smith", Password: goldenPassword("jane.smith")},
		{UserName: "bob.jones", Password: goldenPassword("bob.jones")},
		{UserName: "viewer", Name: "Vera Viewer", Email: "viewer@company.com", Password: goldenPassword("viewer")},
		{UserName: "limited", Name: "Lim Ited", Email: "limited@company.com", Roles: []string{"itil"}, Password: goldenPassword("limited")},
	}
	srv, err := New(context.Background(), Config{
		BaseURL:       goldenBase,
		AdminPassword: goldenPassword("admin"),
		SeedDev:       true,
		Seed:          &Seed{Users: users},
		RateLimits:    []RateLimit{{User: "limited", RequestsPerHour: 1}},
		Now:           func() time.Time { return testNow },
		Logger:        discardLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	srv.newID = func() string { // deterministic sys_ids for created records
		n++
		h := sha256.Sum256([]byte("golden/" + strconv.Itoa(n)))
		return hex.EncodeToString(h[:16])
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return hs
}

type txtarFile struct {
	name string
	data string
}

// parseTxtar reads the txtar format: a comment, then "-- name --" files.
func parseTxtar(data string) (comment string, files []txtarFile) {
	lines := strings.SplitAfter(data, "\n")
	var cur *txtarFile
	var b strings.Builder
	flush := func() {
		if cur == nil {
			comment = b.String()
		} else {
			cur.data = b.String()
			files = append(files, *cur)
		}
		b.Reset()
	}
	for _, l := range lines {
		trimmed := strings.TrimRight(l, "\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) > 6 {
			flush()
			cur = &txtarFile{name: strings.TrimSpace(trimmed[3 : len(trimmed)-3])}
			continue
		}
		b.WriteString(l)
	}
	flush()
	return comment, files
}

func formatTxtar(comment string, files []txtarFile) string {
	var b strings.Builder
	b.WriteString(comment)
	for _, f := range files {
		fmt.Fprintf(&b, "-- %s --\n%s", f.name, f.data)
		if f.data != "" && !strings.HasSuffix(f.data, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// transcriptHeaders are the headers a transcript shows.
var transcriptHeaders = []string{"Allow", "Content-Type", "Link", "Location", "Retry-After", "WWW-Authenticate",
	"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Total-Count"}

// doGoldenRequest runs a request section:
//
//	METHOD PATH
//	Authorization: <user>     (Basic with the user's golden password)
//
//	body
func doGoldenRequest(t *testing.T, hs *httptest.Server, section string) *http.Response {
	t.Helper()
	head, body, _ := strings.Cut(section, "\n\n")
	lines := strings.Split(strings.TrimSpace(head), "\n")
	method, path, ok := strings.Cut(lines[0], " ")
	if !ok {
		t.Fatalf("bad request line %q", lines[0])
	}
	req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(strings.TrimSpace(body)))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ":")
		v = strings.TrimSpace(v)
		if strings.EqualFold(k, "Authorization") {
			req.SetBasicAuth(v, goldenPassword(v))
			continue
		}
		req.Header.Set(k, v)
	}
	if strings.TrimSpace(body) != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// transcript renders a response: status, selected headers, and the body
// indented (indenting compact JSON is lossless; the body is compared
// compacted, byte for byte).
func transcript(t *testing.T, res *http.Response, raw []byte) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", res.StatusCode)
	for _, h := range transcriptHeaders {
		for _, v := range res.Header.Values(h) {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	if len(raw) > 0 {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, raw, "", "  "); err != nil {
			t.Fatalf("body is not JSON: %v: %s", err, raw)
		}
		b.WriteString("\n")
		b.Write(pretty.Bytes())
		b.WriteString("\n")
	}
	return b.String()
}

// sameTranscript compares a golden transcript with the actual one: headers
// as text, bodies byte for byte once compacted.
func sameTranscript(golden, actual string) bool {
	gh, gb, _ := strings.Cut(golden, "\n\n")
	ah, ab, _ := strings.Cut(actual, "\n\n")
	if strings.TrimSpace(gh) != strings.TrimSpace(ah) {
		return false
	}
	var g, a bytes.Buffer
	if strings.TrimSpace(gb) == "" || strings.TrimSpace(ab) == "" {
		return strings.TrimSpace(gb) == strings.TrimSpace(ab)
	}
	if json.Compact(&g, []byte(gb)) != nil || json.Compact(&a, []byte(ab)) != nil {
		return false
	}
	return bytes.Equal(g.Bytes(), a.Bytes())
}

// ellipsisPattern turns a reference string with "…" elisions into a regexp.
func ellipsisPattern(ref string) *regexp.Regexp {
	parts := strings.Split(ref, "…")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, "(?s:.*?)") + "$")
}

// matchShape reports where got departs from the reference shape ref.
func matchShape(path string, ref, got any) []string {
	switch r := ref.(type) {
	case string:
		g, ok := got.(string)
		if !ok {
			return []string{fmt.Sprintf("%s: want a string like %q, got %T %v", path, r, got, got)}
		}
		if !ellipsisPattern(r).MatchString(g) {
			return []string{fmt.Sprintf("%s: %q does not match %q", path, g, r)}
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %T", path, got)}
		}
		var out []string
		_, open := r["…"]
		for k, rv := range r {
			if k == "…" {
				continue
			}
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			out = append(out, matchShape(path+"."+k, rv, gv)...)
		}
		if !open {
			for k := range g {
				if _, ok := r[k]; !ok {
					out = append(out, fmt.Sprintf("%s.%s: not in the reference", path, k))
				}
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) < len(r) {
			return []string{fmt.Sprintf("%s: want an array of at least %d, got %T %v", path, len(r), got, got)}
		}
		var out []string
		for i := range r {
			out = append(out, matchShape(fmt.Sprintf("%s[%d]", path, i), r[i], g[i])...)
		}
		return out
	default:
		return []string{fmt.Sprintf("%s: reference holds %T; only strings, objects and arrays occur on this wire", path, ref)}
	}
	return nil
}

// checkReference checks a response against a reference section:
//
//	HTTP <status>
//	Header: pattern with … elisions
//
//	JSON body shape
func checkReference(t *testing.T, ref string, res *http.Response, raw []byte) {
	t.Helper()
	head, body, _ := strings.Cut(ref, "\n\n")
	for _, l := range strings.Split(strings.TrimSpace(head), "\n") {
		if status, ok := strings.CutPrefix(l, "HTTP "); ok {
			if strconv.Itoa(res.StatusCode) != status {
				t.Errorf("status %d, reference %s", res.StatusCode, status)
			}
			continue
		}
		k, v, _ := strings.Cut(l, ":")
		v = strings.TrimSpace(v)
		got := strings.Join(res.Header.Values(k), ", ")
		if !ellipsisPattern(v).MatchString(got) {
			t.Errorf("%s:\n got       %s\n reference %s", k, got, v)
		}
	}
	if strings.TrimSpace(body) == "" {
		return
	}
	var refJSON, gotJSON any
	if err := json.Unmarshal([]byte(body), &refJSON); err != nil {
		t.Fatalf("reference body is not JSON: %v", err)
	}
	if err := json.Unmarshal(raw, &gotJSON); err != nil {
		t.Fatalf("response body is not JSON: %v: %s", err, raw)
	}
	for _, p := range matchShape("body", refJSON, gotJSON) {
		t.Error(p)
	}
}

func TestGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/golden/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			comment, files := parseTxtar(string(data))
			hs := newGoldenServer(t)
			var res *http.Response
			var raw []byte
			changed := false
			for i := range files {
				f := &files[i]
				switch f.name {
				case "setup":
					goldenSetup(t, hs, f.data)
				case "request":
					res = doGoldenRequest(t, hs, f.data)
					raw, err = io.ReadAll(res.Body)
					res.Body.Close()
					if err != nil {
						t.Fatal(err)
					}
				case "reference":
					if res == nil {
						t.Fatal("reference before request")
					}
					checkReference(t, f.data, res, raw)
				case "response":
					if res == nil {
						t.Fatal("response before request")
					}
					got := transcript(t, res, raw)
					if sameTranscript(f.data, got) {
						continue
					}
					if *update {
						f.data, changed = got, true
						continue
					}
					t.Errorf("response differs from %s (run with -update to accept):\n--- golden\n%s\n--- actual\n%s", path, f.data, got)
				default:
					t.Fatalf("unknown section %q", f.name)
				}
			}
			if changed {
				if err := os.WriteFile(path, []byte(formatTxtar(comment, files)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// goldenSetup runs setup lines: "generate N USERS" bulk-loads incidents.
func goldenSetup(t *testing.T, hs *httptest.Server, data string) {
	t.Helper()
	srv := hs.Config.Handler.(*Server)
	for _, l := range strings.Split(strings.TrimSpace(data), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 3 && f[0] == "generate":
			n, err1 := strconv.Atoi(f[1])
			u, err2 := strconv.Atoi(f[2])
			if err1 != nil || err2 != nil {
				t.Fatalf("bad setup line %q", l)
			}
			if _, err := srv.GenerateIncidents(context.Background(), n, u); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("unknown setup line %q", l)
		}
	}
}
