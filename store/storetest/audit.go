package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onbehalf/onbehalf/store"
)

func appendAudit(t *testing.T, s store.Store, ev store.AuditEvent) int64 {
	t.Helper()
	id, err := s.AppendAudit(context.Background(), ev)
	if err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	return id
}

func listAudit(t *testing.T, s store.Store, f store.AuditFilter) []store.AuditEvent {
	t.Helper()
	evs, err := s.ListAudit(context.Background(), f)
	if err != nil {
		t.Fatalf("ListAudit(%+v): %v", f, err)
	}
	return evs
}

// details lists the Detail field of evs, which the tests use as a label.
func details(evs []store.AuditEvent) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Detail
	}
	return out
}

func checkDetails(t *testing.T, what string, evs []store.AuditEvent, want ...string) {
	t.Helper()
	if diff := cmp.Diff(want, details(evs)); diff != "" {
		t.Errorf("%s: events (by Detail) differ (-want +got):\n%s", what, diff)
	}
}

func testAppendAuditIDs(t *testing.T, s store.Store) {
	var last int64
	for i := range 3 {
		id := appendAudit(t, s, store.AuditEvent{Time: base, Action: "a", Detail: fmt.Sprint(i)})
		if id <= last {
			t.Fatalf("AppendAudit #%d returned id %d, want > %d", i, id, last)
		}
		last = id
	}
}

func testListAuditFields(t *testing.T, s store.Store) {
	in := store.AuditEvent{
		Time: base, Action: "GetResourceOauth2Token", Workload: "servicenow-agent-workload",
		User: "https://login.microsoftonline.com/tid/v2.0|sub-jane", Provider: "EntraIdServiceNow",
		Flow: "ON_BEHALF_OF_TOKEN_EXCHANGE", Outcome: "ok", Detail: "vault hit",
		RequestID: "req-1", SessionID: "sess-1",
	}
	in.ID = appendAudit(t, s, in)
	got := listAudit(t, s, store.AuditFilter{})
	want := in
	want.Time = norm(in.Time)
	if diff := cmp.Diff([]store.AuditEvent{want}, got); diff != "" {
		t.Errorf("ListAudit differs (-want +got):\n%s", diff)
	}
	if len(got) == 1 {
		checkTime(t, "Time", got[0].Time, in.Time)
	}
}

func testListAuditFilters(t *testing.T, s store.Store) {
	evs := []store.AuditEvent{
		{Time: base.Add(1 * time.Second), Action: "exchange", Workload: "w1", User: "iss|jane", Provider: "P1", Flow: "ON_BEHALF_OF_TOKEN_EXCHANGE", Outcome: "ok", Detail: "e1"},
		{Time: base.Add(2 * time.Second), Action: "exchange", Workload: "w2", User: "iss|bob", Provider: "P2", Flow: "M2M", Outcome: "invalid_grant", Detail: "e2"},
		{Time: base.Add(3 * time.Second), Action: "wat", Workload: "w1", User: "iss|jane", Outcome: "invalid_grant", Detail: "e3"},
		{Time: base.Add(4 * time.Second), Action: "wat", Workload: "w1", User: "", Outcome: "ok", Detail: "e4"},
	}
	for _, ev := range evs {
		appendAudit(t, s, ev)
	}
	cases := []struct {
		name string
		f    store.AuditFilter
		want []string
	}{
		{"none", store.AuditFilter{}, []string{"e4", "e3", "e2", "e1"}},
		{"action", store.AuditFilter{Action: "exchange"}, []string{"e2", "e1"}},
		{"workload", store.AuditFilter{Workload: "w1"}, []string{"e4", "e3", "e1"}},
		{"user", store.AuditFilter{User: "iss|jane"}, []string{"e3", "e1"}},
		{"outcome", store.AuditFilter{Outcome: "invalid_grant"}, []string{"e3", "e2"}},
		{"since inclusive", store.AuditFilter{Since: base.Add(3 * time.Second)}, []string{"e4", "e3"}},
		{"since in another zone", store.AuditFilter{Since: base.Add(2500 * time.Millisecond).In(time.FixedZone("UTC-8", -8*3600))}, []string{"e4", "e3"}},
		{"provider", store.AuditFilter{Provider: "P2"}, []string{"e2"}},
		{"flow", store.AuditFilter{Flow: "ON_BEHALF_OF_TOKEN_EXCHANGE"}, []string{"e1"}},
		{"until exclusive", store.AuditFilter{Until: base.Add(3 * time.Second)}, []string{"e2", "e1"}},
		{"time range", store.AuditFilter{Since: base.Add(2 * time.Second), Until: base.Add(4 * time.Second)}, []string{"e3", "e2"}},
		{"combined", store.AuditFilter{Workload: "w1", Outcome: "ok", Since: base.Add(time.Second)}, []string{"e4", "e1"}},
		{"combined with limit", store.AuditFilter{Workload: "w1", Limit: 2}, []string{"e4", "e3"}},
		{"no match", store.AuditFilter{Action: "exchange", User: "nobody"}, []string{}},
	}
	for _, c := range cases {
		checkDetails(t, c.name, listAudit(t, s, c.f), c.want...)
	}
}

func testListAuditPagesByID(t *testing.T, s store.Store) {
	for i := range 7 {
		appendAudit(t, s, store.AuditEvent{Time: base.Add(time.Duration(i) * time.Second), Action: "page", Detail: fmt.Sprint(i)})
	}
	var got []string
	var before int64
	for range 10 {
		page := listAudit(t, s, store.AuditFilter{Action: "page", BeforeID: before, Limit: 3})
		got = append(got, details(page)...)
		if len(page) < 3 {
			break
		}
		before = page[len(page)-1].ID
	}
	if diff := cmp.Diff([]string{"6", "5", "4", "3", "2", "1", "0"}, got); diff != "" {
		t.Errorf("pages by BeforeID (-want +got):\n%s", diff)
	}
}

func testListAuditOrder(t *testing.T, s store.Store) {
	// Appended out of time order; two share a time (then the later id wins).
	appendAudit(t, s, store.AuditEvent{Time: base.Add(2 * time.Second), Detail: "t2"})
	appendAudit(t, s, store.AuditEvent{Time: base, Detail: "t0"})
	appendAudit(t, s, store.AuditEvent{Time: base.Add(3 * time.Second), Detail: "t3-first"})
	appendAudit(t, s, store.AuditEvent{Time: base.Add(3 * time.Second), Detail: "t3-second"})
	appendAudit(t, s, store.AuditEvent{Time: base.Add(time.Microsecond), Detail: "t0+1us"})
	appendAudit(t, s, store.AuditEvent{Time: base.Add(10 * time.Millisecond), Detail: "t0+10ms"})
	checkDetails(t, "newest first", listAudit(t, s, store.AuditFilter{}),
		"t3-second", "t3-first", "t2", "t0+10ms", "t0+1us", "t0")
}

func testListAuditLimit(t *testing.T, s store.Store) {
	const n = 105
	for i := range n {
		appendAudit(t, s, store.AuditEvent{Time: base.Add(time.Duration(i) * time.Second), Detail: fmt.Sprint(i)})
	}
	got := listAudit(t, s, store.AuditFilter{})
	if len(got) != 100 || got[0].Detail != "104" || got[99].Detail != "5" {
		t.Errorf("Limit 0: got %d events (first %v), want the 100 newest (104 down to 5)", len(got), details(got[:min(3, len(got))]))
	}
	checkDetails(t, "Limit 3", listAudit(t, s, store.AuditFilter{Limit: 3}), "104", "103", "102")
	if got := listAudit(t, s, store.AuditFilter{Limit: 200}); len(got) != n {
		t.Errorf("Limit 200: got %d events, want all %d", len(got), n)
	}
}

func testAppendAuditFillsTime(t *testing.T, s store.Store) {
	before := time.Now().Add(-time.Second)
	appendAudit(t, s, store.AuditEvent{Action: "a", Detail: "zero time"})
	after := time.Now().Add(time.Second)
	got := listAudit(t, s, store.AuditFilter{})
	if len(got) != 1 || got[0].Time.Before(before) || got[0].Time.After(after) {
		t.Fatalf("ListAudit = %+v, want one event timed by the store's now", got)
	}
}

func testAppendAuditsInOneCommit(t *testing.T, s store.Store) {
	const n = 250 // more than one multi-row INSERT
	var evs []store.AuditEvent
	for i := range n {
		evs = append(evs, store.AuditEvent{Time: base.Add(time.Duration(i) * time.Millisecond), Action: "batch", Detail: fmt.Sprint(i), User: "iss|u"})
	}
	evs[7].Time = time.Time{} // filled with now
	if err := s.AppendAudits(context.Background(), evs); err != nil {
		t.Fatalf("AppendAudits: %v", err)
	}
	if err := s.AppendAudits(context.Background(), nil); err != nil {
		t.Fatalf("AppendAudits(nil): %v", err)
	}
	got := listAudit(t, s, store.AuditFilter{Action: "batch", Until: base.Add(time.Hour), Limit: 1000})
	if len(got) != n-1 || got[0].Detail != fmt.Sprint(n-1) || got[n-2].Detail != "0" || got[0].User != "iss|u" {
		t.Errorf("stored %d events (first %v), want the %d with given times, newest first", len(got), details(got[:min(2, len(got))]), n-1)
	}
	if now := listAudit(t, s, store.AuditFilter{Action: "batch", Since: base.Add(time.Hour)}); len(now) != 1 || now[0].Detail != "7" {
		t.Errorf("zero-time event = %v, want event 7 timed now", details(now))
	}
	// IDs follow the batch order.
	all := listAudit(t, s, store.AuditFilter{Action: "batch", Limit: 1000})
	ids := map[string]int64{}
	for _, ev := range all {
		ids[ev.Detail] = ev.ID
	}
	for i := 1; i < n; i++ {
		if ids[fmt.Sprint(i)] <= ids[fmt.Sprint(i-1)] {
			t.Fatalf("event %d has id %d, not above event %d's %d", i, ids[fmt.Sprint(i)], i-1, ids[fmt.Sprint(i-1)])
		}
	}
}
