package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// WAL checkpoints run off the commit path. SQLite's default checkpoints
// from inside whichever commit pushes the WAL past 1000 pages: that commit
// copies every changed page into the database file and fsyncs it, and it
// was the broker's p99 (every audit batch is a commit). The writer instead
// sets wal_autocheckpoint to walSafetyPages, a bound it should never reach,
// and a goroutine of the store's own runs PASSIVE checkpoints on a
// connection of its own every checkpointInterval. PASSIVE never waits for
// readers or the writer; it copies what it can, and once it has copied all
// of the WAL the next write transaction starts the WAL over from its
// beginning (journal_size_limit then truncates the file), so the WAL stays
// near what one interval writes. If the checkpointer falls behind (a long
// reader pins old frames), the writer's own autocheckpoint at
// walSafetyPages still bounds the file.
const (
	checkpointInterval = 200 * time.Millisecond
	walSafetyPages     = 16384    // 64 MiB of 4 KiB pages
	walSizeLimit       = 64 << 20 // journal_size_limit, bytes
)

// checkpointer runs PASSIVE checkpoints on db until stop.
type checkpointer struct {
	db     *sql.DB
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startCheckpointer(db *sql.DB, every time.Duration) *checkpointer {
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, cancel: cancel}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// Errors (SQLITE_BUSY from another process's checkpoint, a
				// closing store) are left to the next tick and to the
				// writer's safety bound.
				_, _, _ = c.checkpoint(ctx)
			}
		}
	}()
	return c
}

// checkpoint runs one PASSIVE checkpoint and returns the WAL's size in
// frames and how many of them are now copied into the database.
func (c *checkpointer) checkpoint(ctx context.Context) (walFrames, copied int, err error) {
	var busy int
	err = c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walFrames, &copied)
	return walFrames, copied, err
}

// stop ends the goroutine, runs a last checkpoint and closes db.
func (c *checkpointer) stop() error {
	c.cancel()
	c.wg.Wait()
	_, _, _ = c.checkpoint(context.Background())
	return c.db.Close()
}
