package servicenow

import (
	"context"
	"fmt"
	"strings"
)

// create inserts a record as the caller: record "create" rules decide (403
// when none passes, evaluated on the new record); fields the caller may not
// write are left at their defaults; number, dictionary defaults and sys_*
// fields are filled in. Every set field writes a sys_audit row and every
// journal entry a sys_journal_field row, all naming the caller.
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
	values := map[string]any{}
	for k, v := range defaults {
		values[k] = v
	}
	var journal []*field
	fields := candidates(t, req.values)
	for _, f := range fields {
		if !f.stored() {
			if req.values[f.Name] != "" {
				journal = append(journal, f)
			}
			continue
		}
		v, err := s.inputValue(ctx, tx, t, f, req.values[f.Name], req.inputDisplay)
		if err != nil {
			return nil, err
		}
		values[f.Name] = v
	}
	if f := t.field("number"); t.NumberPrefix != "" && values["number"] == nil {
		n, err := s.nextNumber(ctx, tx, t)
		if err != nil {
			return nil, err
		}
		values[f.Name] = n
	}
	values["sys_id"], values["sys_created_on"], values["sys_updated_on"] = id, now, now
	values["sys_created_by"], values["sys_updated_by"], values["sys_mod_count"] = p.UserName, p.UserName, int64(0)

	b := &sqlBuilder{}
	var cols, marks []string
	for _, f := range t.Fields {
		if v, ok := values[f.Name]; ok && f.stored() {
			cols = append(cols, quoteIdent(f.Name))
			marks = append(marks, b.bind(v))
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+quoteIdent(t.Name)+" ("+strings.Join(cols, ", ")+") VALUES ("+strings.Join(marks, ", ")+")", b.args...); err != nil {
		return nil, fmt.Errorf("servicenow: create %s: %w", t.Name, err)
	}
	// Field rules are checked on the new record; a denied field goes back
	// to its default.
	ok, err := s.fieldsAllowed(ctx, tx, env, t, id, fields)
	if err != nil {
		return nil, err
	}
	ub := &sqlBuilder{}
	var resets []string
	for _, f := range fields {
		if ok[f.Name] || !f.stored() {
			continue
		}
		resets = append(resets, quoteIdent(f.Name)+" = "+ub.bind(defaults[f.Name]))
	}
	if len(resets) > 0 {
		if _, err := tx.ExecContext(ctx, "UPDATE "+quoteIdent(t.Name)+" SET "+strings.Join(resets, ", ")+" WHERE sys_id = "+ub.bind(id), ub.args...); err != nil {
			return nil, fmt.Errorf("servicenow: create %s: %w", t.Name, err)
		}
	}
	if allowed, err := s.allowed(ctx, tx, env, t, id, OpCreate); err != nil || !allowed {
		if err == nil {
			err = errCreateDenied
		}
		return nil, err
	}

	written, err := s.getRecord(ctx, tx, s.env(systemPrincipal), t, id, false)
	if err != nil {
		return nil, err
	}
	for _, f := range t.Fields {
		if f.ReadOnly || !f.stored() || f.hidden() || written[f.Name] == "" {
			continue
		}
		if err := s.audit(ctx, tx, t, id, f.Name, "", written[f.Name], p.UserName, 0, ""); err != nil {
			return nil, err
		}
	}
	for _, f := range journal {
		if !ok[f.Name] {
			continue
		}
		if err := s.addJournal(ctx, tx, t, id, f, req.values[f.Name], p.UserName, 0); err != nil {
			return nil, err
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
