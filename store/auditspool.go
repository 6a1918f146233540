package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/onbehalf/onbehalf/store/internal/spool"
)

// The audit spool: on SQLite files, AppendAudits does not commit to the
// database. It appends the batch to a spool file next to the database with
// one write(2) (package spool), and returns once that write is done; a
// background loop loads the spooled events into audit_events in large
// transactions. Each of those transactions also records in audit_spool how
// far into the file it has loaded, so after a crash the next Open of the
// database (by any process) replays exactly the events that never reached
// it, each once.
//
// Durability is the same as the database's own: with synchronous=NORMAL in
// WAL mode a committed SQLite transaction survives the process being
// killed but not a power loss, and so does a spooled event (it is in the
// kernel's page cache when AppendAudits returns). A caller whose event
// cannot be written to the spool gets an error, as it would from a failed
// commit.
//
// Why: every broker call waits for its audit event. One SQLite commit per
// small batch was a quarter of the broker's CPU at load; a spool write is
// one syscall, and loading thousands of events per transaction costs a few
// microseconds each.
//
// Reads see spooled events: ListAudit on the same Store first waits for
// everything appended so far to be loaded. Another process reading the
// same database sees them within spoolInterval.
const (
	// spoolInterval is how often the loader runs when few events wait.
	spoolInterval = 50 * time.Millisecond
	// spoolLoadAt wakes the loader early once this many events wait.
	spoolLoadAt = 1024
	// spoolLoadMax bounds the events of one loading transaction.
	spoolLoadMax = 4096
	// spoolMaxQueued bounds the events waiting to be loaded; AppendAudits
	// waits beyond it (memory stays bounded if the database falls behind).
	spoolMaxQueued = 1 << 16
	// spoolRotateBytes: past this size appends move to a new file, and the
	// old one is deleted once everything in it is loaded.
	spoolRotateBytes = 8 << 20
)

// SpoolsAudits implements AuditSpooler: true for SQLite files.
func (s *sqlStore) SpoolsAudits() bool { return s.spool != nil }

// AuditSpoolStats serves the package's AuditSpoolStats.
func (s *sqlStore) AuditSpoolStats() (queued int, failedLoads uint64) {
	if s.spool == nil {
		return 0, 0
	}
	s.spool.mu.Lock()
	defer s.spool.mu.Unlock()
	return s.spool.queued, s.spool.failed
}

// spoolBatch is one AppendAudits call's events, one spool record.
type spoolBatch struct {
	evs  []AuditEvent
	file *spool.File
	end  int64 // offset just past the record
}

type auditSpool struct {
	s      *sqlStore
	prefix string // spool files are prefix + random + ".spool"
	// rotateBytes, interval and loadAt are spoolRotateBytes, spoolInterval
	// and spoolLoadAt (tests change them before the first append).
	rotateBytes int64
	interval    time.Duration
	loadAt      int

	mu       sync.Mutex
	closed   bool          // close has begun: appends and flushes fail
	file     *spool.File   // current file; nil until the first append, or after a failed one
	retired  []*spool.File // older files with events still to load, oldest first
	queue    []spoolBatch  // appended, not yet loaded, in order
	queued   int           // events in queue
	appended uint64        // events appended since open
	loaded   uint64        // events loaded since open
	runs     uint64        // loader runs finished
	loadErr  error         // the last run's error, nil after a good one
	failures int           // loader runs failed in a row
	failed   uint64        // loader runs failed since open
	changed  chan struct{} // closed and replaced after every loader run

	wake chan struct{}
	stop chan struct{}
	done chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// openAuditSpool replays the spool files left by processes that died for
// the database at dbPath, then starts the loader.
func openAuditSpool(ctx context.Context, s *sqlStore, dbPath string) (*auditSpool, error) {
	// Every process must find the same spool files, whichever link it
	// opened the database through.
	if real, err := filepath.EvalSymlinks(dbPath); err == nil {
		dbPath = real
	}
	a := &auditSpool{
		s:           s,
		prefix:      dbPath + "-audit-",
		rotateBytes: spoolRotateBytes,
		interval:    spoolInterval,
		loadAt:      spoolLoadAt,
		changed:     make(chan struct{}),
		wake:        make(chan struct{}, 1),
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	if err := a.replayOrphans(ctx); err != nil {
		return nil, err
	}
	if spoolTestHook != nil {
		spoolTestHook(a)
	}
	go a.run()
	return a, nil
}

// spoolTestHook, when set (by tests), sees every spool before its loader
// starts.
var spoolTestHook func(*auditSpool)

// errSpoolClosed: the store is closing or closed.
var errSpoolClosed = errors.New("store is closed")

// spoolFailFast is how many loader runs in a row must fail before a full
// queue fails appends at once instead of waiting.
const spoolFailFast = 3

// append spools evs (times already filled) and returns once the record is
// written. A batch too large for one record is split into several.
func (a *auditSpool) append(ctx context.Context, evs []AuditEvent) error {
	rec := encodeAudits(evs)
	if len(rec) > spool.MaxRecord && len(evs) > 1 {
		if err := a.append(ctx, evs[:len(evs)/2]); err != nil {
			return err
		}
		return a.append(ctx, evs[len(evs)/2:])
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.queued >= spoolMaxQueued && !a.closed {
		if a.failures >= spoolFailFast {
			return fmt.Errorf("store: audit spool full and not loading: %w", a.loadErr)
		}
		ch := a.changed
		a.mu.Unlock()
		a.kick()
		select {
		case <-ch:
			a.mu.Lock()
		case <-ctx.Done():
			a.mu.Lock()
			return fmt.Errorf("store: audit spool full: %w", ctx.Err())
		}
	}
	if a.closed {
		return fmt.Errorf("store: audit spool: %w", errSpoolClosed)
	}
	if a.file == nil || a.file.Size() >= a.rotateBytes {
		f, err := spool.Create(a.prefix)
		if err != nil {
			return fmt.Errorf("store: audit spool: %w", err)
		}
		a.retire()
		a.file = f
	}
	end, err := a.file.Append(rec)
	if errors.Is(err, spool.ErrTooLarge) {
		return fmt.Errorf("store: audit spool: one event of %d bytes: %w", len(rec), err)
	}
	if err != nil {
		// The file's tail is now unknown: no more appends to it. What it
		// holds before the failed record still loads (offsets are only
		// ever recorded at whole records); the next append starts a new
		// file, so a passing disk error fails only the calls it hit.
		a.retire()
		return fmt.Errorf("store: audit spool: %w", err)
	}
	a.queue = append(a.queue, spoolBatch{evs: evs, file: a.file, end: end})
	a.queued += len(evs)
	a.appended += uint64(len(evs))
	if a.queued >= a.loadAt {
		a.kick()
	}
	return nil
}

// retire moves the current file, if any, to the retired list. Called with
// a.mu held.
func (a *auditSpool) retire() {
	if a.file != nil {
		a.retired = append(a.retired, a.file)
		a.file = nil
	}
}

func (a *auditSpool) kick() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// flush waits until every event appended before it was called is loaded.
// It returns the loader's error if a run after the call failed.
func (a *auditSpool) flush(ctx context.Context) error {
	a.mu.Lock()
	target, runs := a.appended, a.runs
	for a.loaded < target {
		if a.closed {
			a.mu.Unlock()
			return fmt.Errorf("store: audit spool: %w", errSpoolClosed)
		}
		if a.runs > runs && a.loadErr != nil {
			err := a.loadErr
			a.mu.Unlock()
			return fmt.Errorf("store: audit spool: %w", err)
		}
		ch := a.changed
		a.mu.Unlock()
		a.kick()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		a.mu.Lock()
	}
	a.mu.Unlock()
	return nil
}

func (a *auditSpool) run() {
	defer close(a.done)
	for {
		a.mu.Lock()
		every := a.interval
		a.mu.Unlock()
		t := time.NewTimer(every)
		select {
		case <-a.stop:
			t.Stop()
			// Load what is left; stop at the first failure (the file stays
			// for the next Open to replay).
			for a.loadOnce() {
			}
			return
		case <-a.wake:
			t.Stop()
		case <-t.C:
		}
		for a.loadOnce() {
		}
	}
}

// loadOnce loads up to spoolLoadMax queued events in one transaction. It
// reports whether it loaded anything and more may be waiting.
func (a *auditSpool) loadOnce() bool {
	a.mu.Lock()
	n, k := 0, 0
	for k < len(a.queue) && (k == 0 || n+len(a.queue[k].evs) <= spoolLoadMax) {
		n += len(a.queue[k].evs)
		k++
	}
	batches := a.queue[:k:k]
	a.mu.Unlock()
	if k == 0 {
		return false
	}
	evs := make([]AuditEvent, 0, n)
	for _, b := range batches {
		evs = append(evs, b.evs...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), auditLoadTimeout)
	err := a.s.insertAudits(ctx, evs, func(tx *sql.Tx) error {
		return markLoaded(ctx, tx, batches)
	})
	cancel()

	a.mu.Lock()
	a.runs++
	a.loadErr = err
	var finished []*spool.File
	if err == nil {
		clear(a.queue[:k]) // the loaded batches' events can go
		a.queue = a.queue[k:]
		a.queued -= n
		a.loaded += uint64(n)
		a.failures = 0
		finished = a.takeFinished()
	} else {
		a.failures++
		a.failed++
	}
	more := err == nil && len(a.queue) > 0
	a.mu.Unlock()
	// Deleting files and their rows waits for the database: not while
	// appends wait for a.mu.
	for _, f := range finished {
		a.forget(f)
	}
	a.mu.Lock()
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()
	return more
}

// auditLoadTimeout bounds one loading transaction.
const auditLoadTimeout = 30 * time.Second

// markLoaded records, for each file in batches, the offset past its last
// loaded record.
func markLoaded(ctx context.Context, tx *sql.Tx, batches []spoolBatch) error {
	for i, b := range batches {
		if i+1 < len(batches) && batches[i+1].file == b.file {
			continue
		}
		if err := setLoaded(ctx, tx, b.file.Path(), b.end); err != nil {
			return err
		}
	}
	return nil
}

func setLoaded(ctx context.Context, tx *sql.Tx, path string, end int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_spool (file, loaded) VALUES ($1, $2)
		ON CONFLICT (file) DO UPDATE SET loaded = excluded.loaded`, filepath.Base(path), end)
	return err
}

// takeFinished removes from the retired list, and returns, the files
// whose events are all loaded (the queue is in file order, so those before
// the first queued batch's file). Called with a.mu held.
func (a *auditSpool) takeFinished() []*spool.File {
	var out []*spool.File
	for len(a.retired) > 0 {
		f := a.retired[0]
		if len(a.queue) > 0 && a.queue[0].file == f {
			break
		}
		a.retired = a.retired[1:]
		out = append(out, f)
	}
	return out
}

// forget deletes a fully loaded file, then its audit_spool row. A crash
// in between leaves only a row naming no file, which is harmless (names
// are random and never reused).
func (a *auditSpool) forget(f *spool.File) {
	if err := f.Remove(); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), auditLoadTimeout)
	defer cancel()
	_, _ = a.s.write.ExecContext(ctx, `DELETE FROM audit_spool WHERE file = $1`, filepath.Base(f.Path()))
}

// close loads what is queued and deletes the spool files. Files with
// events it could not load stay for the next Open to replay.
func (a *auditSpool) close() error {
	a.closeOnce.Do(func() { a.closeErr = a.shutdown() })
	return a.closeErr
}

func (a *auditSpool) shutdown() error {
	// From here on appends fail (one already writing finishes first: it
	// holds a.mu), so what the loader drains below is everything.
	a.mu.Lock()
	a.closed = true
	close(a.changed) // wake appends waiting for room, and flushes
	a.changed = make(chan struct{})
	a.mu.Unlock()
	close(a.stop)
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	a.retire()
	files := a.retired
	a.retired = nil
	if len(a.queue) > 0 {
		for _, f := range files {
			f.Close()
		}
		return fmt.Errorf("store: audit spool: %d events not loaded, left in %s for the next open: %v", a.queued, a.queue[0].file.Path(), a.loadErr)
	}
	for _, f := range files {
		a.forget(f)
	}
	return nil
}

// replayOrphans loads the unloaded records of every spool file of this
// database that no live process holds, then deletes the file. A torn or
// corrupt record (the last write of a process killed mid-write, or a
// damaged disk) ends the replay of that file: the records before it are
// loaded, the file is renamed to *.corrupt and kept for inspection, and an
// audit event (ActionAuditSpoolDamaged) says so in the trail itself. A
// file that cannot be opened is left for a later Open. Only a failure to
// write to the database fails Open.
func (a *auditSpool) replayOrphans(ctx context.Context) error {
	pattern := escapeGlob(a.prefix) + "*.spool"
	tmps, _ := filepath.Glob(pattern + ".tmp")
	for _, p := range tmps {
		if ours(a.prefix, strings.TrimSuffix(p, ".tmp")) {
			spool.RemoveStaleTemp(p)
		}
	}
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return fmt.Errorf("store: audit spool: %w", err)
	}
	for _, p := range paths {
		if !ours(a.prefix, p) {
			continue
		}
		f, err := spool.Claim(p)
		if err != nil {
			continue // held by a live process, gone, or unreadable: not ours to load now
		}
		if err := a.replay(ctx, f); err != nil {
			f.Close()
			return err
		}
	}
	return nil
}

// spoolName is the part Create adds to the prefix.
var spoolName = regexp.MustCompile(`^[0-9a-f]{16}\.spool$`)

// ours reports whether path is a spool file of this database (and not of
// one whose name merely starts like it).
func ours(prefix, path string) bool {
	rest, ok := strings.CutPrefix(path, prefix)
	return ok && spoolName.MatchString(rest)
}

// ActionAuditSpoolDamaged is the audit action recording that a spool file
// was damaged: some events in it could not be read back.
const ActionAuditSpoolDamaged = "AuditSpoolDamaged"

func (a *auditSpool) replay(ctx context.Context, f *spool.File) error {
	from := spool.HeaderSize
	name := filepath.Base(f.Path())
	err := a.s.read.QueryRowContext(ctx, `SELECT loaded FROM audit_spool WHERE file = $1`, name).Scan(&from)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: audit spool replay: %w", err)
	}
	var batch []spoolBatch
	n, total, good := 0, 0, from
	load := func() error {
		if len(batch) == 0 {
			return nil
		}
		evs := make([]AuditEvent, 0, n)
		for _, b := range batch {
			evs = append(evs, b.evs...)
		}
		err := a.s.insertAudits(ctx, evs, func(tx *sql.Tx) error { return markLoaded(ctx, tx, batch) })
		batch, n = batch[:0], 0
		return err
	}
	rerr := f.Read(from, func(rec []byte, end int64) error {
		evs, err := decodeAudits(rec)
		if err != nil {
			return fmt.Errorf("%w: %v", spool.ErrCorrupt, err)
		}
		batch = append(batch, spoolBatch{evs: evs, file: f, end: end})
		n += len(evs)
		total += len(evs)
		good = end
		if n >= spoolLoadMax {
			return load()
		}
		return nil
	})
	if rerr != nil && !errors.Is(rerr, spool.ErrCorrupt) {
		return fmt.Errorf("store: audit spool replay: %w", rerr)
	}
	if err := load(); err != nil {
		return fmt.Errorf("store: audit spool replay: %w", err)
	}
	if rerr == nil {
		a.forget(f)
		return nil
	}
	// Record the damage in the trail, then keep the file out of the next
	// replay's way, but keep it. If the rename fails, the next Open
	// replays from the recorded offset and finds the same damage.
	damaged := AuditEvent{
		Time: a.s.now(), Action: ActionAuditSpoolDamaged, Outcome: "corrupt",
		Detail: fmt.Sprintf("%s unreadable from byte %d of %d; %d events loaded from it at this replay; kept as %s.corrupt",
			name, good, f.Size(), total, name),
	}
	if err := a.s.insertAudits(ctx, []AuditEvent{damaged}, nil); err != nil {
		return fmt.Errorf("store: audit spool replay: %w", err)
	}
	if err := os.Rename(f.Path(), f.Path()+".corrupt"); err != nil {
		f.Close()
		return nil
	}
	f.Close()
	_, _ = a.s.write.ExecContext(ctx, `DELETE FROM audit_spool WHERE file = $1`, name)
	return nil
}

// escapeGlob quotes the glob metacharacters of a literal path prefix.
func escapeGlob(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// A spool record is one batch: a uvarint event count, then per event the
// time in Unix microseconds (varint) and the nine string fields, each a
// uvarint length and the bytes.
func encodeAudits(evs []AuditEvent) []byte {
	size := binary.MaxVarintLen64
	for i := range evs {
		size += binary.MaxVarintLen64 * 10
		for _, s := range auditStrings(&evs[i]) {
			size += len(*s)
		}
	}
	b := make([]byte, 0, size)
	b = binary.AppendUvarint(b, uint64(len(evs)))
	for i := range evs {
		b = binary.AppendVarint(b, evs[i].Time.UnixMicro())
		for _, s := range auditStrings(&evs[i]) {
			b = binary.AppendUvarint(b, uint64(len(*s)))
			b = append(b, *s...)
		}
	}
	return b
}

func decodeAudits(b []byte) ([]AuditEvent, error) {
	n, k := binary.Uvarint(b)
	// An event takes at least 10 bytes (a time and nine lengths).
	if k <= 0 || n > uint64(len(b)-k)/10 {
		return nil, errors.New("bad event count")
	}
	b = b[k:]
	evs := make([]AuditEvent, n)
	for i := range evs {
		t, k := binary.Varint(b)
		if k <= 0 {
			return nil, errors.New("bad event time")
		}
		b = b[k:]
		evs[i].Time = time.UnixMicro(t).UTC()
		for _, s := range auditStrings(&evs[i]) {
			l, k := binary.Uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return nil, errors.New("bad event field")
			}
			*s = string(b[k : k+int(l)])
			b = b[k+int(l):]
		}
	}
	if len(b) != 0 {
		return nil, errors.New("trailing bytes")
	}
	return evs, nil
}

// auditStrings lists ev's string fields in spool order.
func auditStrings(ev *AuditEvent) [9]*string {
	return [9]*string{&ev.Action, &ev.Workload, &ev.User, &ev.Provider, &ev.Flow, &ev.Outcome, &ev.Detail, &ev.RequestID, &ev.SessionID}
}
