package servicenow

import (
	"net/http"
	"strings"
	"testing"
)

var allIncidents = []string{
	"INC0012345", "INC0012350", "INC0012360", "INC0012389", "INC0012399",
	"INC0012401", "INC0012420", "INC0012455", "INC0012478", "INC0012490",
}

func TestEncodedQueryOperators(t *testing.T) {
	e := newTestEnv(t)
	cases := []struct {
		query string
		want  []string
	}{
		{"priority=2", []string{"INC0012345", "INC0012350", "INC0012401"}},
		{"priority!=3", []string{"INC0012345", "INC0012350", "INC0012360", "INC0012399", "INC0012401", "INC0012478"}},
		{"short_descriptionLIKEprinter", []string{"INC0012360"}},
		{"short_descriptionNOT LIKEing", []string{"INC0012350", "INC0012360", "INC0012389", "INC0012399", "INC0012401", "INC0012420", "INC0012455"}},
		{"short_descriptionSTARTSWITHs", []string{"INC0012399", "INC0012455"}},
		{"short_descriptionENDSWITHrequest", []string{"INC0012420"}},
		{"stateIN9,3", []string{"INC0012478"}},
		{"categoryINhr,security", []string{"INC0012350", "INC0012399"}},
		{"categoryNOT INhardware,software", []string{"INC0012345", "INC0012350", "INC0012399", "INC0012420"}},
		{"close_codeISEMPTY", allIncidents},
		{"close_codeISNOTEMPTY", nil},
		{"categoryISNOTEMPTY", allIncidents},
		{"priority<2", []string{"INC0012399"}},
		{"priority<=2", []string{"INC0012345", "INC0012350", "INC0012399", "INC0012401"}},
		{"priority>3", []string{"INC0012360", "INC0012478"}},
		{"priority>=4", []string{"INC0012360", "INC0012478"}},
		{"opened_at>2025-03-03 17:20:00", []string{"INC0012420", "INC0012455", "INC0012478", "INC0012490"}},
		{"opened_at<=javascript:gs.dateGenerate('2025-03-03','08:00:00')", []string{"INC0012345"}},
		{"numberBETWEENINC0012389@INC0012401", []string{"INC0012389", "INC0012399", "INC0012401"}},
		{"active=true", allIncidents},
		{"active=false", nil},
		{"numberANYTHING", allIncidents},
		{"caller_idNSAMEASassigned_to", []string{"INC0012350", "INC0012399"}},
		{"assigned_to.user_name=bob.jones", []string{"INC0012360", "INC0012420", "INC0012490"}},
		{"assigned_to.emailSTARTSWITHjane^category=network", []string{"INC0012345"}},
		{"number=INC0012345", []string{"INC0012345"}},
		{"number=inc0012345", nil}, // = compares exactly
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			wantSame(t, c.query, e.numbers(incidentsWhere(c.query), e.admin()), c.want)
		})
	}
}

func TestOrBindsTighterThanAnd(t *testing.T) {
	e := newTestEnv(t)
	// priority=2 AND (network OR hardware); a looser OR would add the
	// priority 3 and 4 hardware incidents.
	wantSame(t, "a^b^ORc", e.numbers(incidentsWhere("priority=2^category=network^ORcategory=hardware"), e.admin()),
		[]string{"INC0012345", "INC0012401"})
	wantSame(t, "a^ORb^c", e.numbers(incidentsWhere("category=hr^ORcategory=security^priority=1"), e.admin()),
		[]string{"INC0012399"})
	wantSame(t, "^NQ", e.numbers(incidentsWhere("priority=1^NQcategory=inquiry"), e.admin()),
		[]string{"INC0012399", "INC0012420"})
}

func TestOrderBy(t *testing.T) {
	e := newTestEnv(t)
	cases := []struct {
		query string
		want  []string
	}{
		{"ORDERBYpriority", []string{"INC0012399", "INC0012345", "INC0012350", "INC0012401", "INC0012389", "INC0012420", "INC0012455", "INC0012490", "INC0012360", "INC0012478"}},
		{"ORDERBYDESCnumber", []string{"INC0012490", "INC0012478", "INC0012455", "INC0012420", "INC0012401", "INC0012399", "INC0012389", "INC0012360", "INC0012350", "INC0012345"}},
		{"category=hardware^ORDERBYDESCopened_at", []string{"INC0012490", "INC0012401", "INC0012360"}},
		{"priority=2^ORDERBYpriority^ORDERBYDESCnumber", []string{"INC0012401", "INC0012350", "INC0012345"}},
		// A reference sorts by the referenced record's display value:
		// Bob Jones before Jane Smith.
		{"priority>=3^ORDERBYassigned_to", []string{"INC0012360", "INC0012420", "INC0012490", "INC0012389", "INC0012455", "INC0012478"}},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			wantSame(t, c.query, e.numbers(incidentsWhere(c.query), e.admin()), c.want)
		})
	}
}

// Invalid terms are dropped, as on an instance with the default
// glide.invalid_query.returns_no_rows=false; ACLs still apply.
func TestInvalidQueryTermsAreIgnoredButNeverWidenBeyondACL(t *testing.T) {
	e := newTestEnv(t)
	wantSame(t, "admin, unknown field", e.numbers(incidentsWhere("bogus=1"), e.admin()), allIncidents)
	wantSame(t, "admin, unknown field AND priority", e.numbers(incidentsWhere("bogus=1^priority=1"), e.admin()), []string{"INC0012399"})
	wantSame(t, "admin, unknown field OR priority", e.numbers(incidentsWhere("priority=1^ORbogus=2"), e.admin()), []string{"INC0012399"})
	wantSame(t, "admin, hidden password field", e.numbers(incidentsWhere("assigned_to.user_passwordISNOTEMPTY^priority=1"), e.admin()), []string{"INC0012399"})
	janeAll := []string{"INC0012345", "INC0012360", "INC0012389", "INC0012401", "INC0012420", "INC0012455", "INC0012478", "INC0012490"}
	wantSame(t, "jane, unknown field", e.numbers(incidentsWhere("bogus=1"), e.bearer("jane.smith@company.com")), janeAll)

	q := parseEncodedQuery(e.srv.dict, e.srv.dict.table("incident"), "bogus=1^priority=1")
	env := e.srv.env(systemPrincipal)
	env.invalidReturnsNoRows = true
	if got := env.where(&sqlBuilder{}, e.srv.dict.table("incident"), "t0", q); got != "0" {
		t.Errorf("with invalidReturnsNoRows the condition is %q, want 0", got)
	}
}

func TestInjectionInValuesCannotWidenResults(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	for _, q := range []string{
		"short_description=x' OR 1=1 --",
		"short_description=x\" OR \"1\"=\"1",
		"short_descriptionLIKE%' OR '1'='1",
		"short_descriptionLIKE%",
		"short_descriptionLIKE_",
		"short_descriptionSTARTSWITH%",
		"numberIN'),(1) OR 1=1 --",
		"priority=1 OR 1=1",
		"category=hr' OR '1'='1",
		"category=security'); DROP TABLE incident; --",
		"assigned_to=javascript:gs.getUserID() || 1=1",
		"number=INC0012345' UNION SELECT * FROM sys_user --",
	} {
		t.Run(q, func(t *testing.T) {
			wantSame(t, "admin", e.numbers(incidentsWhere(q), e.admin()), nil)
			wantSame(t, "jane", e.numbers(incidentsWhere(q), jane), nil)
		})
	}
	// Field-position garbage is an invalid term: dropped, and jane still
	// sees only what her ACLs allow.
	got := e.numbers(incidentsWhere(`number"='x' OR 1=1 --=1^category=hr`), jane)
	wantSame(t, "jane, garbage field then hr", got, nil)
	got = e.numbers(incidentsWhere(`ORDERBYnumber; DROP TABLE incident^priority=1`), e.admin())
	wantSame(t, "admin, garbage ORDERBY", got, []string{"INC0012399"})
	wantSame(t, "incidents still there", e.numbers("/api/now/table/incident", e.admin()), allIncidents)
	// ^NQ and ^OR in a value split terms (there is no escape), but the read
	// ACL is ANDed outside the whole query.
	got = e.numbers(incidentsWhere("category=hr^NQcategory=security^ORnumberISNOTEMPTY^ORDERBYnumber"), jane)
	wantSame(t, "jane, ^NQ/^OR widening attempt", got,
		[]string{"INC0012345", "INC0012360", "INC0012389", "INC0012401", "INC0012420", "INC0012455", "INC0012478", "INC0012490"})
}

func TestCompiledSQLHoldsNoQueryValues(t *testing.T) {
	e := newTestEnv(t)
	tbl := e.srv.dict.table("incident")
	evil := "x' OR 1=1 --"
	q := parseEncodedQuery(e.srv.dict, tbl, "short_description="+evil+"^ORnumberLIKE"+evil+"^categoryIN"+evil+",b")
	b := &sqlBuilder{}
	sqlText := e.srv.env(systemPrincipal).where(b, tbl, "t0", q)
	if strings.Contains(sqlText, "OR 1=1") || strings.Contains(sqlText, "'x") {
		t.Errorf("value reached SQL text: %s", sqlText)
	}
	found := 0
	for _, a := range b.args {
		if s, ok := a.(string); ok && strings.Contains(s, "OR 1=1") {
			found++
		}
	}
	if found != 3 {
		t.Errorf("want the value bound 3 times, got %d in %v", found, b.args)
	}
}

func TestUnknownTableIs400AndBadPathIs400(t *testing.T) {
	e := newTestEnv(t)
	wantEnvelope(t, e.get("/api/now/table/no_such_table", e.admin()), http.StatusBadRequest, "Invalid table no_such_table", "")
	wantEnvelope(t, e.get("/api/now/v3/table/incident", e.admin()), http.StatusBadRequest, "Requested URI does not represent any resource", "")
	wantEnvelope(t, e.get("/api/now/table/incident/a/b", e.admin()), http.StatusBadRequest, "Requested URI does not represent any resource", "")
}
