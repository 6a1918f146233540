package store

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/store/internal/spool"
)

// spoolChildEnv makes the test binary run spoolChild instead of the tests:
// the killed process of TestAuditSpoolSurvivesKill.
const spoolChildEnv = "ONBEHALF_TEST_AUDIT_SPOOL_CHILD"

func TestMain(m *testing.M) {
	if db := os.Getenv(spoolChildEnv); db != "" {
		spoolChild(db)
		return
	}
	os.Exit(m.Run())
}

// spoolChild appends one event at a time to the store at db and prints
// "ack N" after each AppendAudits returns, until killed (or, bounded, after
// a million events).
func spoolChild(db string) {
	s, err := Open(context.Background(), "sqlite:"+db)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	sp := s.(*sqlStore).spool
	sp.mu.Lock()
	sp.loadAt = 500 // some events loaded, some not, when the kill lands
	sp.mu.Unlock()
	w := bufio.NewWriter(os.Stdout)
	for i := range 1_000_000 {
		if err := s.AppendAudits(context.Background(), []AuditEvent{{Action: "a", Workload: "w", Detail: "ev-" + strconv.Itoa(i)}}); err != nil {
			fmt.Fprintln(w, "error:", err)
			w.Flush()
			os.Exit(1)
		}
		fmt.Fprintln(w, "ack", i)
		w.Flush()
	}
	os.Exit(0)
}

// withSpools applies set to every spool opened during the test, before
// its loader starts.
func withSpools(t *testing.T, set func(*auditSpool)) {
	spoolTestHook = set
	t.Cleanup(func() { spoolTestHook = nil })
}

func spoolFiles(t *testing.T, db string) []string {
	t.Helper()
	files, err := filepath.Glob(db + "-audit-*")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func countAudits(t *testing.T, db string) int {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM audit_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// details returns how often each Detail occurs among all stored events.
func details(t *testing.T, s Store) map[string]int {
	t.Helper()
	evs, err := s.ListAudit(context.Background(), AuditFilter{Limit: 1 << 30})
	if err != nil {
		t.Fatalf("ListAudit: %v", err)
	}
	out := map[string]int{}
	for _, ev := range evs {
		out[ev.Detail]++
	}
	return out
}

// A process killed with SIGKILL loses no acknowledged audit event, and
// the next Open loads each one exactly once, whether or not the dead
// process's loader had got to it.
func TestAuditSpoolSurvivesKill(t *testing.T) {
	db := filepath.Join(t.TempDir(), "onbehalf.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), spoolChildEnv+"="+db)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		n, ok := strings.CutPrefix(line, "ack ")
		if !ok {
			t.Fatalf("child: %s", line)
		}
		acked, _ = strconv.Atoi(n)
		if acked >= 3000 && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by SIGKILL", err)
	}
	if files := spoolFiles(t, db); len(files) != 1 {
		t.Fatalf("spool files after the kill: %v, want the dead process's one", files)
	}
	before := countAudits(t, db)
	t.Logf("acknowledged %d events; %d were in the database at the kill", acked+1, before)
	if before > acked+1 {
		t.Fatalf("%d events in the database, more than the %d appended", before, acked+1)
	}

	s, err := Open(context.Background(), "sqlite:"+db)
	if err != nil {
		t.Fatalf("Open after the kill: %v", err)
	}
	defer s.Close()
	got := details(t, s)
	for i := 0; i <= acked; i++ {
		if n := got["ev-"+strconv.Itoa(i)]; n != 1 {
			t.Fatalf("acknowledged event ev-%d stored %d times, want exactly once", i, n)
		}
	}
	for d, n := range got {
		if n != 1 {
			t.Errorf("event %s stored %d times", d, n)
		}
	}
	if len(got) > acked+2 {
		t.Errorf("%d events stored, want the %d acknowledged (plus at most one in flight)", len(got), acked+1)
	}
	if files := spoolFiles(t, db); len(files) != 0 {
		t.Errorf("spool files after the replay: %v, want none", files)
	}
}

// writeOrphan leaves a spool file for db as a dead process would: one
// record per batch, the first loaded already if firstLoaded.
func writeOrphan(t *testing.T, db string, batches [][]AuditEvent, firstLoaded bool) string {
	t.Helper()
	s := openAt(t, db)
	f, err := spool.Create(db + "-audit-")
	if err != nil {
		t.Fatal(err)
	}
	var ends []int64
	for _, b := range batches {
		end, err := f.Append(encodeAudits(b))
		if err != nil {
			t.Fatal(err)
		}
		ends = append(ends, end)
	}
	if firstLoaded {
		err := s.insertAudits(context.Background(), batches[0], func(tx *sql.Tx) error {
			return setLoaded(context.Background(), tx, f.Path(), ends[0])
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close() // the "process" dies; the lock goes with it
	return f.Path()
}

func openAt(t *testing.T, db string) *sqlStore {
	t.Helper()
	s, err := Open(context.Background(), "sqlite:"+db)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s.(*sqlStore)
}

func evsNamed(names ...string) []AuditEvent {
	var out []AuditEvent
	for _, n := range names {
		out = append(out, AuditEvent{Time: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), Action: "a", Workload: "w", User: "iss|sub", Detail: n})
	}
	return out
}

func TestAuditSpoolReplayLoadsOnlyWhatTheDatabaseLacks(t *testing.T) {
	db := filepath.Join(t.TempDir(), "onbehalf.db")
	writeOrphan(t, db, [][]AuditEvent{evsNamed("a1", "a2"), evsNamed("b1"), evsNamed("c1", "c2", "c3")}, true)
	s := openAt(t, db)
	defer s.Close()
	got := details(t, s)
	want := map[string]int{"a1": 1, "a2": 1, "b1": 1, "c1": 1, "c2": 1, "c3": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after replay: %v, want each once: %v", got, want)
	}
	evs, _ := s.ListAudit(context.Background(), AuditFilter{Limit: 1})
	if len(evs) != 1 || evs[0].User != "iss|sub" || !evs[0].Time.Equal(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("replayed event = %+v, want its fields kept", evs)
	}
	var rows int
	if err := s.read.QueryRow(`SELECT count(*) FROM audit_spool`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("audit_spool rows after replay = %d (%v), want 0", rows, err)
	}
	if files := spoolFiles(t, db); len(files) != 0 {
		t.Errorf("spool files after replay: %v", files)
	}
}

func TestAuditSpoolReplayStopsAtTornTailAndKeepsTheFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "onbehalf.db")
	path := writeOrphan(t, db, [][]AuditEvent{evsNamed("a1"), evsNamed("b1", "b2")}, false)
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.Write([]byte{0, 0, 1, 0, 9, 9}) // a write cut short
	fh.Close()
	s := openAt(t, db)
	defer s.Close()
	got := details(t, s)
	damage := ""
	for d := range got {
		if strings.Contains(d, "unreadable") {
			damage = d
			delete(got, d)
		}
	}
	if fmt.Sprint(got) != "map[a1:1 b1:1 b2:1]" {
		t.Errorf("after replay of a torn file: %v, want a1 b1 b2 once each", got)
	}
	// The trail itself says a spool file was damaged, and where.
	base := filepath.Base(path)
	if want := base + " unreadable from byte "; !strings.HasPrefix(damage, want) || !strings.Contains(damage, "3 events loaded") || !strings.HasSuffix(damage, base+".corrupt") {
		t.Errorf("damage event detail = %q, want it to name %s, the byte, the 3 events loaded and the .corrupt file", damage, base)
	}
	if evs, err := s.ListAudit(context.Background(), AuditFilter{Action: ActionAuditSpoolDamaged}); err != nil || len(evs) != 1 || evs[0].Outcome != "corrupt" {
		t.Errorf("%s events = %+v, %v; want one with outcome corrupt", ActionAuditSpoolDamaged, evs, err)
	}
	if files := spoolFiles(t, db); len(files) != 1 || files[0] != path+".corrupt" {
		t.Errorf("spool files: %v, want only %s.corrupt", files, path)
	}
	// A second open does not load it again.
	s.Close()
	s2 := openAt(t, db)
	defer s2.Close()
	if got := details(t, s2); len(got) != 4 {
		t.Errorf("after a second open: %v, want the 3 events and the one damage event", got)
	}
}

// A file held by a live store is not replayed by another store opened on
// the same database: it loads its own events, once.
func TestAuditSpoolOfALiveStoreIsNotReplayed(t *testing.T) {
	db := filepath.Join(t.TempDir(), "onbehalf.db")
	withSpools(t, func(sp *auditSpool) { sp.interval = time.Hour }) // nothing loads until Close
	a := openAt(t, db)
	if err := a.AppendAudits(context.Background(), evsNamed("x1", "x2")); err != nil {
		t.Fatal(err)
	}
	if files := spoolFiles(t, db); len(files) != 1 {
		t.Fatalf("spool files: %v, want one", files)
	}
	if n := countAudits(t, db); n != 0 {
		t.Fatalf("%d events loaded, want 0 before Close", n)
	}
	b := openAt(t, db)
	if n := countAudits(t, db); n != 0 {
		t.Errorf("opening a second store loaded %d of the live store's events", n)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c := openAt(t, db)
	defer c.Close()
	if got := details(t, c); fmt.Sprint(got) != "map[x1:1 x2:1]" {
		t.Errorf("events: %v, want x1 and x2 once", got)
	}
	if files := spoolFiles(t, db); len(files) != 0 {
		t.Errorf("spool files after Close: %v", files)
	}
}

func TestAuditSpoolRotatesAndDeletesLoadedFiles(t *testing.T) {
	db := filepath.Join(t.TempDir(), "onbehalf.db")
	withSpools(t, func(sp *auditSpool) { sp.rotateBytes, sp.interval = 1024, time.Hour })
	s := openAt(t, db)
	defer s.Close()
	ctx := context.Background()
	for i := range 200 {
		if err := s.AppendAudits(ctx, evsNamed("r"+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if files := spoolFiles(t, db); len(files) < 2 {
		t.Fatalf("spool files: %v, want several (rotation at 1 KiB)", files)
	}
	got := details(t, s) // waits for the load
	if len(got) != 200 {
		t.Fatalf("%d distinct events, want 200", len(got))
	}
	for d, n := range got {
		if n != 1 {
			t.Errorf("%s stored %d times", d, n)
		}
	}
	if files := spoolFiles(t, db); len(files) != 1 {
		t.Errorf("spool files after the load: %v, want only the current one", files)
	}
	var rows int
	if err := s.read.QueryRow(`SELECT count(*) FROM audit_spool`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("audit_spool rows = %d (%v), want 1 (the current file)", rows, err)
	}
}

// An event that cannot be written to the spool fails its AppendAudits;
// the file is retired (its tail is unknown) and the next append starts a
// new one, so a passing disk error fails only the calls it hit.
func TestAuditSpoolWriteFailureFailsTheCallOnly(t *testing.T) {
	s := openSQLiteFile(t)
	ctx := context.Background()
	if err := s.AppendAudits(ctx, evsNamed("ok")); err != nil {
		t.Fatal(err)
	}
	s.spool.mu.Lock()
	s.spool.file.Close() // the disk goes away under the open file
	s.spool.mu.Unlock()
	err := s.AppendAudits(ctx, evsNamed("lost"))
	if err == nil || !strings.Contains(err.Error(), "audit spool") {
		t.Fatalf("AppendAudits with a dead spool file = %v, want an audit spool error", err)
	}
	if err := s.AppendAudits(ctx, evsNamed("after")); err != nil {
		t.Fatalf("AppendAudits after the failure: %v, want a new spool file", err)
	}
	if got := details(t, s); fmt.Sprint(got) != "map[after:1 ok:1]" {
		t.Errorf("stored: %v, want the events written before and after the failure", got)
	}
}

// A batch too large for one record is split; an event too large for one
// is refused without breaking the spool.
func TestAuditSpoolSplitsLargeBatchesAndRefusesHugeEvents(t *testing.T) {
	s := openSQLiteFile(t)
	ctx := context.Background()
	big := strings.Repeat("x", spool.MaxRecord/3)
	batch := []AuditEvent{{Action: "a", Detail: "1" + big}, {Action: "a", Detail: "2" + big}, {Action: "a", Detail: "3" + big}, {Action: "a", Detail: "4" + big}}
	if err := s.AppendAudits(ctx, batch); err != nil {
		t.Fatalf("a 4-event batch over one record's size: %v", err)
	}
	err := s.AppendAudits(ctx, []AuditEvent{{Action: "a", Detail: strings.Repeat("y", spool.MaxRecord)}})
	if !errors.Is(err, spool.ErrTooLarge) {
		t.Fatalf("one event over a record's size = %v, want ErrTooLarge", err)
	}
	if err := s.AppendAudits(ctx, evsNamed("small")); err != nil {
		t.Fatalf("the next event after a refused one: %v", err)
	}
	got := details(t, s)
	if len(got) != 5 || got["small"] != 1 || got["1"+big] != 1 || got["4"+big] != 1 {
		t.Errorf("stored %d distinct events, want the 4 large and the small one", len(got))
	}
}

// After Close begins, appends fail instead of going to a file nobody
// will load, and a flush does not wait for ever.
func TestAuditSpoolRefusesAppendsAfterClose(t *testing.T) {
	db := filepath.Join(t.TempDir(), "onbehalf.db")
	s := openAt(t, db)
	ctx := context.Background()
	if err := s.AppendAudits(ctx, evsNamed("before")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.AppendAudits(ctx, evsNamed("after")); !errors.Is(err, errSpoolClosed) {
		t.Errorf("AppendAudits after Close = %v, want errSpoolClosed", err)
	}
	if files := spoolFiles(t, db); len(files) != 0 {
		t.Errorf("spool files after Close and a refused append: %v", files)
	}
	s2 := openAt(t, db)
	defer s2.Close()
	if got := details(t, s2); fmt.Sprint(got) != "map[before:1]" {
		t.Errorf("stored: %v, want only the event appended before Close", got)
	}
}

// Files that only look like this database's spool files (another
// database's, named like a prefix of ours) are left alone, and a stale
// temporary file of a creator that died is removed.
func TestAuditSpoolReplaysOnlyItsOwnFiles(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "onbehalf.db")
	other := db + "-audit-x.db-audit-0123456789abcdef.spool" // not 16 hex after our prefix
	if err := os.WriteFile(other, []byte("OBSPOOL1"), 0o600); err != nil {
		t.Fatal(err)
	}
	stale := db + "-audit-0123456789abcdef.spool.tmp"
	if err := os.WriteFile(stale, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(stale, old, old)
	s := openAt(t, db)
	defer s.Close()
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another database's spool file was touched: %v", err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a stale temporary spool file is still there: %v", err)
	}
}

func TestAuditSpoolRecordRoundTrip(t *testing.T) {
	in := []AuditEvent{
		{Time: time.UnixMicro(1764072000123456).UTC(), Action: "GetResourceOauth2Token", Workload: "agent", User: "https://login/tid/v2.0|sub", Provider: "EntraIdServiceNow", Flow: "ON_BEHALF_OF_TOKEN_EXCHANGE", Outcome: "ok", Detail: "vault hit", RequestID: "r-1", SessionID: "s-1"},
		{Time: time.UnixMicro(0).UTC(), Detail: strings.Repeat("é", 300)},
	}
	out, err := decodeAudits(encodeAudits(in))
	if err != nil || fmt.Sprint(out) != fmt.Sprint(in) {
		t.Fatalf("round trip = %+v, %v; want %+v", out, err, in)
	}
	rec := encodeAudits(in)
	for _, bad := range [][]byte{rec[:len(rec)-1], append(rec[:len(rec):len(rec)], 0), {0xff, 0xff, 0xff, 0xff, 0x0f}} {
		if _, err := decodeAudits(bad); err == nil {
			t.Errorf("decodeAudits(%x...) accepted a damaged record", bad[:min(8, len(bad))])
		}
	}
}

func TestSpoolsAuditsOnlyForSQLiteFiles(t *testing.T) {
	if !SpoolsAudits(openSQLiteFile(t)) {
		t.Error("a SQLite file store does not report spooled audits")
	}
	mem, err := Open(context.Background(), "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if SpoolsAudits(mem) {
		t.Error("an in-memory store reports spooled audits (it has no file to spool to)")
	}
}

func TestAuditSpoolStatsCountQueuedEvents(t *testing.T) {
	withSpools(t, func(sp *auditSpool) { sp.interval = time.Hour })
	s := openSQLiteFile(t)
	if q, f, ok := AuditSpoolStats(s); !ok || q != 0 || f != 0 {
		t.Fatalf("fresh store: %d queued, %d failed, ok %v", q, f, ok)
	}
	if err := s.AppendAudits(context.Background(), evsNamed("a", "b", "c")); err != nil {
		t.Fatal(err)
	}
	if q, _, _ := AuditSpoolStats(s); q != 3 {
		t.Errorf("queued after appending 3 = %d", q)
	}
	details(t, s) // loads
	if q, _, _ := AuditSpoolStats(s); q != 0 {
		t.Errorf("queued after the load = %d", q)
	}
	mem, err := Open(context.Background(), "sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if _, _, ok := AuditSpoolStats(mem); ok {
		t.Error("an in-memory store reports spool stats")
	}
}
