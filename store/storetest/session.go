package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onbehalf/onbehalf/store"
)

func newSession(id string) store.Session {
	return store.Session{
		ID: id, Issuer: "https://login.microsoftonline.com/tid/v2.0", Subject: "sub-jane",
		Agent: "servicenow-agent", CreatedAt: base, LastSeenAt: base.Add(time.Second),
		Messages: []byte(`[]`),
	}
}

func createSession(t *testing.T, s store.Store, sess store.Session) {
	t.Helper()
	if err := s.CreateSession(context.Background(), sess); err != nil {
		t.Fatalf("CreateSession(%q): %v", sess.ID, err)
	}
}

func getSession(t *testing.T, s store.Store, id string) store.Session {
	t.Helper()
	sess, err := s.GetSession(context.Background(), id)
	if err != nil {
		t.Fatalf("GetSession(%q): %v", id, err)
	}
	return sess
}

// normSession is what a store returns for sess.
func normSession(sess store.Session) store.Session {
	sess.CreatedAt = norm(sess.CreatedAt)
	sess.LastSeenAt = norm(sess.LastSeenAt)
	return sess
}

func checkSession(t *testing.T, got, want store.Session) {
	t.Helper()
	if diff := cmp.Diff(normSession(want), got); diff != "" {
		t.Errorf("session differs (-want +got):\n%s", diff)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "LastSeenAt", got.LastSeenAt, want.LastSeenAt)
}

func testCreateGetSession(t *testing.T, s store.Store) {
	in := newSession("s1")
	in.Messages = []byte(`[{"role":"user","content":[{"type":"text","text":"list my incidents"}]}]`)
	createSession(t, s, in)
	checkSession(t, getSession(t, s, "s1"), in)
}

func testGetSessionMissing(t *testing.T, s store.Store) {
	if _, err := s.GetSession(context.Background(), "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetSession(missing): err = %v, want ErrNotFound", err)
	}
}

func testCreateSessionDuplicate(t *testing.T, s store.Store) {
	first := newSession("s1")
	createSession(t, s, first)
	second := newSession("s1")
	second.Subject = "sub-bob" // another user must not take over the id
	err := s.CreateSession(context.Background(), second)
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("second CreateSession: err = %v, want ErrAlreadyExists", err)
	}
	checkSession(t, getSession(t, s, "s1"), first)
}

func testUpdateSession(t *testing.T, s store.Store) {
	createSession(t, s, newSession("s1"))
	seen := base.Add(time.Hour)
	err := s.UpdateSession(context.Background(), "s1", func(old store.Session) (store.Session, error) {
		if old.Subject != "sub-jane" {
			return old, fmt.Errorf("fn got subject %q", old.Subject)
		}
		old.LastSeenAt = seen
		old.Messages = []byte(`["hello"]`)
		return old, nil
	})
	if err != nil {
		t.Fatalf("UpdateSession: %v", err)
	}
	want := newSession("s1")
	want.LastSeenAt = seen
	want.Messages = []byte(`["hello"]`)
	checkSession(t, getSession(t, s, "s1"), want)
}

func testUpdateSessionMissing(t *testing.T, s store.Store) {
	called := false
	err := s.UpdateSession(context.Background(), "missing", func(old store.Session) (store.Session, error) {
		called = true
		return old, nil
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
	if called {
		t.Error("fn was called for a missing session")
	}
	if _, err := s.GetSession(context.Background(), "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateSession created the session: GetSession err = %v", err)
	}
}

func testUpdateSessionFnError(t *testing.T, s store.Store) {
	in := newSession("s1")
	createSession(t, s, in)
	errStop := errors.New("stop")
	err := s.UpdateSession(context.Background(), "s1", func(old store.Session) (store.Session, error) {
		old.Messages = []byte(`["must not be written"]`)
		return old, errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("err = %v, want fn's error", err)
	}
	checkSession(t, getSession(t, s, "s1"), in)
}

func testUpdateSessionIDChange(t *testing.T, s store.Store) {
	in := newSession("s1")
	createSession(t, s, in)
	err := s.UpdateSession(context.Background(), "s1", func(old store.Session) (store.Session, error) {
		old.ID = "s2"
		return old, nil
	})
	if err == nil {
		t.Fatal("UpdateSession accepted an fn that changed the id")
	}
	checkSession(t, getSession(t, s, "s1"), in)
	if _, err := s.GetSession(context.Background(), "s2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSession(s2): err = %v, want ErrNotFound", err)
	}
}

func testUpdateSessionConcurrent(t *testing.T, s store.Store) {
	createSession(t, s, newSession("s1"))
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.UpdateSession(context.Background(), "s1", func(old store.Session) (store.Session, error) {
				var items []string
				if err := json.Unmarshal(old.Messages, &items); err != nil {
					return old, err
				}
				items = append(items, fmt.Sprintf("item-%02d", i))
				b, err := json.Marshal(items)
				old.Messages = b
				return old, err
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("updater %d: %v", i, err)
		}
	}
	var items []string
	if err := json.Unmarshal(getSession(t, s, "s1").Messages, &items); err != nil {
		t.Fatal(err)
	}
	slices.Sort(items)
	want := make([]string, n)
	for i := range n {
		want[i] = fmt.Sprintf("item-%02d", i)
	}
	if diff := cmp.Diff(want, items); diff != "" {
		t.Errorf("after %d concurrent appends, items differ (-want +got):\n%s", n, diff)
	}
}

// testConcurrentWriters runs 100 goroutines that each write a vault row, an
// audit event and a session at once: every write must succeed (for SQLite:
// no SQLITE_BUSY) and every row must be there.
func testConcurrentWriters(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 100
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			key := fmt.Sprintf("k%03d", i)
			if err := s.PutVault(ctx, store.VaultEntry{Key: key, Ciphertext: []byte(key), ExpiresAt: base, UpdatedAt: base}); err != nil {
				errs[i] = err
				return
			}
			if _, err := s.AppendAudit(ctx, store.AuditEvent{Time: base, Action: "concurrent", Detail: key}); err != nil {
				errs[i] = err
				return
			}
			if err := s.CreateSession(ctx, newSession(key)); err != nil {
				errs[i] = err
				return
			}
			if _, err := s.GetVault(ctx, key); err != nil {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	for i := range n {
		key := fmt.Sprintf("k%03d", i)
		if e, err := s.GetVault(ctx, key); err != nil || string(e.Ciphertext) != key {
			t.Errorf("GetVault(%s) = %q, %v", key, e.Ciphertext, err)
		}
		if _, err := s.GetSession(ctx, key); err != nil {
			t.Errorf("GetSession(%s): %v", key, err)
		}
	}
	if got := listAudit(t, s, store.AuditFilter{Action: "concurrent", Limit: 1000}); len(got) != n {
		t.Errorf("ListAudit: %d events, want %d", len(got), n)
	}
}

func testDeleteExpiredSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := func(id string, created, lastSeen time.Duration) {
		sess := newSession(id)
		sess.CreatedAt, sess.LastSeenAt = base.Add(created), base.Add(lastSeen)
		createSession(t, s, sess)
	}
	at("idle-too-long", 0, time.Minute) // last seen before the idle cut
	at("too-old", 0, 50*time.Minute)    // busy, but created before the age cut
	at("alive", 30*time.Minute, 50*time.Minute)
	at("on-the-line", 20*time.Minute, 40*time.Minute) // exactly at both cuts: kept
	other := newSession("another-agents")
	other.Agent = "hr-agent" // its own expiry settings: not this purge's
	other.CreatedAt, other.LastSeenAt = base, base.Add(time.Minute)
	createSession(t, s, other)
	n, err := s.DeleteExpiredSessions(ctx, "servicenow-agent", base.Add(40*time.Minute), base.Add(20*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpiredSessions = %d, %v; want 2", n, err)
	}
	for id, want := range map[string]error{"idle-too-long": store.ErrNotFound, "too-old": store.ErrNotFound, "alive": nil, "on-the-line": nil, "another-agents": nil} {
		if _, err := s.GetSession(ctx, id); !errors.Is(err, want) {
			t.Errorf("GetSession(%q) after the purge = %v, want %v", id, err, want)
		}
	}
	if n, err := s.DeleteExpiredSessions(ctx, "servicenow-agent", base.Add(40*time.Minute), base.Add(20*time.Minute)); err != nil || n != 0 {
		t.Errorf("second purge = %d, %v; want 0", n, err)
	}
}
