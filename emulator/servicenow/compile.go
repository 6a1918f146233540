package servicenow

import (
	"regexp"
	"strconv"
	"strings"
)

// sqlBuilder collects bound arguments. Every request value becomes a numbered
// parameter (?N); SQL text only ever holds dictionary identifiers, aliases,
// operators chosen from a fixed list and parameter markers.
type sqlBuilder struct {
	args   []any
	aliasN int
}

func (b *sqlBuilder) bind(v any) string {
	b.args = append(b.args, v)
	return "?" + strconv.Itoa(len(b.args))
}

func (b *sqlBuilder) newAlias() string {
	b.aliasN++
	return "t" + strconv.Itoa(b.aliasN)
}

// queryEnv is what compiling a query needs besides the query: the caller (for
// javascript:gs.getUserID() and ACLs on dot-walked tables) and the policy for
// invalid terms.
type queryEnv struct {
	dict *dictionary
	acl  *aclSet
	user *principal
	// invalidReturnsNoRows mirrors the instance property
	// glide.invalid_query.returns_no_rows. Default false, as on a real
	// instance: an invalid condition (unknown field, no operator) is dropped
	// and the rest of the query runs, which can widen the result.
	invalidReturnsNoRows bool
	depth                int
}

func (e queryEnv) deeper() queryEnv { e.depth++; return e }

// maxACLDepth bounds ACL conditions that dot-walk into tables whose own ACLs
// dot-walk again.
const maxACLDepth = 3

// where compiles q for table t (aliased alias) to a boolean SQL expression.
func (e queryEnv) where(b *sqlBuilder, t *table, alias string, q *encodedQuery) string {
	if len(q.invalid) > 0 && e.invalidReturnsNoRows {
		return "0"
	}
	var alts []string
	for _, conj := range q.alternatives {
		var ands []string
		for _, g := range conj {
			var ors []string
			for _, c := range g {
				ors = append(ors, e.condition(b, t, alias, c))
			}
			switch len(ors) {
			case 0:
				// Only invalid terms: dropped.
			case 1:
				ands = append(ands, ors[0])
			default:
				ands = append(ands, "("+strings.Join(ors, " OR ")+")")
			}
		}
		if len(ands) == 0 {
			return "1" // an empty alternative matches every record
		}
		alts = append(alts, "("+strings.Join(ands, " AND ")+")")
	}
	if len(alts) == 0 {
		return "1"
	}
	return "(" + strings.Join(alts, " OR ") + ")"
}

// orderBy compiles the sort terms; a reference sorts by the display value of
// the referenced record, as on a real instance. A rowid tie-breaker keeps
// pages stable.
func (e queryEnv) orderBy(b *sqlBuilder, t *table, alias string, q *encodedQuery) string {
	var terms []string
	tie := alias + ".rowid"
	for _, o := range q.orderBy {
		path := o.path
		for i := 0; i < maxDotWalk && path[len(path)-1].Type == typeReference; i++ {
			target := e.dict.table(path[len(path)-1].Reference)
			path = append(path[:len(path):len(path)], target.field(target.Display))
		}
		expr := e.pathExpr(b, t, alias, path)
		tie = alias + ".rowid"
		if o.desc {
			expr += " DESC"
			tie += " DESC"
		}
		terms = append(terms, expr)
	}
	// The tie-breaker runs the way the last sort term does, so an index on
	// (filter columns..., sort column) serves the whole ORDER BY.
	terms = append(terms, tie)
	return strings.Join(terms, ", ")
}

// pathExpr is the SQL expression of a field or dot-walked path. Each walk is a
// correlated subquery that also applies the read ACL of the walked table, so
// a condition on a record the caller cannot read sees NULL.
func (e queryEnv) pathExpr(b *sqlBuilder, t *table, alias string, path []*field) string {
	f := path[0]
	if f.Type == typeJournal {
		// A journal reads as its entries joined by newlines.
		return "(SELECT group_concat(j.value, char(10)) FROM sys_journal_field AS j WHERE j.element_id = " +
			alias + ".sys_id AND j.element = " + b.bind(f.Name) + ")"
	}
	col := alias + "." + quoteIdent(f.Name)
	if len(path) == 1 {
		return col
	}
	target := e.dict.table(f.Reference)
	a := b.newAlias()
	inner := e.pathExpr(b, target, a, path[1:])
	visible := e.deeper().readCondition(b, target, a)
	return "(SELECT " + inner + " FROM " + quoteIdent(target.Name) + " AS " + a +
		" WHERE " + a + ".sys_id = " + col + " AND " + visible + ")"
}

// Dynamic filter options (sys_filter_option_dynamic) every instance ships.
const (
	dynamicMe       = "90d1921e5f510100a9ad2572f2b477fe" // "Me"
	dynamicMyGroups = "d6435e965f510100a9ad2572f2b47744" // "One of My Groups"
)

// isMyGroups reports whether v is the script that lists the caller's groups.
func isMyGroups(v string) bool {
	switch v {
	case "javascript:gs.getUser().getMyGroups()", "javascript:getMyGroups()":
		return true
	}
	return false
}

var dateGenerateRE = regexp.MustCompile(`^javascript:gs\.dateGenerate\('(\d{4}-\d{2}-\d{2})',\s*'(\d{2}:\d{2}:\d{2}|start|end)'\)$`)

// resolveValue evaluates the few javascript: values the emulator knows.
// Unknown scripts stay literal text, which matches nothing real.
func (e queryEnv) resolveValue(v string) string {
	switch v {
	case "javascript:gs.getUserID()", "javascript:gs.getUser().getID()":
		if e.user != nil {
			return e.user.SysID
		}
	case "javascript:gs.getUserName()", "javascript:gs.getUser().getName()":
		if e.user != nil {
			return e.user.UserName
		}
	}
	if m := dateGenerateRE.FindStringSubmatch(v); m != nil {
		switch m[2] {
		case "start":
			return m[1] + " 00:00:00"
		case "end":
			return m[1] + " 23:59:59"
		}
		return m[1] + " " + m[2]
	}
	return v
}

// myGroups are the caller's group sys_ids.
func (e queryEnv) myGroups() []string {
	if e.user == nil {
		return nil
	}
	return e.user.Groups
}

// typed converts a query value to what the column stores, so that numbers
// compare as numbers and booleans as 0/1. A value that does not convert is
// bound as text and simply matches nothing stored as a number.
func typed(f *field, v string) any {
	switch f.Type {
	case typeInteger, typeIntegerChoice:
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return n
		}
	case typeBoolean:
		if bv, ok := parseBool(v); ok {
			if bv {
				return int64(1)
			}
			return int64(0)
		}
	case typeDateTime:
		if s, ok := normalizeDateTime(v); ok {
			return s
		}
	}
	return v
}

// likeEscape makes v literal inside a LIKE pattern (ESCAPE '\').
func likeEscape(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(v)
}

// condition compiles one condition. Negative operators (!=, NOT IN, NOT
// LIKE) never match empty values, as on a real instance: add
// "^ORfieldISEMPTY" to include them. LIKE, STARTSWITH and ENDSWITH ignore
// ASCII case; =, !=, IN compare exactly.
func (e queryEnv) condition(b *sqlBuilder, t *table, alias string, c condition) string {
	f := c.path[len(c.path)-1]
	x := e.pathExpr(b, t, alias, c.path)
	v := e.resolveValue(c.value)
	empty := "(" + x + " IS NULL OR " + x + " = '')"
	switch c.op {
	case "=":
		if isMyGroups(v) {
			return e.condition(b, t, alias, condition{path: c.path, op: "IN", value: v})
		}
		if v == "" {
			return empty
		}
		return x + " = " + b.bind(typed(f, v))
	case "!=":
		if v == "" {
			return "NOT " + empty
		}
		return x + " != " + b.bind(typed(f, v))
	case "<", "<=", ">", ">=":
		return x + " " + c.op + " " + b.bind(typed(f, v))
	case "LIKE":
		return x + " LIKE " + b.bind("%"+likeEscape(v)+"%") + ` ESCAPE '\'`
	case "NOT LIKE":
		return x + " NOT LIKE " + b.bind("%"+likeEscape(v)+"%") + ` ESCAPE '\'`
	case "STARTSWITH":
		return x + " LIKE " + b.bind(likeEscape(v)+"%") + ` ESCAPE '\'`
	case "ENDSWITH":
		return x + " LIKE " + b.bind("%"+likeEscape(v)) + ` ESCAPE '\'`
	case "IN", "NOT IN":
		items := strings.Split(v, ",")
		if isMyGroups(v) {
			items = e.myGroups()
		}
		var marks []string
		for _, item := range items {
			marks = append(marks, b.bind(typed(f, e.resolveValue(item))))
		}
		if len(marks) == 0 {
			if c.op == "IN" {
				return "0"
			}
			return "NOT " + empty
		}
		op := " IN ("
		if c.op == "NOT IN" {
			op = " NOT IN ("
		}
		return x + op + strings.Join(marks, ", ") + ")"
	case "DYNAMIC":
		switch c.value {
		case dynamicMe:
			if e.user == nil {
				return "0"
			}
			return x + " = " + b.bind(e.user.SysID)
		case dynamicMyGroups:
			return e.condition(b, t, alias, condition{path: c.path, op: "IN", value: "javascript:getMyGroups()"})
		}
		return "0"
	case "ISEMPTY":
		return empty
	case "ISNOTEMPTY":
		return "NOT " + empty
	case "EMPTYSTRING":
		return x + " = ''"
	case "ANYTHING":
		return "1"
	case "BETWEEN":
		lo, hi, ok := strings.Cut(v, "@")
		if !ok {
			return "0"
		}
		return "(" + x + " >= " + b.bind(typed(f, e.resolveValue(lo))) + " AND " + x + " <= " + b.bind(typed(f, e.resolveValue(hi))) + ")"
	case "SAMEAS", "NSAMEAS":
		other := resolvePath(e.dict, t, v)
		if other == nil {
			return "0"
		}
		y := e.pathExpr(b, t, alias, other)
		if c.op == "SAMEAS" {
			return x + " = " + y
		}
		return x + " != " + y
	}
	return "0"
}
