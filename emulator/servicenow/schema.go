package servicenow

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// quoteIdent quotes a dictionary identifier for SQL. Only names validated by
// newDictionary reach it; quoting keeps keywords such as "user" usable.
func quoteIdent(name string) string { return `"` + name + `"` }

func columnType(f *field) string {
	if f.Type.numeric() {
		return "INTEGER"
	}
	return "TEXT"
}

// migrate creates one SQLite table per dictionary table and adds the columns
// of fields defined since the database file was created, so a dictionary that
// grows keeps working on an existing data dir.
func migrate(ctx context.Context, db *sql.DB, d *dictionary) error {
	for _, t := range d.list() {
		cols := ""
		for _, f := range t.Fields {
			if !f.stored() {
				continue
			}
			if f.Name == "sys_id" {
				cols += `"sys_id" TEXT NOT NULL PRIMARY KEY`
				continue
			}
			cols += ", " + quoteIdent(f.Name) + " " + columnType(f)
		}
		if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+quoteIdent(t.Name)+" ("+cols+")"); err != nil {
			return fmt.Errorf("servicenow: create table %s: %w", t.Name, err)
		}
		have, err := existingColumns(ctx, db, t.Name)
		if err != nil {
			return err
		}
		for _, f := range t.Fields {
			if have[f.Name] || !f.stored() {
				continue
			}
			if _, err := db.ExecContext(ctx, "ALTER TABLE "+quoteIdent(t.Name)+" ADD COLUMN "+quoteIdent(f.Name)+" "+columnType(f)); err != nil {
				return fmt.Errorf("servicenow: add column %s.%s: %w", t.Name, f.Name, err)
			}
		}
		if err := createIndexes(ctx, db, t); err != nil {
			return err
		}
	}
	return nil
}

func indexName(t *table, ix []string) string { return "ix_" + t.Name + "_" + strings.Join(ix, "_") }

// createIndexes creates the indexes of t that do not exist yet.
func createIndexes(ctx context.Context, q queryer, t *table) error {
	for _, ix := range indexes(t) {
		cols := make([]string, len(ix))
		for i, c := range ix {
			cols[i] = quoteIdent(c)
		}
		name := indexName(t, ix)
		if _, err := q.ExecContext(ctx, "CREATE INDEX IF NOT EXISTS "+quoteIdent(name)+" ON "+quoteIdent(t.Name)+" ("+strings.Join(cols, ", ")+")"); err != nil {
			return fmt.Errorf("servicenow: create index %s: %w", name, err)
		}
	}
	return nil
}

// dropIndexes drops the secondary indexes of t (bulk loads rebuild them
// once at the end, which is much cheaper than maintaining them row by row).
func dropIndexes(ctx context.Context, q queryer, t *table) error {
	for _, ix := range indexes(t) {
		if _, err := q.ExecContext(ctx, "DROP INDEX IF EXISTS "+quoteIdent(indexName(t, ix))); err != nil {
			return fmt.Errorf("servicenow: drop index %s: %w", indexName(t, ix), err)
		}
	}
	return nil
}

// indexes lists the indexes of t: one per reference field and for "number"
// (unless a declared index already starts with that column), then the
// declared composite indexes.
func indexes(t *table) [][]string {
	leads := map[string]bool{}
	for _, ix := range t.Indexes {
		leads[ix[0]] = true
	}
	var out [][]string
	for _, f := range t.Fields {
		if (f.Type == typeReference || f.Name == "number") && !leads[f.Name] {
			out = append(out, []string{f.Name})
		}
	}
	return append(out, t.Indexes...)
}

func existingColumns(ctx context.Context, db *sql.DB, table string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT name FROM pragma_table_info(?1)", table)
	if err != nil {
		return nil, fmt.Errorf("servicenow: columns of %s: %w", table, err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("servicenow: columns of %s: %w", table, err)
		}
		have[n] = true
	}
	return have, rows.Err()
}
