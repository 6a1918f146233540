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

func TestTotalCountAndPagesCountOnlyVisibleRows(t *testing.T) {
	e := newTestEnv(t)
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
	for _, p := range []string{"sysparm_limit=abc", "sysparm_limit=-1", "sysparm_offset=x"} {
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
