package servicenow

import (
	"strings"
)

// An encoded query (sysparm_query) parsed against the dictionary.
//
// Grammar, as on a real instance: "^NQ" separates alternative queries (OR at
// the top), "^" separates terms, a term starting with "OR" joins the term
// before it in an OR group, and OR binds tighter than AND, so
// "a^b^ORc" is a AND (b OR c). "ORDERBYf" / "ORDERBYDESCf" terms sort. There
// is no escape for "^" inside a value: a value ends at the next "^".
type encodedQuery struct {
	alternatives []conjunction // joined by OR (^NQ)
	orderBy      []orderTerm
	invalid      []string // terms that named no known field or operator
}

// conjunction is an AND of OR groups.
type conjunction []orGroup

// orGroup is an OR of conditions.
type orGroup []condition

type condition struct {
	path  []*field // the field, or the dot-walked chain ending in it
	op    string
	value string
}

type orderTerm struct {
	path []*field
	desc bool
}

// operators, longest first so that "<=" wins over "<" and "NOT LIKE" over
// nothing shorter that could match its start.
var operators = []string{
	"EMPTYSTRING", "ISNOTEMPTY", "STARTSWITH", "NOT LIKE", "ENDSWITH", "ANYTHING", "DYNAMIC",
	"NSAMEAS", "ISEMPTY", "BETWEEN", "NOT IN", "SAMEAS", "LIKE",
	"!=", "<=", ">=", "IN", "=", "<", ">",
}

// unaryOperators take no value.
var unaryOperators = map[string]bool{"ISEMPTY": true, "ISNOTEMPTY": true, "ANYTHING": true, "EMPTYSTRING": true}

// parseEncodedQuery parses s against table t. Terms naming an unknown or
// hidden field, or no operator, are collected in invalid rather than failing
// the parse: what happens to them is the compiler's policy.
func parseEncodedQuery(d *dictionary, t *table, s string) *encodedQuery {
	q := &encodedQuery{}
	if s == "" {
		return q
	}
	for _, alt := range strings.Split(s, "^NQ") {
		var conj conjunction
		for _, term := range strings.Split(alt, "^") {
			switch {
			case term == "" || term == "EQ":
				continue
			// A sort on an unknown field is dropped silently; it never
			// counts as an invalid condition.
			case strings.HasPrefix(term, "ORDERBYDESC"):
				if p := resolvePath(d, t, strings.TrimPrefix(term, "ORDERBYDESC")); p != nil {
					q.orderBy = append(q.orderBy, orderTerm{path: p, desc: true})
				}
				continue
			case strings.HasPrefix(term, "ORDERBY"):
				if p := resolvePath(d, t, strings.TrimPrefix(term, "ORDERBY")); p != nil {
					q.orderBy = append(q.orderBy, orderTerm{path: p})
				}
				continue
			case strings.HasPrefix(term, "GROUPBY"):
				// Aggregates are not served by the Table API; ignored.
				continue
			}
			or := false
			if strings.HasPrefix(term, "OR") {
				or, term = true, strings.TrimPrefix(term, "OR")
			}
			c, ok := parseCondition(d, t, term)
			if !ok {
				q.invalid = append(q.invalid, term)
				if !or {
					// An invalid term still opens a group, so a following ^OR
					// term does not attach to the group before it.
					conj = append(conj, nil)
				}
				continue
			}
			if or && len(conj) > 0 {
				conj[len(conj)-1] = append(conj[len(conj)-1], c)
			} else {
				conj = append(conj, orGroup{c})
			}
		}
		q.alternatives = append(q.alternatives, conj)
	}
	return q
}

// parseCondition splits "fieldOPvalue". Field names are lowercase and
// operators mostly uppercase letters, so the split is found by trying every
// prefix that names a field (or dot-walked path) and is followed by an
// operator; the longest such prefix wins.
func parseCondition(d *dictionary, t *table, term string) (condition, bool) {
	for i := len(term); i > 0; i-- {
		rest := term[i:]
		op := ""
		for _, o := range operators {
			if strings.HasPrefix(rest, o) {
				op = o
				break
			}
		}
		if op == "" {
			continue
		}
		path := resolvePath(d, t, term[:i])
		if path == nil {
			continue
		}
		value := strings.TrimPrefix(rest, op)
		if unaryOperators[op] {
			value = ""
		}
		return condition{path: path, op: op, value: value}, true
	}
	return condition{}, false
}

// maxDotWalk bounds dot-walking depth (a.b.c.d).
const maxDotWalk = 4

// resolvePath resolves "field" or "ref.field..." against t. Every segment
// but the last must be a reference. Hidden fields never resolve.
func resolvePath(d *dictionary, t *table, name string) []*field {
	if name == "" {
		return nil
	}
	segs := strings.Split(name, ".")
	if len(segs) > maxDotWalk {
		return nil
	}
	var path []*field
	cur := t
	for i, s := range segs {
		f := cur.field(s)
		if f == nil || f.hidden() {
			return nil
		}
		path = append(path, f)
		if i < len(segs)-1 {
			if f.Type != typeReference {
				return nil
			}
			cur = d.table(f.Reference)
		}
	}
	return path
}
