package servicenow

import (
	"context"
	"fmt"
	"strings"
)

// create inserts a record as the caller: record "create" rules decide (403
// when none passes, evaluated on the new record); fields the caller may not
// write are left at their defaults; number, dictionary defaults and sys_*
// fields are filled in; on incident and problem the priority rule
// (priority.go) runs before the create rules see the record. Every set
// field writes a sys_audit row and every journal entry a sys_journal_field
// row, all naming the caller.
func (s *Server) create(ctx context.Context, p *principal, t *table, req writeRequest) (record, error) {
	env := s.env(p)
	if env.staticAccess(s.acl.recordRules(t, OpCreate), accessDenied) == accessDenied {
		return nil, errCreateDenied
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("servicenow: create %s: %w", t.Name, err)
	}
	defer tx.Rollback()

	now := formatTime(s.now())
	id := s.newID()
	defaults, err := insertDefaults(t, p, now)
	if err != nil {
		return nil, err
	}
	values := map[string]any{}
	for k, v := range defaults {
		values[k] = v
	}
	fields := candidates(t, req.values)
	for _, f := range fields {
		if f.stored() {
			if values[f.Name], err = s.inputValue(ctx, tx, t, f, req.values[f.Name], req.inputDisplay); err != nil {
				return nil, err
			}
		}
	}
	if t.NumberPrefix != "" && values["number"] == nil {
		if values["number"], err = s.nextNumber(ctx, tx, t); err != nil {
			return nil, err
		}
	}
	values["sys_id"], values["sys_created_on"], values["sys_updated_on"] = id, now, now
	values["sys_created_by"], values["sys_updated_by"], values["sys_mod_count"] = p.UserName, p.UserName, int64(0)
	if err := insertRow(ctx, tx, t, values); err != nil {
		return nil, err
	}

	// Field rules are checked on the new record; a denied field goes back
	// to its default. Then the record rules decide.
	writable, err := s.fieldsAllowed(ctx, tx, env, t, id, fields)
	if err != nil {
		return nil, err
	}
	if err := resetDenied(ctx, tx, t, id, fields, writable, defaults); err != nil {
		return nil, err
	}
	if hasPriorityRule(t) {
		if err := priorityOnCreate(ctx, tx, t, id, fields, writable); err != nil {
			return nil, err
		}
	}
	if allowed, err := s.allowed(ctx, tx, env, t, id, OpCreate); err != nil || !allowed {
		if err == nil {
			err = errCreateDenied
		}
		return nil, err
	}

	if err := s.auditCreate(ctx, tx, t, id, p.UserName); err != nil {
		return nil, err
	}
	for _, f := range fields {
		if text := req.values[f.Name]; !f.stored() && writable[f.Name] && text != "" {
			if err := s.addJournal(ctx, tx, t, id, f, text, p.UserName, 0); err != nil {
				return nil, err
			}
		}
	}
	rec, err := s.getRecord(ctx, tx, env, t, id, false)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("servicenow: create %s: %w", t.Name, err)
	}
	s.auth.changed(t.Name)
	return rec, nil
}

// insertDefaults evaluates the dictionary defaults of t for a new record.
func insertDefaults(t *table, p *principal, now string) (map[string]any, error) {
	defaults := map[string]any{}
	for _, f := range t.Fields {
		switch f.Default {
		case "":
		case defaultNow:
			defaults[f.Name] = now
		case defaultUser:
			if p.SysID != "" {
				defaults[f.Name] = p.SysID
			}
		default:
			v, err := toDB(t, f, f.Default)
			if err != nil {
				return nil, err
			}
			defaults[f.Name] = v
		}
	}
	return defaults, nil
}

// insertRow inserts stored values (field -> stored value) as a new row.
func insertRow(ctx context.Context, q queryer, t *table, values map[string]any) error {
	b := &sqlBuilder{}
	var cols, marks []string
	for _, f := range t.Fields {
		if v, ok := values[f.Name]; ok && f.stored() {
			cols = append(cols, quoteIdent(f.Name))
			marks = append(marks, b.bind(v))
		}
	}
	if _, err := q.ExecContext(ctx, "INSERT INTO "+quoteIdent(t.Name)+" ("+strings.Join(cols, ", ")+") VALUES ("+strings.Join(marks, ", ")+")", b.args...); err != nil {
		return fmt.Errorf("servicenow: create %s: %w", t.Name, err)
	}
	return nil
}

// resetDenied puts the fields the caller may not write back to their
// defaults.
func resetDenied(ctx context.Context, q queryer, t *table, id string, fields []*field, writable map[string]bool, defaults map[string]any) error {
	b := &sqlBuilder{}
	var resets []string
	for _, f := range fields {
		if !writable[f.Name] && f.stored() {
			resets = append(resets, quoteIdent(f.Name)+" = "+b.bind(defaults[f.Name]))
		}
	}
	if len(resets) == 0 {
		return nil
	}
	if _, err := q.ExecContext(ctx, "UPDATE "+quoteIdent(t.Name)+" SET "+strings.Join(resets, ", ")+" WHERE sys_id = "+b.bind(id), b.args...); err != nil {
		return fmt.Errorf("servicenow: create %s: %w", t.Name, err)
	}
	return nil
}

// auditCreate writes one sys_audit row per non-empty field of the new
// record (system fields aside), naming user.
func (s *Server) auditCreate(ctx context.Context, q queryer, t *table, id, user string) error {
	written, err := s.getRecord(ctx, q, s.env(systemPrincipal), t, id, false)
	if err != nil {
		return err
	}
	for _, f := range t.Fields {
		if f.ReadOnly || !f.stored() || f.hidden() || written[f.Name] == "" {
			continue
		}
		if err := s.audit(ctx, q, t, id, f.Name, "", written[f.Name], user, 0, ""); err != nil {
			return err
		}
	}
	return nil
}
