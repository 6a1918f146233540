package servicenow

import (
	"context"
	"fmt"
	"slices"
)

// The default priority business rule of a real instance (the "Priority
// Lookup" data lookup): a Table API write that sets or changes impact or
// urgency of an incident or a problem gets its priority from the standard
// matrix, whatever priority the same write sent. Seeding and
// GenerateIncidents are imports and do not run it.

// priorityRuleTables are the tables the rule runs on.
var priorityRuleTables = map[string]bool{"incident": true, "problem": true}

// priorityMatrix maps impact and urgency (1 High ... 3 Low) to priority.
var priorityMatrix = map[[2]string]string{
	{"1", "1"}: "1", {"1", "2"}: "2", {"2", "1"}: "2",
	{"1", "3"}: "3", {"2", "2"}: "3", {"3", "1"}: "3",
	{"2", "3"}: "4", {"3", "2"}: "4", {"3", "3"}: "5",
}

// hasPriorityRule reports whether writes to t run the rule.
func hasPriorityRule(t *table) bool {
	return priorityRuleTables[t.Name] && t.field("priority") != nil && t.field("impact") != nil && t.field("urgency") != nil
}

// lookupPriority returns the priority for impact and urgency (API values);
// false when the pair is not in the matrix (an empty or unknown value),
// and then the rule leaves priority alone, as a lookup without a matching
// row does.
func lookupPriority(impact, urgency string) (string, bool) {
	p, ok := priorityMatrix[[2]string{impact, urgency}]
	return p, ok
}

// priorityOnUpdate runs the rule on an update's changes: when impact or
// urgency changes, priority follows the matrix, replacing a priority the
// caller sent; it is no change when the record already has that priority.
// The changes stay in dictionary order (the order of their sys_audit rows).
func priorityOnUpdate(t *table, old record, todo []fieldChange) ([]fieldChange, error) {
	after := map[string]string{"impact": old["impact"], "urgency": old["urgency"]}
	moved := false
	for _, c := range todo {
		if c.f.Name == "impact" || c.f.Name == "urgency" {
			after[c.f.Name] = c.newValue
			moved = true
		}
	}
	if !moved {
		return todo, nil
	}
	p, ok := lookupPriority(after["impact"], after["urgency"])
	if !ok {
		return todo, nil
	}
	pf := t.field("priority")
	out := slices.DeleteFunc(todo, func(c fieldChange) bool { return c.f == pf })
	if p == old[pf.Name] {
		return out, nil
	}
	stored, err := toDB(t, pf, p)
	if err != nil {
		return nil, err
	}
	out = append(out, fieldChange{f: pf, stored: stored, oldValue: old[pf.Name], newValue: p})
	slices.SortStableFunc(out, func(a, b fieldChange) int {
		return slices.Index(t.Fields, a.f) - slices.Index(t.Fields, b.f)
	})
	return out, nil
}

// priorityOnCreate runs the rule on a new record when the caller's body set
// (and was allowed to write) impact or urgency: priority follows the
// record's impact and urgency, replacing a priority the body sent.
func priorityOnCreate(ctx context.Context, q queryer, t *table, id string, fields []*field, writable map[string]bool) error {
	set := false
	for _, f := range fields {
		if (f.Name == "impact" || f.Name == "urgency") && writable[f.Name] {
			set = true
		}
	}
	if !set {
		return nil
	}
	var impact, urgency, priority any
	if err := q.QueryRowContext(ctx, "SELECT impact, urgency, priority FROM "+quoteIdent(t.Name)+" WHERE sys_id = ?1", id).
		Scan(&impact, &urgency, &priority); err != nil {
		return fmt.Errorf("servicenow: priority of %s: %w", t.Name, err)
	}
	pf := t.field("priority")
	p, ok := lookupPriority(fromDB(t.field("impact"), impact), fromDB(t.field("urgency"), urgency))
	if !ok || p == fromDB(pf, priority) {
		return nil
	}
	stored, err := toDB(t, pf, p)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, "UPDATE "+quoteIdent(t.Name)+" SET priority = ?1 WHERE sys_id = ?2", stored, id); err != nil {
		return fmt.Errorf("servicenow: priority of %s: %w", t.Name, err)
	}
	return nil
}
