package servicenow

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors from the query builder and from name validation. A *QueryError
// wraps one of the first three.
var (
	// ErrUnsafeValue: a value would change the meaning of an encoded query
	// ('^', line breaks or other control characters, a "javascript:"
	// prefix, ',' inside an IN value, '@' inside a BETWEEN bound) or is
	// too long. ServiceNow has no escape for these, so they are refused.
	ErrUnsafeValue = errors.New("servicenow: unsafe query value")
	// ErrInvalidField: a field name is not a lowercase column name with at
	// most one dot-walk.
	ErrInvalidField = errors.New("servicenow: invalid field name")
	// ErrInvalidQuery: a condition is malformed (an IN list with no values).
	ErrInvalidQuery = errors.New("servicenow: invalid query")
	// ErrInvalidTable: a table name is not [a-z0-9_]+.
	ErrInvalidTable = errors.New("servicenow: invalid table name")
	// ErrInvalidSysID: a sys_id is not 32 lowercase hex characters.
	ErrInvalidSysID = errors.New("servicenow: invalid sys_id")
)

// MaxValueLen is the longest value (in bytes) a condition accepts.
const MaxValueLen = 1000

// meValue is the only script a query can carry, and only through EqMe.
const meValue = "javascript:gs.getUserID()"

// QueryError says which field of a query was refused and why. It never
// contains the refused value.
type QueryError struct {
	Field  string // the field name (shortened if it was itself the problem)
	Reason string // e.g. "value contains '^'"
	Err    error  // ErrUnsafeValue, ErrInvalidField or ErrInvalidQuery
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("servicenow: query field %q: %s", e.Field, e.Reason)
}

func (e *QueryError) Unwrap() error { return e.Err }

// Query builds a ServiceNow encoded query from typed conditions, ANDed in
// the order they are added. Field names must be column names; values are
// checked so that untrusted text can only ever be a value. The first
// problem is kept and returned by Encode; later calls are then ignored.
type Query struct {
	conds []string
	order []string
	err   error
}

// NewQuery returns an empty query (which encodes to "").
func NewQuery() *Query { return &Query{} }

// Eq adds field=value.
func (q *Query) Eq(field, value string) *Query { return q.op(field, "=", value) }

// NotEq adds field!=value.
func (q *Query) NotEq(field, value string) *Query { return q.op(field, "!=", value) }

// Like adds fieldLIKEvalue (contains).
func (q *Query) Like(field, value string) *Query { return q.op(field, "LIKE", value) }

// NotLike adds fieldNOT LIKEvalue.
func (q *Query) NotLike(field, value string) *Query { return q.op(field, "NOT LIKE", value) }

// StartsWith adds fieldSTARTSWITHvalue.
func (q *Query) StartsWith(field, value string) *Query { return q.op(field, "STARTSWITH", value) }

// EndsWith adds fieldENDSWITHvalue.
func (q *Query) EndsWith(field, value string) *Query { return q.op(field, "ENDSWITH", value) }

// Gt adds field>value.
func (q *Query) Gt(field, value string) *Query { return q.op(field, ">", value) }

// Gte adds field>=value.
func (q *Query) Gte(field, value string) *Query { return q.op(field, ">=", value) }

// Lt adds field<value.
func (q *Query) Lt(field, value string) *Query { return q.op(field, "<", value) }

// Lte adds field<=value.
func (q *Query) Lte(field, value string) *Query { return q.op(field, "<=", value) }

// In adds fieldINv1,v2,… . Values may not contain ','.
func (q *Query) In(field string, values ...string) *Query { return q.list(field, "IN", values) }

// NotIn adds fieldNOT INv1,v2,… . Values may not contain ','.
func (q *Query) NotIn(field string, values ...string) *Query { return q.list(field, "NOT IN", values) }

// Between adds fieldBETWEENlow@high. Bounds may not contain '@'.
func (q *Query) Between(field, low, high string) *Query {
	if !q.checkField(field) {
		return q
	}
	for _, v := range []string{low, high} {
		if !q.checkValue(field, v) {
			return q
		}
		if strings.Contains(v, "@") {
			return q.fail(field, "BETWEEN bound contains '@'", ErrUnsafeValue)
		}
	}
	q.conds = append(q.conds, field+"BETWEEN"+low+"@"+high)
	return q
}

// IsEmpty adds fieldISEMPTY.
func (q *Query) IsEmpty(field string) *Query { return q.unary(field, "ISEMPTY") }

// IsNotEmpty adds fieldISNOTEMPTY.
func (q *Query) IsNotEmpty(field string) *Query { return q.unary(field, "ISNOTEMPTY") }

// EqMe adds field=javascript:gs.getUserID(): the signed-in user's sys_id,
// resolved by ServiceNow. It is the only way that script can appear.
func (q *Query) EqMe(field string) *Query {
	if q.checkField(field) {
		q.conds = append(q.conds, field+"="+meValue)
	}
	return q
}

// OrderBy sorts ascending by field (after any earlier ordering).
func (q *Query) OrderBy(field string) *Query {
	if q.checkField(field) {
		q.order = append(q.order, "ORDERBY"+field)
	}
	return q
}

// OrderByDesc sorts descending by field (after any earlier ordering).
func (q *Query) OrderByDesc(field string) *Query {
	if q.checkField(field) {
		q.order = append(q.order, "ORDERBYDESC"+field)
	}
	return q
}

// Encode returns the encoded query for sysparm_query, or the first
// *QueryError met while building it.
func (q *Query) Encode() (string, error) {
	if q == nil {
		return "", nil
	}
	if q.err != nil {
		return "", q.err
	}
	return strings.Join(append(append([]string(nil), q.conds...), q.order...), "^"), nil
}

func (q *Query) op(field, op, value string) *Query {
	if q.checkField(field) && q.checkValue(field, value) {
		q.conds = append(q.conds, field+op+value)
	}
	return q
}

func (q *Query) unary(field, op string) *Query {
	if q.checkField(field) {
		q.conds = append(q.conds, field+op)
	}
	return q
}

func (q *Query) list(field, op string, values []string) *Query {
	if !q.checkField(field) {
		return q
	}
	if len(values) == 0 {
		return q.fail(field, op+" needs at least one value", ErrInvalidQuery)
	}
	for _, v := range values {
		if !q.checkValue(field, v) {
			return q
		}
		if strings.Contains(v, ",") {
			return q.fail(field, op+" value contains ','", ErrUnsafeValue)
		}
	}
	q.conds = append(q.conds, field+op+strings.Join(values, ","))
	return q
}

func (q *Query) checkField(field string) bool {
	if q.err != nil {
		return false
	}
	if !validField(field) {
		q.fail(shorten(field), "not a column name ([a-z][a-z0-9_]*, one optional dot-walk)", ErrInvalidField)
		return false
	}
	return true
}

func (q *Query) checkValue(field, value string) bool {
	if q.err != nil {
		return false
	}
	if reason := unsafeReason(value); reason != "" {
		q.fail(field, reason, ErrUnsafeValue)
		return false
	}
	return true
}

func (q *Query) fail(field, reason string, err error) *Query {
	if q.err == nil {
		q.err = &QueryError{Field: field, Reason: reason, Err: err}
	}
	return q
}

// unsafeReason says why value cannot be a query value, or "" if it can.
func unsafeReason(value string) string {
	switch {
	case len(value) > MaxValueLen:
		return fmt.Sprintf("value is longer than %d bytes", MaxValueLen)
	case !utf8.ValidString(value):
		return "value is not valid UTF-8"
	case strings.Contains(value, "^"):
		return "value contains '^'"
	case strings.ContainsAny(value, "\n\r"):
		return "value contains a line break"
	case strings.ContainsFunc(value, isControl):
		return "value contains a control character"
	case hasScriptPrefix(value):
		return `value starts with "javascript:"`
	}
	return ""
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func hasScriptPrefix(value string) bool {
	v := strings.TrimLeftFunc(value, unicode.IsSpace)
	return len(v) >= len("javascript:") && strings.EqualFold(v[:len("javascript:")], "javascript:")
}

// DateTimeLayout is how ServiceNow writes date-times (UTC).
const DateTimeLayout = "2006-01-02 15:04:05"

// OnOrAfter adds field>=t for a date-time field, t written in UTC to the
// second. The value is formatted here, never taken from text.
func (q *Query) OnOrAfter(field string, t time.Time) *Query {
	return q.Gte(field, t.UTC().Format(DateTimeLayout))
}
