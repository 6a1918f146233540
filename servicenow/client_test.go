package servicenow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A list answer as a developer instance gives it (sysparm_limit=1).
const refListBody = `{"result":[{"number":"INC0012345","short_description":"VPN connection dropping","priority":"2",` +
	`"assigned_to":{"link":"https://dev.service-now.com/api/now/table/sys_user/0a00000000000000000000000000000a","value":"0a00000000000000000000000000000a"},` +
	`"caller_id":"","active":"true"}]}`

func TestListSendsTableAPIRequestAndParsesReferenceShapedAnswer(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, refListBody,
			"X-Total-Count", "67",
			"Link", `<https://dev.service-now.com/api/now/v2/table/incident?sysparm_limit=1&sysparm_offset=0>;rel="first",<https://dev.service-now.com/api/now/v2/table/incident?sysparm_limit=1&sysparm_offset=1>;rel="next"`)
	})
	q := NewQuery().EqMe("assigned_to").Eq("active", "true").OrderBy("number")
	recs, total, err := c.List(context.Background(), "incident", ListOptions{
		Query: q, Fields: []string{"number", "short_description", "assigned_to.email"}, Limit: 1,
		DisplayValue: "all", ExcludeReferenceLink: true,
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if total != 67 {
		t.Errorf("total = %d, want 67 (X-Total-Count)", total)
	}
	if len(recs) != 1 || recs[0].Value("number") != "INC0012345" || recs[0].Value("assigned_to") != "0a00000000000000000000000000000a" {
		t.Errorf("records = %v", recs)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("made %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "GET" || r.Path != "/api/now/table/incident" {
		t.Errorf("request = %s %s, want GET /api/now/table/incident", r.Method, r.Path)
	}
	wantQuery := map[string]string{
		"sysparm_query":                  "assigned_to=javascript:gs.getUserID()^active=true^ORDERBYnumber",
		"sysparm_fields":                 "number,short_description,assigned_to.email",
		"sysparm_limit":                  "1",
		"sysparm_offset":                 "0",
		"sysparm_display_value":          "all",
		"sysparm_exclude_reference_link": "true",
	}
	gotQuery := map[string]string{}
	for k := range r.Query {
		gotQuery[k] = r.Query.Get(k)
	}
	if d := cmp.Diff(wantQuery, gotQuery); d != "" {
		t.Errorf("sysparm params (-want +got):\n%s", d)
	}
	for h, want := range map[string]string{
		"Authorization": "Bearer " + testToken,
		"Accept":        "application/json",
		"Content-Type":  "application/json",
		"User-Agent":    DefaultUserAgent,
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
}

// aclInstance serves 7 incidents, applying sysparm_limit/offset before
// hiding the ones in hidden, the way ServiceNow applies read ACLs.
func aclInstance(hidden map[int]bool, totalHeader bool) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, _ int) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("sysparm_limit"))
		offset, _ := strconv.Atoi(r.URL.Query().Get("sysparm_offset"))
		var rows []string
		for i := offset; i < offset+limit && i < 7; i++ {
			if !hidden[i] {
				rows = append(rows, fmt.Sprintf(`{"number":"INC%07d"}`, i))
			}
		}
		var hdr []string
		if totalHeader {
			hdr = []string{"X-Total-Count", "7"}
		}
		reply(w, 200, `{"result":[`+strings.Join(rows, ",")+`]}`, hdr...)
	}
}

func TestListFollowsPagesShortenedByReadACLs(t *testing.T) {
	f, c := newFake(t, aclInstance(map[int]bool{1: true, 3: true}, true))
	recs, total, err := c.List(context.Background(), "incident", ListOptions{Limit: 5})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Value("number"))
	}
	want := []string{"INC0000000", "INC0000002", "INC0000004", "INC0000005", "INC0000006"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
	if total != 7 {
		t.Errorf("total = %d, want 7", total)
	}
	var offsets []string
	for _, r := range f.requests() {
		offsets = append(offsets, r.Query.Get("sysparm_offset"))
	}
	if d := cmp.Diff([]string{"0", "5"}, offsets); d != "" {
		t.Errorf("offsets requested (-want +got):\n%s", d)
	}
}

func TestListStopsWhenTotalIsReached(t *testing.T) {
	f, c := newFake(t, aclInstance(map[int]bool{0: true, 1: true, 2: true, 3: true, 4: true, 5: true}, true))
	recs, _, err := c.List(context.Background(), "incident", ListOptions{Limit: 5})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(recs) != 1 || recs[0].Value("number") != "INC0000006" {
		t.Errorf("records = %v, want only INC0000006", recs)
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("made %d requests, want 2 (offsets 0 and 5, then 10 >= total 7)", n)
	}
}

func TestListWithoutTotalFollowsLinkNext(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			reply(w, 200, `{"result":[]}`, "Link", `<https://x/api/now/table/incident?sysparm_offset=0>;rel="first",<https://x/api/now/table/incident?sysparm_offset=2>;rel="next"`)
			return
		}
		reply(w, 200, `{"result":[{"number":"INC0000003"}]}`, "Link", `<https://x/api/now/table/incident?sysparm_offset=0>;rel="first"`)
	})
	recs, total, err := c.List(context.Background(), "incident", ListOptions{Limit: 2})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if total != -1 {
		t.Errorf("total = %d, want -1 without X-Total-Count", total)
	}
	if len(recs) != 1 || recs[0].Value("number") != "INC0000003" {
		t.Errorf("records = %v, want INC0000003 from the second page", recs)
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("made %d requests, want 2", n)
	}
}

func TestListIsBoundedByMaxPages(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, `{"result":[]}`, "X-Total-Count", "1000000")
	})
	c.MaxPages = 3
	recs, total, err := c.List(context.Background(), "incident", ListOptions{Limit: 10})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(recs) != 0 || recs == nil || total != 1000000 {
		t.Errorf("List = %v (nil=%v), %d; want empty non-nil, 1000000", recs, recs == nil, total)
	}
	if n := len(f.requests()); n != 3 {
		t.Errorf("made %d requests, want MaxPages=3", n)
	}
}

func TestListRejectsBadOptionsBeforeAnyRequest(t *testing.T) {
	tests := []struct {
		name  string
		table string
		opt   ListOptions
		want  error
	}{
		{"path traversal table", "incident/../sys_user", ListOptions{}, ErrInvalidTable},
		{"uppercase table", "Incident", ListOptions{}, ErrInvalidTable},
		{"encoded table", "incident%2f..", ListOptions{}, ErrInvalidTable},
		{"unsafe query value", "incident", ListOptions{Query: NewQuery().Like("short_description", "vpn^ORcategory=hr")}, ErrUnsafeValue},
		{"bad field", "incident", ListOptions{Fields: []string{"number", "sys_id,password"}}, ErrInvalidField},
		{"bad display value", "incident", ListOptions{DisplayValue: "yes"}, ErrInvalidOption},
		{"limit too big", "incident", ListOptions{Limit: MaxListLimit + 1}, ErrInvalidOption},
		{"negative limit", "incident", ListOptions{Limit: -1}, ErrInvalidOption},
		{"negative offset", "incident", ListOptions{Offset: -5}, ErrInvalidOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, `{"result":[]}`) })
			_, _, err := c.List(context.Background(), tt.table, tt.opt)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("made %d requests, want none", n)
			}
		})
	}
}

func TestGetBuildsRecordPath(t *testing.T) {
	const id = "9d385017c611228701d22104cc95c371"
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, `{"result":{"sys_id":"`+id+`","number":"INC0012345","priority":"2 - High"}}`)
	})
	rec, err := c.Get(context.Background(), "incident", id, ListOptions{Fields: []string{"sys_id", "number"}, DisplayValue: "true"})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if rec.Value("number") != "INC0012345" || rec.Display("priority") != "2 - High" {
		t.Errorf("record = %v", rec)
	}
	r := f.requests()[0]
	if r.Method != "GET" || r.Path != "/api/now/table/incident/"+id {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if r.Query.Get("sysparm_fields") != "sys_id,number" || r.Query.Get("sysparm_display_value") != "true" || r.Query.Has("sysparm_limit") {
		t.Errorf("params = %v", r.Query)
	}
}

func TestGetRejectsBadSysIDBeforeAnyRequest(t *testing.T) {
	for _, id := range []string{"../sys_user", "9D385017C611228701D22104CC95C371", "9d385017c611228701d22104cc95c37", "9d385017c611228701d22104cc95c371/x", ""} {
		f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, `{"result":{}}`) })
		_, err := c.Get(context.Background(), "incident", id, ListOptions{})
		if !errors.Is(err, ErrInvalidSysID) {
			t.Errorf("Get(%q) err = %v, want ErrInvalidSysID", id, err)
		}
		if _, err := c.Update(context.Background(), "incident", id, map[string]string{"state": "2"}); !errors.Is(err, ErrInvalidSysID) {
			t.Errorf("Update(%q) err = %v, want ErrInvalidSysID", id, err)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("sys_id %q: made %d requests, want none", id, n)
		}
	}
}

func TestUpdatePatchesJSONFields(t *testing.T) {
	const id = "9d385017c611228701d22104cc95c371"
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, `{"result":{"sys_id":"`+id+`","state":"6","close_code":"Solved (Permanently)"}}`)
	})
	rec, err := c.Update(context.Background(), "incident", id, map[string]string{"state": "6", "close_notes": "Fixed ^ORcategory=hr\nfor real"})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if rec.Value("state") != "6" {
		t.Errorf("record = %v", rec)
	}
	r := f.requests()[0]
	if r.Method != "PATCH" || r.Path != "/api/now/table/incident/"+id || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request = %s %s %q", r.Method, r.Path, r.Header.Get("Content-Type"))
	}
	if want := `{"close_notes":"Fixed ^ORcategory=hr\nfor real","state":"6"}`; r.Body != want {
		t.Errorf("body = %s, want %s", r.Body, want)
	}
	if len(r.Query) != 0 {
		t.Errorf("params = %v, want none", r.Query)
	}
}

func TestUpdateRejectsBadColumnsAndEmptyUpdates(t *testing.T) {
	const id = "9d385017c611228701d22104cc95c371"
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, `{"result":{}}`) })
	if _, err := c.Update(context.Background(), "incident", id, map[string]string{"assigned_to.email": "x"}); !errors.Is(err, ErrInvalidField) {
		t.Errorf("dot-walked write: err = %v, want ErrInvalidField", err)
	}
	if _, err := c.Update(context.Background(), "incident", id, nil); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("empty update: err = %v, want ErrInvalidOption", err)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("made %d requests, want none", n)
	}
}

func TestErrorEnvelopesMatchSentinels(t *testing.T) {
	tests := []struct {
		status       int
		body         string
		want         error
		wantMessage  string
		wantDetail   string
		notSentinels []error
	}{
		{401, `{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}`,
			ErrUnauthorized, "User Not Authenticated", "Required to provide Auth information", []error{ErrForbidden, ErrNotFound}},
		{403, `{"error":{"message":"Operation Failed","detail":"ACL Exception Update Failed due to security constraints"},"status":"failure"}`,
			ErrForbidden, "Operation Failed", "ACL Exception Update Failed due to security constraints", []error{ErrUnauthorized}},
		{403, `{"error":{"message":"Insufficient rights to query records","detail":"Field(s) present in the query do not have permission to be read"},"status":"failure"}`,
			ErrForbidden, "Insufficient rights to query records", "Field(s) present in the query do not have permission to be read", nil},
		{404, `{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}`,
			ErrNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval", []error{ErrForbidden}},
		{429, `{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 5000 requests per hour for Table API exceeded"},"status":"failure"}`,
			ErrRateLimited, "Rate limit exceeded", "Rate limit of 5000 requests per hour for Table API exceeded", []error{ErrUnavailable}},
		{400, `{"error":{"message":"Invalid table name","detail":null},"status":"failure"}`,
			ErrBadRequest, "Invalid table name", "", nil},
		{500, `<html>Internal error</html>`, ErrUnavailable, "Internal Server Error", "", []error{ErrNotFound}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.status, tt.wantMessage), func(t *testing.T) {
			_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, tt.status, tt.body, "Retry-After", "3600")
			})
			_, _, err := c.List(context.Background(), "incident", ListOptions{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want errors.Is %v", err, tt.want)
			}
			for _, s := range tt.notSentinels {
				if errors.Is(err, s) {
					t.Errorf("err = %v also matches %v", err, s)
				}
			}
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("err %T is not *Error", err)
			}
			if ae.Status != tt.status || ae.Message != tt.wantMessage || ae.Detail != tt.wantDetail {
				t.Errorf("Error = %+v, want status %d message %q detail %q", ae, tt.status, tt.wantMessage, tt.wantDetail)
			}
		})
	}
}

func TestErrorNeverContainsTheToken(t *testing.T) {
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 401, `{"error":{"message":"Bad token `+testToken+`","detail":"`+r.Header.Get("Authorization")+`\u0000"},"status":"failure"}`)
	})
	_, err := c.Get(context.Background(), "incident", "9d385017c611228701d22104cc95c371", ListOptions{})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "token-b-for-jane") {
		t.Errorf("error %q contains the token", err)
	}
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error %q: want the echoed token replaced by [redacted]", err)
	}
}

func TestErrorRedactsBasicPassword(t *testing.T) {
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		_, pw, _ := r.BasicAuth()
		reply(w, 403, `{"error":{"message":"Operation Failed","detail":"password `+pw+` is not enough"},"status":"failure"}`)
	})
	c.Tokens = nil
	c.Auth = BasicAuth("admin", "s3cret-admin-pw")
	_, _, err := c.List(context.Background(), "incident", ListOptions{})
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("err = %v, want ErrForbidden", err)
	}
	if strings.Contains(err.Error(), "s3cret-admin-pw") {
		t.Errorf("error %q contains the password", err)
	}
}

func TestBasicAuthSignsRequestsInsteadOfTokens(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, `{"result":[]}`) })
	c.Tokens = TokenFunc(func(context.Context) (string, error) {
		t.Error("Tokens consulted although Auth is set")
		return "", nil
	})
	c.Auth = BasicAuth("admin", "pw")
	if _, _, err := c.List(context.Background(), "incident", ListOptions{}); err != nil {
		t.Fatalf("List: %v", err)
	}
	u, p, ok := (&http.Request{Header: f.requests()[0].Header}).BasicAuth()
	if !ok || u != "admin" || p != "pw" {
		t.Errorf("basic auth = %q %q %v, want admin pw", u, p, ok)
	}
}

func TestLongRetryAfterIsNotWaitedOutForReadsOrWrites(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 429, `{"error":{"message":"Rate limit exceeded"},"status":"failure"}`, "Retry-After", "3600")
	})
	if _, _, err := c.List(context.Background(), "incident", ListOptions{}); !errors.Is(err, ErrRateLimited) {
		t.Errorf("List err = %v, want ErrRateLimited", err)
	}
	if _, err := c.Update(context.Background(), "incident", "9d385017c611228701d22104cc95c371", map[string]string{"state": "2"}); !errors.Is(err, ErrRateLimited) {
		t.Errorf("Update err = %v, want ErrRateLimited", err)
	}
	if n := len(f.requests()); n != 2 || len(f.sleeps) != 0 {
		t.Errorf("made %d requests and %d waits, want 2 and 0", n, len(f.sleeps))
	}
}

func TestTokenSourceFailureIsErrNoToken(t *testing.T) {
	cause := errors.New("identity: consent required")
	for name, ts := range map[string]TokenSource{
		"error": TokenFunc(func(context.Context) (string, error) { return "", cause }),
		"empty": StaticToken(""),
		"nil":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, `{"result":[]}`) })
			c.Tokens = ts
			_, _, err := c.List(context.Background(), "incident", ListOptions{})
			if !errors.Is(err, ErrNoToken) {
				t.Errorf("err = %v, want ErrNoToken", err)
			}
			if name == "error" && !errors.Is(err, cause) {
				t.Errorf("err = %v, want it to wrap the cause", err)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("made %d requests, want none", n)
			}
		})
	}
}

func TestHibernatingInstanceHTMLIsUnavailable(t *testing.T) {
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>Your instance is hibernating</html>"))
	})
	_, _, err := c.List(context.Background(), "incident", ListOptions{})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "hibernating") {
		t.Errorf("error %q quotes the response body", err)
	}
}

func TestResponsesAreBounded(t *testing.T) {
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, `{"result":[{"description":"`+strings.Repeat("x", 4096)+`"}]}`)
	})
	c.MaxResponseBytes = 1024
	_, _, err := c.List(context.Background(), "incident", ListOptions{})
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Errorf("err = %v, want ErrResponseTooLarge", err)
	}
}

func TestTransportFailureIsUnavailable(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	f.srv.Close()
	_, _, err := c.List(context.Background(), "incident", ListOptions{})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error %q contains the token", err)
	}
}

func TestCanceledContextIsNotUnavailable(t *testing.T) {
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, `{"result":[]}`) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := c.List(ctx, "incident", ListOptions{})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
		t.Errorf("err = %v, want context.Canceled and not ErrUnavailable", err)
	}
}

func TestBaseURLMustProtectTokens(t *testing.T) {
	tests := []struct {
		base     string
		insecure bool
		ok       bool
	}{
		{"http://servicenow.example.com", false, false},
		{"http://servicenow.example.com", true, true},
		{"https://servicenow.example.com", false, true},
		{"https://user:pw@servicenow.example.com", false, false},
		{"https://servicenow.example.com?x=1", false, false},
		{"ftp://servicenow.example.com", false, false},
		{"servicenow.example.com", false, false},
		{"http://127.0.0.1:8083", false, true},
		{"http://[::1]:8083", false, true},
		{"http://localhost:8083/sub", false, true},
	}
	for _, tt := range tests {
		c := &Client{BaseURL: tt.base, AllowInsecureHTTP: tt.insecure}
		u, err := c.tableURL("incident")
		if tt.ok && err != nil {
			t.Errorf("%s (insecure=%v): err = %v, want ok", tt.base, tt.insecure, err)
		}
		if !tt.ok && !errors.Is(err, ErrInvalidOption) {
			t.Errorf("%s (insecure=%v): err = %v, want ErrInvalidOption", tt.base, tt.insecure, err)
		}
		if tt.base == "http://localhost:8083/sub" && err == nil && u.String() != "http://localhost:8083/sub/api/now/table/incident" {
			t.Errorf("URL = %s, want the base path kept", u)
		}
	}
}

func TestRecordDisplayAndValue(t *testing.T) {
	r := Record{
		"state":       "In Progress",
		"assigned_to": map[string]any{"display_value": "Jane Smith", "link": "https://x/api/now/table/sys_user/0a", "value": "0a"},
		"caller_id":   map[string]any{"link": "https://x/api/now/table/sys_user/0b", "value": "0b"},
		"opened_by":   "",
	}
	tests := []struct{ field, display, value string }{
		{"state", "In Progress", "In Progress"},
		{"assigned_to", "Jane Smith", "0a"},
		{"caller_id", "0b", "0b"},
		{"opened_by", "", ""},
		{"missing", "", ""},
	}
	for _, tt := range tests {
		if got := r.Display(tt.field); got != tt.display {
			t.Errorf("Display(%q) = %q, want %q", tt.field, got, tt.display)
		}
		if got := r.Value(tt.field); got != tt.value {
			t.Errorf("Value(%q) = %q, want %q", tt.field, got, tt.value)
		}
	}
}
