package servicenow

import (
	"fmt"
	"strings"
)

// ACL operations.
const (
	OpRead   = "read"
	OpWrite  = "write"
	OpCreate = "create"
	OpDelete = "delete"
)

// roleAdmin passes every ACL, as on a real instance.
const roleAdmin = "admin"

// ACLRule grants an operation on a table's records, or on one field of them.
//
// Rules for the same (table, field, operation) are alternatives: a caller
// passes when any rule passes, and a rule passes when the caller has one of
// its Roles (or it names none) and the record matches its Condition (an
// encoded query; "" matches every record). The admin role passes every rule.
//
// Record rules (Field "") are deny-by-default: a table with no rule for an
// operation is open to admin only. Field rules (Field "name", or "*" for
// every field of the table without a rule of its own) only ever narrow: a
// field with no rule, and no "*" rule, is governed by the record rules
// alone. Field "write" rules also govern create. A field the caller may not
// read renders as "" and may not appear in a query (403); a field the
// caller may not write is ignored in a write body, as on a real instance.
type ACLRule struct {
	Table     string
	Field     string // "" for the record rule, a field name, or "*"
	Operation string // OpRead, OpWrite, OpCreate or OpDelete
	Roles     []string
	Condition string
}

// DefaultACLs are the rules of the emulated instance (dev-data.md): itil
// works incidents, problems and changes; HR and security incidents need
// their reader roles; work notes are for itil; deleting task records,
// sys_audit, sys_journal_field, sys_number and syslog_transaction are for
// admin only. It returns a fresh copy.
func DefaultACLs() []ACLRule {
	itil := []string{"itil"}
	rules := []ACLRule{
		{Table: "incident", Operation: OpRead, Condition: "categoryNOT INhr,security^ORcategoryISEMPTY"},
		{Table: "incident", Operation: OpRead, Roles: []string{"sn_hr_core.case_reader"}, Condition: "category=hr"},
		{Table: "incident", Operation: OpRead, Roles: []string{"sn_si.analyst"}, Condition: "category=security"},
		{Table: "incident", Operation: OpWrite, Roles: itil},
		{Table: "incident", Operation: OpCreate},
	}
	for _, t := range []string{"problem", "change_request"} {
		rules = append(rules,
			ACLRule{Table: t, Operation: OpRead, Roles: itil},
			ACLRule{Table: t, Operation: OpWrite, Roles: itil},
			ACLRule{Table: t, Operation: OpCreate, Roles: itil},
		)
	}
	for _, t := range []string{"incident", "problem", "change_request"} {
		rules = append(rules,
			ACLRule{Table: t, Field: "work_notes", Operation: OpRead, Roles: itil},
			ACLRule{Table: t, Field: "work_notes", Operation: OpWrite, Roles: itil},
		)
	}
	for _, t := range []string{"sys_user", "sys_user_group", "sys_user_grmember", "sys_user_role", "sys_user_has_role"} {
		rules = append(rules, ACLRule{Table: t, Operation: OpRead})
	}
	return rules
}

type compiledRule struct {
	ACLRule
	query *encodedQuery
}

// aclSet is the rules indexed by table, field and operation, conditions
// parsed once.
type aclSet struct {
	rules map[string][]compiledRule // key: aclKey(table, field, op)
}

func aclKey(table, field, op string) string { return table + "." + field + "/" + op }

// newACLSet parses every rule; an unknown table, field or operation, or a
// condition term naming no known field, is an error, never silently widened.
func newACLSet(d *dictionary, rules []ACLRule) (*aclSet, error) {
	s := &aclSet{rules: map[string][]compiledRule{}}
	for i, r := range rules {
		t := d.table(r.Table)
		if t == nil {
			return nil, fmt.Errorf("servicenow: acl %d: unknown table %q", i, r.Table)
		}
		switch r.Operation {
		case OpRead, OpWrite, OpCreate, OpDelete:
		default:
			return nil, fmt.Errorf("servicenow: acl %d (%s): unknown operation %q", i, r.Table, r.Operation)
		}
		if r.Field != "" && r.Field != "*" {
			if f := t.field(r.Field); f == nil || f.hidden() {
				return nil, fmt.Errorf("servicenow: acl %d: %s has no field %q", i, r.Table, r.Field)
			}
		}
		if r.Field != "" && (r.Operation == OpCreate || r.Operation == OpDelete) {
			return nil, fmt.Errorf("servicenow: acl %d (%s.%s): field rules are for read and write only", i, r.Table, r.Field)
		}
		q := parseEncodedQuery(d, t, r.Condition)
		if len(q.invalid) > 0 {
			return nil, fmt.Errorf("servicenow: acl %d (%s %s): invalid condition terms %q", i, r.Table, r.Operation, q.invalid)
		}
		key := aclKey(r.Table, r.Field, r.Operation)
		s.rules[key] = append(s.rules[key], compiledRule{ACLRule: r, query: q})
	}
	return s, nil
}

// recordRules are the record rules of (t, op).
func (s *aclSet) recordRules(t *table, op string) []compiledRule {
	return s.rules[aclKey(t.Name, "", op)]
}

// fieldRules are the rules of t.f for op: its own, else the table's "*"
// rules; nil means the field has none (the record rules decide).
func (s *aclSet) fieldRules(t *table, f *field, op string) []compiledRule {
	if op == OpCreate {
		op = OpWrite
	}
	if r := s.rules[aclKey(t.Name, f.Name, op)]; len(r) > 0 {
		return r
	}
	return s.rules[aclKey(t.Name, "*", op)]
}

// principal is the authenticated caller.
type principal struct {
	SysID    string
	UserName string
	Roles    map[string]bool
	Groups   []string // sys_ids of the user's groups
	Method   string   // "basic" or "oidc:<provider>"
}

func (p *principal) hasAnyRole(roles []string) bool {
	if len(roles) == 0 {
		return true
	}
	for _, r := range roles {
		if p.Roles[r] {
			return true
		}
	}
	return false
}

func (p *principal) isAdmin() bool { return p != nil && p.Roles[roleAdmin] }

// access is a caller's standing on a set of rules before any record is
// looked at.
type access int

const (
	accessDenied      access = iota // no rule passes the role check
	accessGranted                   // a rule without condition passes
	accessConditional               // only rules with conditions pass
)

// staticAccess decides what can be decided from roles alone. empty is the
// answer when there are no rules at all.
func (e queryEnv) staticAccess(rules []compiledRule, empty access) access {
	if e.user == nil {
		return accessDenied
	}
	if e.user.isAdmin() {
		return accessGranted
	}
	if len(rules) == 0 {
		return empty
	}
	out := accessDenied
	for _, r := range rules {
		if !e.user.hasAnyRole(r.Roles) {
			continue
		}
		if len(r.query.alternatives) == 0 {
			return accessGranted
		}
		out = accessConditional
	}
	return out
}

// rulesCondition compiles rules for the caller to a boolean SQL expression
// over alias; empty is the answer when there are no rules.
func (e queryEnv) rulesCondition(b *sqlBuilder, t *table, alias string, rules []compiledRule, empty access) string {
	if e.depth > maxACLDepth {
		return "0"
	}
	switch e.staticAccess(rules, empty) {
	case accessDenied:
		return "0"
	case accessGranted:
		return "1"
	}
	var ors []string
	for _, r := range rules {
		if e.user.hasAnyRole(r.Roles) {
			ors = append(ors, e.deeper().where(b, t, alias, r.query))
		}
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// aclCondition is the SQL condition selecting the records of t on which the
// caller may perform op (deny by default).
func (e queryEnv) aclCondition(b *sqlBuilder, t *table, alias, op string) string {
	return e.rulesCondition(b, t, alias, e.acl.recordRules(t, op), accessDenied)
}

// readCondition is the SQL condition selecting the records of t the caller
// may read.
func (e queryEnv) readCondition(b *sqlBuilder, t *table, alias string) string {
	return e.aclCondition(b, t, alias, OpRead)
}

// fieldAccess is the caller's static standing on field f of t for op.
func (e queryEnv) fieldAccess(t *table, f *field, op string) access {
	return e.staticAccess(e.acl.fieldRules(t, f, op), accessGranted)
}

// fieldCondition is the SQL condition under which the caller may perform op
// on field f of the record aliased alias.
func (e queryEnv) fieldCondition(b *sqlBuilder, t *table, alias string, f *field, op string) string {
	return e.rulesCondition(b, t, alias, e.acl.fieldRules(t, f, op), accessGranted)
}

// unreadableQueryFields lists the fields a query filters on that the caller
// may not read at all (dot-walked segments included): a real instance
// refuses such a query with 403 rather than let it probe hidden values.
func (e queryEnv) unreadableQueryFields(t *table, q *encodedQuery) []string {
	var out []string
	seen := map[string]bool{}
	check := func(path []*field) {
		cur := t
		for i, f := range path {
			if e.fieldAccess(cur, f, OpRead) == accessDenied {
				name := cur.Name + "." + f.Name
				if !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
			}
			if i < len(path)-1 {
				cur = e.dict.table(f.Reference)
			}
		}
	}
	for _, conj := range q.alternatives {
		for _, g := range conj {
			for _, c := range g {
				check(c.path)
				if c.op == "SAMEAS" || c.op == "NSAMEAS" {
					if other := resolvePath(e.dict, t, c.value); other != nil {
						check(other)
					}
				}
			}
		}
	}
	return out
}
