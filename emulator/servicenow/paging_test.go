package servicenow

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestLimitOffsetTotalCountAndLinkHeader(t *testing.T) {
	e := newTestEnv(t)
	path := "/api/now/v2/table/incident?sysparm_query=ORDERBYnumber&sysparm_limit=3&sysparm_offset=3"
	got := e.numbers(path, e.admin())
	wantSame(t, "page", got, []string{"INC0012389", "INC0012399", "INC0012401"})
	r := e.get(path, e.admin())
	if c := r.header.Get("X-Total-Count"); c != "10" {
		t.Errorf("X-Total-Count %q, want 10", c)
	}
	base := e.hs.URL + "/api/now/v2/table/incident?sysparm_query=ORDERBYnumber&sysparm_limit=3&sysparm_offset="
	want := "<" + base + "0>;rel=\"first\",<" + base + "0>;rel=\"prev\",<" + base + "6>;rel=\"next\",<" + base + "9>;rel=\"last\""
	if l := r.header.Get("Link"); l != want {
		t.Errorf("Link:\n got  %s\n want %s", l, want)
	}
}

// The shape of the real capture in REFERENCE.md: limit 1 on the first page
// gives prev=-1, next=1 and last=total-1.
func TestLinkHeaderMatchesRealCaptureOnFirstPage(t *testing.T) {
	e := newTestEnv(t)
	r := e.get("/api/now/v2/table/incident?sysparm_limit=1", e.admin())
	base := e.hs.URL + "/api/now/v2/table/incident?sysparm_limit=1&sysparm_offset="
	want := "<" + base + "0>;rel=\"first\",<" + base + "-1>;rel=\"prev\",<" + base + "1>;rel=\"next\",<" + base + "9>;rel=\"last\""
	if l := r.header.Get("Link"); l != want {
		t.Errorf("Link:\n got  %s\n want %s", l, want)
	}
}

// Like a real instance, the page is cut before read ACLs: jane's first page
// of two holds INC0012345 only (INC0012350 is HR), X-Total-Count counts all
// seven incidents assigned to her, and following next yields exactly the
// five she may read.
func TestLimitIsAppliedBeforeReadACLs(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	q := incidentsWhere(janeMine + "^ORDERBYnumber")
	wantPages := [][]string{
		{"INC0012345"},               // INC0012350 hidden
		{"INC0012389"},               // INC0012399 hidden
		{"INC0012401", "INC0012455"}, //
		{"INC0012478"},               //
	}
	var all []string
	for i, want := range wantPages {
		path := q + "&sysparm_limit=2&sysparm_offset=" + strconv.Itoa(2*i)
		got, r := e.list(path, jane)
		var numbers []string
		for _, rec := range got {
			numbers = append(numbers, rec["number"].(string))
		}
		wantSame(t, "page "+strconv.Itoa(i), numbers, want)
		all = append(all, numbers...)
		if c := r.header.Get("X-Total-Count"); c != "7" {
			t.Errorf("page %d: X-Total-Count %q, want 7 (rows before ACLs)", i, c)
		}
		hasNext := strings.Contains(r.header.Get("Link"), `rel="next"`)
		if hasNext != (i < len(wantPages)-1) {
			t.Errorf("page %d: next link present = %v: %s", i, hasNext, r.header.Get("Link"))
		}
	}
	wantSame(t, "all pages", all, janeVisible)
	// A page can be empty while more readable rows follow.
	hs := incidentsWhere("assigned_to.user_name=jane.smith^categoryINhr,security^ORnumber=INC0012478^ORDERBYnumber")
	page, r := e.list(hs+"&sysparm_limit=2", jane)
	if len(page) != 0 || !strings.Contains(r.header.Get("Link"), `sysparm_offset=2>;rel="next"`) {
		t.Errorf("first page %v, Link %s: want empty with a next link", page, r.header.Get("Link"))
	}
	wantSame(t, "second page", e.numbers(hs+"&sysparm_limit=2&sysparm_offset=2", jane), []string{"INC0012478"})
}

func TestReadACLBeforeLimitGivesFullPagesAndVisibleCounts(t *testing.T) {
	e := newTestEnvWith(t, func(c *Config) { c.ReadACLBeforeLimit = true })
	jane := e.bearer("jane.smith@company.com")
	path := incidentsWhere(janeMine+"^ORDERBYnumber") + "&sysparm_limit=2&sysparm_offset=4"
	r := e.get(path, jane)
	got := e.numbers(path, jane)
	wantSame(t, "last page", got, []string{"INC0012478"})
	if c := r.header.Get("X-Total-Count"); c != "5" {
		t.Errorf("X-Total-Count %q, want 5 (visible rows only)", c)
	}
	link := r.header.Get("Link")
	if strings.Contains(link, `rel="next"`) {
		t.Errorf("last page has a next link: %s", link)
	}
	if !strings.Contains(link, `sysparm_offset=4>;rel="last"`) {
		t.Errorf("last link does not point at offset 4: %s", link)
	}
	// Walking the pages yields exactly the visible set.
	var all []string
	for off := 0; off < 10; off += 2 {
		all = append(all, e.numbers(incidentsWhere(janeMine+"^ORDERBYnumber")+"&sysparm_limit=2&sysparm_offset="+strconv.Itoa(off), jane)...)
	}
	wantSame(t, "all pages", all, janeVisible)
}

func TestEmptyResultV1Is404V2AndUnversionedAre200(t *testing.T) {
	e := newTestEnv(t)
	q := "?sysparm_query=number=INC9999999"
	wantEnvelope(t, e.get("/api/now/v1/table/incident"+q, e.admin()), http.StatusNotFound,
		"No Record found", "Record doesn't exist or ACL restricts the record retrieval")
	for _, p := range []string{"/api/now/v2/table/incident", "/api/now/table/incident"} {
		recs, r := e.list(p+q, e.admin())
		if len(recs) != 0 || string(r.raw) != `{"result":[]}` {
			t.Errorf("%s: body %s, want {\"result\":[]}", p, r.raw)
		}
		if c := r.header.Get("X-Total-Count"); c != "0" {
			t.Errorf("%s: X-Total-Count %q, want 0", p, c)
		}
	}
	// v1 with rows is a normal 200.
	wantSame(t, "v1 with rows", e.numbers("/api/now/v1/table/incident?sysparm_query=number=INC0012345", e.admin()), []string{"INC0012345"})
}

func TestBadPagingParamsAre400(t *testing.T) {
	e := newTestEnv(t)
	for _, p := range []string{"sysparm_limit=abc", "sysparm_limit=-1", "sysparm_offset=x", "sysparm_limit=1.5"} {
		r := e.get("/api/now/table/incident?"+p, e.admin())
		if r.status != http.StatusBadRequest || r.body["status"] != "failure" {
			t.Errorf("%s: status %d body %s, want a 400 envelope", p, r.status, r.raw)
		}
	}
}

func TestNoCountAndSuppressPaginationHeader(t *testing.T) {
	e := newTestEnv(t)
	r := e.get("/api/now/table/incident?sysparm_limit=2&sysparm_no_count=true&sysparm_suppress_pagination_header=true", e.admin())
	if r.header.Get("X-Total-Count") != "" || r.header.Get("Link") != "" {
		t.Errorf("headers X-Total-Count %q Link %q, want neither", r.header.Get("X-Total-Count"), r.header.Get("Link"))
	}
	r = e.get("/api/now/table/incident?sysparm_limit=2&sysparm_no_count=true", e.admin())
	if l := r.header.Get("Link"); !strings.Contains(l, `sysparm_offset=2>;rel="next"`) || strings.Contains(l, `rel="last"`) {
		t.Errorf("Link without count = %s, want next and no last", l)
	}
}
