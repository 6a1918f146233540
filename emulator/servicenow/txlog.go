package servicenow

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// txLog writes syslog_transaction rows in batches, as a real instance
// writes its transaction log asynchronously. A write per request would
// also change the database under every reader and throw away their page
// caches, which costs more than the request itself. Anything that reads
// syslog_transaction flushes first, so a reader always sees every request
// that finished before it.
type txLog struct {
	s      *Server
	mu     sync.Mutex
	buf    []map[string]string
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	flushM sync.Mutex // one flush at a time, in order
}

const (
	txLogInterval = time.Second
	txLogBatch    = 4096 // a buffer this full is flushed at once
)

func newTxLog(s *Server) *txLog {
	l := &txLog{s: s, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *txLog) run() {
	defer close(l.done)
	tick := time.NewTicker(txLogInterval)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			l.flush(context.Background())
			return
		case <-tick.C:
		case <-l.wake:
		}
		l.flush(context.Background())
	}
}

// add queues one row (field -> API value, sys_created_on included).
func (l *txLog) add(row map[string]string) {
	l.mu.Lock()
	l.buf = append(l.buf, row)
	full := len(l.buf) >= txLogBatch
	l.mu.Unlock()
	if full {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// flush writes every queued row in one transaction.
func (l *txLog) flush(ctx context.Context) {
	l.flushM.Lock()
	defer l.flushM.Unlock()
	l.mu.Lock()
	rows := l.buf
	l.buf = nil
	l.mu.Unlock()
	if len(rows) == 0 {
		return
	}
	err := func() error {
		tx, err := l.s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		for _, r := range rows {
			if err := l.s.insert(ctx, tx, "syslog_transaction", r["sys_created_by"], r); err != nil {
				return err
			}
		}
		return tx.Commit()
	}()
	if err != nil {
		l.s.log.Log(ctx, slog.LevelError, "servicenow: write syslog_transaction", "rows", len(rows), "error", err)
	}
}

// close flushes what is queued and stops the writer.
func (l *txLog) close() {
	close(l.stop)
	<-l.done
}
