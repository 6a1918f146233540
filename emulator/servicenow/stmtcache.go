package servicenow

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared read statements by SQL text. Compiled queries
// bind every value, so one text serves every caller and every value of a
// query shape, and preparing (parsing and planning SQL) costs more than
// running these small indexed queries. The cache is bounded: when full it
// starts over.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

const stmtCacheSize = 512

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	if len(c.stmts) >= stmtCacheSize {
		for k, st := range c.stmts {
			st.Close()
			delete(c.stmts, k)
		}
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.stmts[query] = st
	return st, nil
}

// QueryContext runs a read through a cached statement. A statement that a
// concurrent reset closed under us is prepared again, once.
func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	for attempt := 0; ; attempt++ {
		st, err := c.stmt(ctx, query)
		if err != nil {
			return nil, err
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil && attempt == 0 && c.evicted(query, st) {
			continue
		}
		return rows, err
	}
}

// evicted reports whether st is no longer the cached statement for query.
func (c *stmtCache) evicted(query string, st *sql.Stmt) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stmts[query] != st
}

// QueryRowContext is QueryContext for one row.
func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		// Let database/sql report the prepare error through Row.Scan.
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// ExecContext is never cached: writes go through the writer.
func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, query, args...)
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.stmts {
		st.Close()
		delete(c.stmts, k)
	}
}
