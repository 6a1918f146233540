package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/onbehalf/onbehalf/store"
)

const kindP = "oauth2credentialprovider"

func newResource(name string) store.Resource {
	return store.Resource{
		Kind: kindP, Name: name,
		Data:      []byte(`{"vendor":"CustomOauth2"}`),
		Secret:    []byte{0x01, 0x00, 0xff, 's'},
		CreatedAt: base, UpdatedAt: base.Add(time.Second),
	}
}

func createResource(t *testing.T, s store.Store, r store.Resource) {
	t.Helper()
	if err := s.CreateResource(context.Background(), r); err != nil {
		t.Fatalf("CreateResource(%s/%s): %v", r.Kind, r.Name, err)
	}
}

func getResource(t *testing.T, s store.Store, kind, name string) store.Resource {
	t.Helper()
	r, err := s.GetResource(context.Background(), kind, name)
	if err != nil {
		t.Fatalf("GetResource(%s/%s): %v", kind, name, err)
	}
	return r
}

func normResource(r store.Resource) store.Resource {
	r.CreatedAt = norm(r.CreatedAt)
	r.UpdatedAt = norm(r.UpdatedAt)
	if !r.ExpiresAt.IsZero() {
		r.ExpiresAt = norm(r.ExpiresAt)
	}
	return r
}

func checkResource(t *testing.T, got, want store.Resource) {
	t.Helper()
	// Empty and nil byte slices are the same record (SQLite scans an empty
	// BLOB as nil).
	if diff := cmp.Diff(normResource(want), got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("resource differs (-want +got):\n%s", diff)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
}

func testCreateGetResource(t *testing.T, s store.Store) {
	in := newResource("EntraIdServiceNow")
	in.ExpiresAt = base.Add(time.Hour)
	createResource(t, s, in)
	checkResource(t, getResource(t, s, kindP, "EntraIdServiceNow"), in)

	// Same name, another kind: a different record.
	other := newResource("EntraIdServiceNow")
	other.Kind = "workloadidentity"
	other.Data = []byte(`{"w":1}`)
	other.Secret = nil
	createResource(t, s, other)
	checkResource(t, getResource(t, s, "workloadidentity", "EntraIdServiceNow"), other)
	checkResource(t, getResource(t, s, kindP, "EntraIdServiceNow"), in)
}

func testResourceMissing(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.GetResource(ctx, kindP, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetResource(missing): err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteResource(ctx, kindP, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteResource(missing): err = %v, want ErrNotFound", err)
	}
	called := false
	err := s.UpdateResource(ctx, kindP, "missing", func(r store.Resource) (store.Resource, error) { called = true; return r, nil })
	if !errors.Is(err, store.ErrNotFound) || called {
		t.Errorf("UpdateResource(missing): err = %v, fn called %t; want ErrNotFound, not called", err, called)
	}
}

func testCreateResourceDuplicate(t *testing.T, s store.Store) {
	first := newResource("p")
	createResource(t, s, first)
	second := newResource("p")
	second.Data = []byte(`{"vendor":"takeover"}`)
	if err := s.CreateResource(context.Background(), second); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("second CreateResource: err = %v, want ErrAlreadyExists", err)
	}
	checkResource(t, getResource(t, s, kindP, "p"), first)
}

func testCreateResourceFillsTimes(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	createResource(t, s, store.Resource{Kind: kindP, Name: "p"})
	after := time.Now().Add(time.Second)
	got := getResource(t, s, kindP, "p")
	if got.CreatedAt.Before(before) || got.CreatedAt.After(after) || !got.UpdatedAt.Equal(got.CreatedAt) {
		t.Errorf("times = created %v updated %v, want now and equal", got.CreatedAt, got.UpdatedAt)
	}
	if !got.ExpiresAt.IsZero() || len(got.Data) != 0 || len(got.Secret) != 0 {
		t.Errorf("got %+v, want zero ExpiresAt and empty Data/Secret", got)
	}
}

func testListResourcesPages(t *testing.T, s store.Store) {
	// Byte order: upper case before lower case, '-' before digits.
	names := []string{"b", "A", "a", "a-1", "a1", "Z", "_x"}
	for _, n := range names {
		createResource(t, s, newResource(n))
	}
	createResource(t, s, store.Resource{Kind: "other", Name: "a0"})
	want := []string{"A", "Z", "_x", "a", "a-1", "a1", "b"}
	var got []string
	after := ""
	for range 10 {
		page, err := s.ListResources(context.Background(), kindP, after, 3)
		if err != nil {
			t.Fatalf("ListResources: %v", err)
		}
		if len(page) > 3 {
			t.Fatalf("page of %d, want at most 3", len(page))
		}
		for _, r := range page {
			got = append(got, r.Name)
			if r.Kind != kindP || string(r.Data) != `{"vendor":"CustomOauth2"}` {
				t.Errorf("listed %+v", r)
			}
		}
		if len(page) < 3 {
			break
		}
		after = page[len(page)-1].Name
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names in pages (-want +got):\n%s", diff)
	}
	all, err := s.ListResources(context.Background(), kindP, "", 0)
	if err != nil || len(all) != len(names) {
		t.Errorf("ListResources(limit 0) = %d, %v; want all %d", len(all), err, len(names))
	}
}

func testUpdateResource(t *testing.T, s store.Store) {
	createResource(t, s, newResource("p"))
	later := base.Add(time.Hour)
	err := s.UpdateResource(context.Background(), kindP, "p", func(r store.Resource) (store.Resource, error) {
		r.Data = []byte(`{"vendor":"MicrosoftOauth2"}`)
		r.Secret = []byte("new-sealed")
		r.UpdatedAt = later
		r.ExpiresAt = later.Add(time.Minute)
		return r, nil
	})
	if err != nil {
		t.Fatalf("UpdateResource: %v", err)
	}
	want := newResource("p")
	want.Data = []byte(`{"vendor":"MicrosoftOauth2"}`)
	want.Secret = []byte("new-sealed")
	want.UpdatedAt = later
	want.ExpiresAt = later.Add(time.Minute)
	checkResource(t, getResource(t, s, kindP, "p"), want)

	// Clearing ExpiresAt stores "never".
	if err := s.UpdateResource(context.Background(), kindP, "p", func(r store.Resource) (store.Resource, error) {
		r.ExpiresAt = time.Time{}
		return r, nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := getResource(t, s, kindP, "p"); !got.ExpiresAt.IsZero() {
		t.Errorf("ExpiresAt = %v, want zero", got.ExpiresAt)
	}
}

func testUpdateResourceRefusesRename(t *testing.T, s store.Store) {
	in := newResource("p")
	createResource(t, s, in)
	err := s.UpdateResource(context.Background(), kindP, "p", func(r store.Resource) (store.Resource, error) {
		r.Name = "q"
		r.Data = []byte(`{}`)
		return r, nil
	})
	if err == nil {
		t.Fatal("UpdateResource accepted a rename")
	}
	checkResource(t, getResource(t, s, kindP, "p"), in)
	errStop := errors.New("stop")
	if err := s.UpdateResource(context.Background(), kindP, "p", func(r store.Resource) (store.Resource, error) {
		r.Data = []byte(`{"x":1}`)
		return r, errStop
	}); !errors.Is(err, errStop) {
		t.Errorf("err = %v, want fn's error", err)
	}
	checkResource(t, getResource(t, s, kindP, "p"), in)
}

func testUpdateResourceConcurrent(t *testing.T, s store.Store) {
	createResource(t, s, store.Resource{Kind: kindP, Name: "counter", Data: []byte("0"), CreatedAt: base})
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.UpdateResource(context.Background(), kindP, "counter", func(r store.Resource) (store.Resource, error) {
				var v int
				fmt.Sscan(string(r.Data), &v)
				r.Data = []byte(fmt.Sprint(v + 1))
				return r, nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("updater %d: %v", i, err)
		}
	}
	if got := string(getResource(t, s, kindP, "counter").Data); got != fmt.Sprint(n) {
		t.Errorf("counter = %s, want %d (every CAS update applied once)", got, n)
	}
}

func testDeleteResource(t *testing.T, s store.Store) {
	createResource(t, s, newResource("p"))
	createResource(t, s, newResource("keep"))
	if err := s.DeleteResource(context.Background(), kindP, "p"); err != nil {
		t.Fatalf("DeleteResource: %v", err)
	}
	if _, err := s.GetResource(context.Background(), kindP, "p"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after delete: err = %v, want ErrNotFound", err)
	}
	getResource(t, s, kindP, "keep")
	// The name is free again.
	createResource(t, s, newResource("p"))
}

func testDeleteExpiredResources(t *testing.T, s store.Store) {
	mk := func(kind, name string, exp time.Time) {
		createResource(t, s, store.Resource{Kind: kind, Name: name, CreatedAt: base, ExpiresAt: exp})
	}
	mk("session", "old", base.Add(-time.Minute))
	mk("session", "edge", base) // not before base: kept
	mk("session", "new", base.Add(time.Minute))
	mk("session", "never", time.Time{})
	mk("other", "old", base.Add(-time.Minute))
	n, err := s.DeleteExpiredResources(context.Background(), "session", base)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpiredResources = %d, %v; want 1", n, err)
	}
	for _, name := range []string{"edge", "new", "never"} {
		getResource(t, s, "session", name)
	}
	getResource(t, s, "other", "old")
	if _, err := s.GetResource(context.Background(), "session", "old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired record still there: err = %v", err)
	}
}
