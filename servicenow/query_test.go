package servicenow

import (
	"errors"
	"strings"
	"testing"
)

func TestQueryEncodesTypedConditions(t *testing.T) {
	tests := []struct {
		name string
		q    *Query
		want string
	}{
		{"empty", NewQuery(), ""},
		{"eq", NewQuery().Eq("number", "INC0012345"), "number=INC0012345"},
		{"article query: mine, open, by number",
			NewQuery().EqMe("assigned_to").Eq("active", "true").OrderBy("number"),
			"assigned_to=javascript:gs.getUserID()^active=true^ORDERBYnumber"},
		{"operators",
			NewQuery().NotEq("state", "7").Like("short_description", "VPN dropping").NotLike("category", "hr").
				StartsWith("number", "INC00").EndsWith("number", "45"),
			"state!=7^short_descriptionLIKEVPN dropping^categoryNOT LIKEhr^numberSTARTSWITHINC00^numberENDSWITH45"},
		{"comparisons",
			NewQuery().Gt("priority", "1").Gte("impact", "2").Lt("urgency", "3").Lte("sys_mod_count", "10"),
			"priority>1^impact>=2^urgency<3^sys_mod_count<=10"},
		{"in and not in", NewQuery().In("state", "1", "2", "9").NotIn("category", "hr", "security"),
			"stateIN1,2,9^categoryNOT INhr,security"},
		{"empty checks", NewQuery().IsEmpty("close_code").IsNotEmpty("assigned_to"),
			"close_codeISEMPTY^assigned_toISNOTEMPTY"},
		{"between dates", NewQuery().Between("opened_at", "2026-01-01 00:00:00", "2026-02-01 00:00:00"),
			"opened_atBETWEEN2026-01-01 00:00:00@2026-02-01 00:00:00"},
		{"dot-walk", NewQuery().Eq("assigned_to.email", "jane.smith@company.com"),
			"assigned_to.email=jane.smith@company.com"},
		{"order clauses go last, in order",
			NewQuery().OrderByDesc("priority").Eq("active", "true").OrderBy("number"),
			"active=true^ORDERBYDESCpriority^ORDERBYnumber"},
		{"operator words inside a value stay a value",
			NewQuery().Like("short_description", "ORDERBYnumber NQ OR LIKE = != javascript"),
			"short_descriptionLIKEORDERBYnumber NQ OR LIKE = != javascript"},
		{"empty eq value", NewQuery().Eq("close_code", ""), "close_code="},
		{"unicode value", NewQuery().Like("short_description", "Drucker älter 🖨"),
			"short_descriptionLIKEDrucker älter 🖨"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.q.Encode()
			if err != nil {
				t.Fatalf("Encode() error = %v, want %q", err, tt.want)
			}
			if got != tt.want {
				t.Errorf("Encode() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestQueryRejectsInjection(t *testing.T) {
	long := strings.Repeat("a", MaxValueLen+1)
	tests := []struct {
		name      string
		q         *Query
		wantErr   error
		wantField string
	}{
		{"OR injection in LIKE text (real report)",
			NewQuery().EqMe("assigned_to").Like("short_description", "vpn^ORcategory=hr"),
			ErrUnsafeValue, "short_description"},
		{"whole encoded query as text value",
			NewQuery().Like("short_description", "short_descriptionLIKEvpn^ORcategory=hr"),
			ErrUnsafeValue, "short_description"},
		{"new query injection", NewQuery().Eq("category", "network^NQcategory=hr"), ErrUnsafeValue, "category"},
		{"bare ^NQ", NewQuery().Eq("number", "^NQ"), ErrUnsafeValue, "number"},
		{"order injection", NewQuery().Eq("state", "1^ORDERBYDESCsys_created_on"), ErrUnsafeValue, "state"},
		{"user-supplied script", NewQuery().Eq("assigned_to", "javascript:gs.getUserID()"), ErrUnsafeValue, "assigned_to"},
		{"script any case with spaces", NewQuery().Eq("caller_id", "  JavaScript:new GlideRecord('sys_user')"), ErrUnsafeValue, "caller_id"},
		{"script in IN list", NewQuery().In("assigned_to", "abc", "javascript:gs.getUserID()"), ErrUnsafeValue, "assigned_to"},
		{"newline", NewQuery().Like("short_description", "vpn\ncategory=hr"), ErrUnsafeValue, "short_description"},
		{"carriage return", NewQuery().Like("short_description", "vpn\rx"), ErrUnsafeValue, "short_description"},
		{"NUL", NewQuery().Eq("number", "INC\x00"), ErrUnsafeValue, "number"},
		{"comma in IN value", NewQuery().In("state", "1", "2,7"), ErrUnsafeValue, "state"},
		{"at sign in BETWEEN", NewQuery().Between("opened_at", "a@b", "c"), ErrUnsafeValue, "opened_at"},
		{"too long", NewQuery().Like("short_description", long), ErrUnsafeValue, "short_description"},
		{"invalid UTF-8", NewQuery().Eq("number", "\xff"), ErrUnsafeValue, "number"},
		{"empty IN", NewQuery().In("state"), ErrInvalidQuery, "state"},
		{"field with operator", NewQuery().Eq("short_descriptionLIKEvpn^ORcategory", "hr"), ErrInvalidField, "short_descriptionLIKEvpn^ORcategory"},
		{"uppercase field", NewQuery().Eq("Number", "x"), ErrInvalidField, "Number"},
		{"field with space", NewQuery().Eq("number ", "x"), ErrInvalidField, "number "},
		{"two dot-walks", NewQuery().Eq("assigned_to.manager.email", "x"), ErrInvalidField, "assigned_to.manager.email"},
		{"empty field", NewQuery().IsEmpty(""), ErrInvalidField, ""},
		{"field starting with digit", NewQuery().OrderBy("1number"), ErrInvalidField, "1number"},
		{"order by injection", NewQuery().OrderByDesc("number^NQactive=false"), ErrInvalidField, "number^NQactive=false"},
		{"script via EqMe field", NewQuery().EqMe("assigned_to=x^OR"), ErrInvalidField, "assigned_to=x^OR"},
		{"first problem wins", NewQuery().Eq("Bad", "x").Like("short_description", "a^b"), ErrInvalidField, "Bad"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.q.Encode()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Encode() = %q, %v; want error %v", got, err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("Encode() returned %q alongside an error, want \"\"", got)
			}
			var qe *QueryError
			if !errors.As(err, &qe) {
				t.Fatalf("error %T is not a *QueryError", err)
			}
			if qe.Field != tt.wantField {
				t.Errorf("QueryError.Field = %q, want %q", qe.Field, tt.wantField)
			}
		})
	}
}

func TestQueryErrorDoesNotEchoTheValue(t *testing.T) {
	secret := "eyJhbGciOiJSUzI1NiJ9.payload.sig^ORx"
	_, err := NewQuery().Like("short_description", secret).Encode()
	if !errors.Is(err, ErrUnsafeValue) {
		t.Fatalf("err = %v, want ErrUnsafeValue", err)
	}
	if strings.Contains(err.Error(), "eyJ") || strings.Contains(err.Error(), "payload") {
		t.Errorf("error %q echoes the rejected value", err)
	}
	if !strings.Contains(err.Error(), "short_description") {
		t.Errorf("error %q does not name the field", err)
	}
}

func TestQueryErrorShortensHugeFieldNames(t *testing.T) {
	_, err := NewQuery().Eq(strings.Repeat("X", 5000), "v").Encode()
	if !errors.Is(err, ErrInvalidField) {
		t.Fatalf("err = %v, want ErrInvalidField", err)
	}
	if len(err.Error()) > 200 {
		t.Errorf("error is %d bytes long, want a bounded message", len(err.Error()))
	}
}

func TestNilQueryEncodesEmpty(t *testing.T) {
	var q *Query
	got, err := q.Encode()
	if got != "" || err != nil {
		t.Errorf("nil Query Encode() = %q, %v; want \"\", nil", got, err)
	}
}
