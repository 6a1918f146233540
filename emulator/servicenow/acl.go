package servicenow

import (
	"fmt"
	"strings"
)

// ACL operations.
const (
	opRead  = "read"
	opWrite = "write"
)

// roleAdmin passes every ACL, as on a real instance.
const roleAdmin = "admin"

// aclRule grants an operation on a table's records. Rules for the same table
// and operation are alternatives: a caller passes when any rule passes, and a
// rule passes when the caller has one of its Roles (or it names none) and the
// record matches its Condition (an encoded query; "" matches every record).
// A table with no rule for an operation is open to admin only (deny by
// default).
//
// TODO: field-level rules (Field != "", "*"), create/delete operations and
// script conditions come with the Table API writes that need them.
type aclRule struct {
	Table     string
	Operation string
	Roles     []string
	Condition string
}

// defaultACLs are the rules of the emulated instance (dev-data.md).
var defaultACLs = []aclRule{
	{Table: "incident", Operation: opRead, Condition: "categoryNOT INhr,security^ORcategoryISEMPTY"},
	{Table: "incident", Operation: opRead, Roles: []string{"sn_hr_core.case_reader"}, Condition: "category=hr"},
	{Table: "incident", Operation: opRead, Roles: []string{"sn_si.analyst"}, Condition: "category=security"},
	{Table: "incident", Operation: opWrite, Roles: []string{"itil"}},
	{Table: "sys_user", Operation: opRead},
	{Table: "sys_user_role", Operation: opRead},
	{Table: "sys_user_has_role", Operation: opRead},
	// sys_audit and syslog_transaction: no rules, admin only.
}

type compiledRule struct {
	aclRule
	query *encodedQuery
}

// aclSet is the rules indexed by table and operation, conditions parsed once.
type aclSet struct {
	rules map[string][]compiledRule // key: table + "/" + operation
}

// newACLSet parses every rule condition; a condition naming an unknown field
// is an error, never silently widened.
func newACLSet(d *dictionary, rules []aclRule) (*aclSet, error) {
	s := &aclSet{rules: map[string][]compiledRule{}}
	for i, r := range rules {
		t := d.table(r.Table)
		if t == nil {
			return nil, fmt.Errorf("servicenow: acl %d: unknown table %q", i, r.Table)
		}
		if r.Operation != opRead && r.Operation != opWrite {
			return nil, fmt.Errorf("servicenow: acl %d: unknown operation %q", i, r.Operation)
		}
		q := parseEncodedQuery(d, t, r.Condition)
		if len(q.invalid) > 0 {
			return nil, fmt.Errorf("servicenow: acl %d (%s %s): invalid condition terms %q", i, r.Table, r.Operation, q.invalid)
		}
		key := r.Table + "/" + r.Operation
		s.rules[key] = append(s.rules[key], compiledRule{aclRule: r, query: q})
	}
	return s, nil
}

// principal is the authenticated caller.
type principal struct {
	SysID    string
	UserName string
	Roles    map[string]bool
	Method   string // "basic" or "oidc:<provider>"
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

// condition compiles the rules for (t, op) and the caller to a boolean SQL
// expression over alias.
func (e queryEnv) aclCondition(b *sqlBuilder, t *table, alias, op string) string {
	if e.user == nil || e.depth > maxACLDepth {
		return "0"
	}
	if e.user.isAdmin() {
		return "1"
	}
	var ors []string
	for _, r := range e.acl.rules[t.Name+"/"+op] {
		if !e.user.hasAnyRole(r.Roles) {
			continue
		}
		if len(r.query.alternatives) == 0 {
			return "1"
		}
		ors = append(ors, e.deeper().where(b, t, alias, r.query))
	}
	if len(ors) == 0 {
		return "0"
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// readCondition is the SQL condition selecting the records of t the caller
// may read.
//
// TODO(limit-before-ACL): a real instance applies sysparm_limit before read
// ACLs, so a page can come back short or empty while visible rows exist
// further on, and X-Total-Count counts rows before ACLs. This slice filters in
// SQL, so pages are full and the count is of visible rows; the quirk comes
// with its own switch.
func (e queryEnv) readCondition(b *sqlBuilder, t *table, alias string) string {
	return e.aclCondition(b, t, alias, opRead)
}
