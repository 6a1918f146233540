package servicenow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// journalAddition is sys_audit.oldvalue for a journal entry, as on a real
// instance.
const journalAddition = "JOURNAL FIELD ADDITION"

// writeRequest is a POST, PUT or PATCH body as the caller sent it.
type writeRequest struct {
	values map[string]string // field -> API value
	// inputDisplay is sysparm_input_display_value: choice labels and
	// reference display values are resolved to values.
	inputDisplay bool
}

// lookupDisplay finds the record of t whose display value is v (the first
// one, as a real instance does).
func (s *Server) lookupDisplay(ctx context.Context, q queryer, t *table, v string) (string, bool, error) {
	df := t.field(t.Display)
	if df.Type == typeReference {
		return "", false, nil
	}
	var id string
	err := q.QueryRowContext(ctx, "SELECT sys_id FROM "+quoteIdent(t.Name)+" WHERE "+quoteIdent(df.Name)+" = ?1 ORDER BY rowid LIMIT 1", typed(df, v)).Scan(&id)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("servicenow: look up %s by display value: %w", t.Name, err)
	}
	return id, true, nil
}

// inputValue converts an API value for f to what is stored. With
// inputDisplay a choice label becomes its value and a reference that is not
// a sys_id is looked up by the target's display value.
func (s *Server) inputValue(ctx context.Context, q queryer, t *table, f *field, v string, inputDisplay bool) (any, error) {
	if inputDisplay && v != "" {
		switch f.Type {
		case typeChoice, typeIntegerChoice:
			if cv, ok := f.choiceValue(v); ok {
				v = cv
			}
		case typeReference:
			if !sysIDRE.MatchString(v) {
				id, ok, err := s.lookupDisplay(ctx, q, s.dict.table(f.Reference), v)
				if err != nil {
					return nil, err
				}
				if !ok {
					return nil, &valueError{Table: t.Name, Field: f.Name, Type: f.Type}
				}
				v = id
			}
		}
	}
	return toDB(t, f, v)
}

// candidates are the body's fields a caller can write at all: known,
// neither system-maintained nor hidden. Unknown fields are ignored, as on a
// real instance. Dictionary order keeps audit rows deterministic.
func candidates(t *table, body map[string]string) []*field {
	var out []*field
	for _, f := range t.Fields {
		if _, ok := body[f.Name]; ok && !f.ReadOnly && !f.hidden() {
			out = append(out, f)
		}
	}
	return out
}

func (s *Server) audit(ctx context.Context, q queryer, t *table, sysID, fieldName, oldValue, newValue, user string, checkpoint int, reason string) error {
	return s.insert(ctx, q, "sys_audit", user, map[string]string{
		"tablename": t.Name, "fieldname": fieldName, "documentkey": sysID,
		"oldvalue": oldValue, "newvalue": newValue, "user": user,
		"record_checkpoint": strconv.Itoa(checkpoint), "reason": reason,
	})
}

// addJournal writes one journal entry (sys_journal_field) and its sys_audit
// row, both naming the acting user.
func (s *Server) addJournal(ctx context.Context, q queryer, t *table, sysID string, f *field, text, user string, checkpoint int) error {
	if err := s.insert(ctx, q, "sys_journal_field", user, map[string]string{
		"element_id": sysID, "name": t.Name, "element": f.Name, "value": text,
	}); err != nil {
		return err
	}
	return s.audit(ctx, q, t, sysID, f.Name, journalAddition, text, user, checkpoint, "")
}

// fieldChange is one field an update changes.
type fieldChange struct {
	f        *field
	stored   any
	oldValue string
	newValue string
}

// update applies a body to one record as the caller: the record must be
// readable (else errNotFound) and writable (else errForbidden); fields the
// caller may not write are ignored, as are unknown, hidden and sys_*
// fields. Each changed field writes one sys_audit row and each journal
// entry a sys_journal_field row, all naming the caller; sys_updated_on/by
// and sys_mod_count move only when something changed. On incident and
// problem the priority rule (priority.go) runs on the changes. The response
// shows what was written even if the change moved the record out of the
// caller's read ACL.
func (s *Server) update(ctx context.Context, p *principal, t *table, sysID string, req writeRequest) (record, error) {
	env := s.env(p)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("servicenow: update %s: %w", t.Name, err)
	}
	defer tx.Rollback()

	if ok, err := s.allowed(ctx, tx, env, t, sysID, OpRead); err != nil || !ok {
		if err == nil {
			err = errNotFound
		}
		return nil, err
	}
	if ok, err := s.allowed(ctx, tx, env, t, sysID, OpWrite); err != nil || !ok {
		if err == nil {
			err = errForbidden
		}
		return nil, err
	}
	old, err := s.getRecord(ctx, tx, s.env(systemPrincipal), t, sysID, false)
	if err != nil {
		return nil, err
	}
	fields := candidates(t, req.values)
	writable, err := s.fieldsAllowed(ctx, tx, env, t, sysID, fields)
	if err != nil {
		return nil, err
	}
	var todo []fieldChange
	var journal []*field
	for _, f := range fields {
		if !writable[f.Name] {
			continue
		}
		v := req.values[f.Name]
		if !f.stored() {
			if v != "" {
				journal = append(journal, f)
			}
			continue
		}
		stored, err := s.inputValue(ctx, tx, t, f, v, req.inputDisplay)
		if err != nil {
			return nil, err
		}
		nv := fromDB(f, stored)
		if nv == old[f.Name] {
			continue
		}
		todo = append(todo, fieldChange{f: f, stored: stored, oldValue: old[f.Name], newValue: nv})
	}
	if hasPriorityRule(t) {
		if todo, err = priorityOnUpdate(t, old, todo); err != nil {
			return nil, err
		}
	}
	if len(todo) > 0 || len(journal) > 0 {
		modCount, _ := strconv.Atoi(old[sysModCountField])
		modCount++
		b := &sqlBuilder{}
		var sets []string
		for _, c := range todo {
			sets = append(sets, quoteIdent(c.f.Name)+" = "+b.bind(c.stored))
		}
		sets = append(sets,
			"sys_updated_on = "+b.bind(formatTime(s.now())),
			"sys_updated_by = "+b.bind(p.UserName),
			"sys_mod_count = "+b.bind(int64(modCount)))
		if _, err := tx.ExecContext(ctx, "UPDATE "+quoteIdent(t.Name)+" SET "+strings.Join(sets, ", ")+" WHERE sys_id = "+b.bind(sysID), b.args...); err != nil {
			return nil, fmt.Errorf("servicenow: update %s: %w", t.Name, err)
		}
		for _, c := range todo {
			if err := s.audit(ctx, tx, t, sysID, c.f.Name, c.oldValue, c.newValue, p.UserName, modCount, ""); err != nil {
				return nil, err
			}
		}
		for _, f := range journal {
			if err := s.addJournal(ctx, tx, t, sysID, f, req.values[f.Name], p.UserName, modCount); err != nil {
				return nil, err
			}
		}
	}
	rec, err := s.getRecord(ctx, tx, env, t, sysID, false)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("servicenow: update %s: %w", t.Name, err)
	}
	s.auth.changed(t.Name)
	return rec, nil
}

// remove deletes one record as the caller: unreadable is errNotFound, not
// deletable errDeleteDenied. One sys_audit row (fieldname "DELETED", the
// record's display value as oldvalue) names the caller. Journal entries
// stay, as on a real instance.
func (s *Server) remove(ctx context.Context, p *principal, t *table, sysID string) error {
	env := s.env(p)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("servicenow: delete %s: %w", t.Name, err)
	}
	defer tx.Rollback()
	if ok, err := s.allowed(ctx, tx, env, t, sysID, OpRead); err != nil || !ok {
		if err == nil {
			err = errNotFound
		}
		return err
	}
	if ok, err := s.allowed(ctx, tx, env, t, sysID, OpDelete); err != nil || !ok {
		if err == nil {
			err = errDeleteDenied
		}
		return err
	}
	old, err := s.getRecord(ctx, tx, s.env(systemPrincipal), t, sysID, false)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM "+quoteIdent(t.Name)+" WHERE sys_id = ?1", sysID); err != nil {
		return fmt.Errorf("servicenow: delete %s: %w", t.Name, err)
	}
	modCount, _ := strconv.Atoi(old[sysModCountField])
	if err := s.audit(ctx, tx, t, sysID, "DELETED", old[t.Display], "", p.UserName, modCount, "DELETED"); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("servicenow: delete %s: %w", t.Name, err)
	}
	s.auth.changed(t.Name)
	return nil
}

// systemPrincipal is the instance itself (seeding, internal reads).
var systemPrincipal = &principal{UserName: "system", Roles: map[string]bool{roleAdmin: true}}

// insert writes a record without ACL checks (instance-internal writes:
// seeding, audit, journal, transaction log). sys_id and sys_* fields are
// filled in unless given; an existing sys_id is left alone (INSERT OR
// IGNORE), so seeding is idempotent. Values are API strings.
func (s *Server) insert(ctx context.Context, q queryer, table, by string, values map[string]string) error {
	t := s.dict.table(table)
	if t == nil {
		return fmt.Errorf("servicenow: insert into unknown table %q", table)
	}
	now := formatTime(s.now())
	defaults := map[string]string{
		"sys_id": newSysID(), "sys_created_on": now, "sys_created_by": by,
		"sys_updated_on": now, "sys_updated_by": by, "sys_mod_count": "0",
	}
	b := &sqlBuilder{}
	var cols, marks []string
	for _, f := range t.Fields {
		v, ok := values[f.Name]
		if !ok {
			v, ok = defaults[f.Name]
		}
		if !ok || !f.stored() {
			continue
		}
		stored, err := toDB(t, f, v)
		if err != nil {
			return err
		}
		cols = append(cols, quoteIdent(f.Name))
		marks = append(marks, b.bind(stored))
	}
	for k := range values {
		if f := t.field(k); f == nil || !f.stored() {
			return fmt.Errorf("servicenow: insert into %s: unknown field %q", table, k)
		}
	}
	_, err := q.ExecContext(ctx, "INSERT OR IGNORE INTO "+quoteIdent(t.Name)+" ("+strings.Join(cols, ", ")+") VALUES ("+strings.Join(marks, ", ")+")", b.args...)
	if err != nil {
		return fmt.Errorf("servicenow: insert into %s: %w", table, err)
	}
	// Inside a transaction the caller notes the change again after commit.
	s.auth.changed(table)
	return nil
}
