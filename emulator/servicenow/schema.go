package servicenow

import (
	"context"
	"database/sql"
	"fmt"
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
			if have[f.Name] {
				continue
			}
			if _, err := db.ExecContext(ctx, "ALTER TABLE "+quoteIdent(t.Name)+" ADD COLUMN "+quoteIdent(f.Name)+" "+columnType(f)); err != nil {
				return fmt.Errorf("servicenow: add column %s.%s: %w", t.Name, f.Name, err)
			}
		}
	}
	return nil
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
