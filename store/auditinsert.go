package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// auditChunks are the row counts of the multi-row INSERTs a batch of audit
// events is cut into, largest first: a batch of 75 is one INSERT of 64,
// one of 8 and one of 3. A handful of fixed shapes means each is parsed
// (and on SQLite prepared) once, instead of once per distinct batch size.
// Every size up to 4 has its own shape: group-commit batches are mostly
// 1-3 events, and a batch that is one INSERT needs no transaction around it
// (AppendAudits runs it on its own, saving BEGIN and COMMIT).
var auditChunks = [...]int{64, 16, 8, 4, 3, 2, 1}

// auditColumnsPerRow is the number of bound parameters per audit row.
const auditColumnsPerRow = 10

// auditInserter holds the audit INSERT statements of one store.
type auditInserter struct {
	// positional selects SQLite's "?" placeholders. "$n" also works on
	// SQLite, but SQLite resolves each "$n" by name: parsing a 64-row
	// statement, and binding it, cost more than running it.
	positional bool
	// prepare keeps prepared statements on the write pool (SQLite: one
	// connection, so each shape is prepared once for the store's life).
	// PostgreSQL's pgx caches prepared statements per connection by text.
	prepare bool

	mu    sync.Mutex
	text  map[int]string
	stmts map[int]*sql.Stmt
}

func newAuditInserter(positional, prepare bool) *auditInserter {
	return &auditInserter{positional: positional, prepare: prepare, text: map[int]string{}, stmts: map[int]*sql.Stmt{}}
}

// query returns the INSERT text for rows rows.
func (a *auditInserter) query(rows int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO audit_events (time, action, workload, user_id, provider, flow, outcome, detail, request_id, session_id) VALUES `)
	n := 0
	for i := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(")
		for j := range auditColumnsPerRow {
			if j > 0 {
				q.WriteString(", ")
			}
			n++
			if a.positional {
				q.WriteString("?")
			} else {
				q.WriteString("$" + strconv.Itoa(n))
			}
		}
		q.WriteString(")")
	}
	return q.String()
}

// plan cuts n rows into auditChunks, largest first.
func plan(n int) []int {
	var out []int
	for _, c := range auditChunks {
		for n >= c {
			out = append(out, c)
			n -= c
		}
	}
	return out
}

// textFor returns the INSERT text for rows rows, built once.
func (a *auditInserter) textFor(rows int) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	q, ok := a.text[rows]
	if !ok {
		q = a.query(rows)
		a.text[rows] = q
	}
	return q
}

// ready prepares, if this store prepares, every shape in chunks. It runs
// before the transaction: on SQLite the write pool's one connection is the
// transaction's, and preparing on the pool while it is held would wait
// for ever.
func (a *auditInserter) ready(ctx context.Context, db *sql.DB, chunks []int) error {
	if !a.prepare {
		return nil
	}
	for _, rows := range chunks {
		a.mu.Lock()
		st := a.stmts[rows]
		a.mu.Unlock()
		if st != nil {
			continue
		}
		st, err := db.PrepareContext(ctx, a.textFor(rows))
		if err != nil {
			return err
		}
		a.mu.Lock()
		if a.stmts[rows] != nil {
			st.Close()
		} else {
			a.stmts[rows] = st
		}
		a.mu.Unlock()
	}
	return nil
}

// exec runs the INSERT of rows rows (one of auditChunks, made ready) in tx.
// A statement prepared on the pool runs in tx on the same driver
// statement when tx holds the connection it was prepared on (always, for
// SQLite's one writer connection).
// exec runs the INSERT of rows rows inside tx.
func (a *auditInserter) exec(ctx context.Context, tx *sql.Tx, rows int, args []any) error {
	if !a.prepare {
		_, err := tx.ExecContext(ctx, a.textFor(rows), args...)
		return err
	}
	_, err := tx.StmtContext(ctx, a.stmt(rows)).ExecContext(ctx, args...)
	return err
}

// execAlone runs the INSERT of rows rows as its own transaction: one
// statement is atomic by itself on both engines, and on SQLite skipping
// BEGIN IMMEDIATE and COMMIT (each a statement of their own, BEGIN
// prepared afresh by the driver every time) was a third of a one-event
// commit.
func (a *auditInserter) execAlone(ctx context.Context, db *sql.DB, rows int, args []any) error {
	if !a.prepare {
		_, err := db.ExecContext(ctx, a.textFor(rows), args...)
		return err
	}
	_, err := a.stmt(rows).ExecContext(ctx, args...)
	return err
}

func (a *auditInserter) stmt(rows int) *sql.Stmt {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stmts[rows]
}

func (a *auditInserter) close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var first error
	for k, st := range a.stmts {
		if err := st.Close(); err != nil && first == nil {
			first = fmt.Errorf("store: close audit statement: %w", err)
		}
		delete(a.stmts, k)
	}
	return first
}
