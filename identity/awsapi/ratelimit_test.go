package awsapi

import (
	"testing"
	"time"
)

func TestLimiterRefillsAtItsRateAndKeepsKeysApart(t *testing.T) {
	l := newLimiter(2, 3)
	now := time.Unix(1000, 0)
	for i := range 3 {
		if !l.allow("A", now) {
			t.Fatalf("call %d of the burst refused", i+1)
		}
	}
	if l.allow("A", now) {
		t.Error("a 4th call within the burst was allowed")
	}
	if !l.allow("B", now) {
		t.Error("key B was throttled by key A's calls")
	}
	if !l.allow("A", now.Add(500*time.Millisecond)) {
		t.Error("after 0.5 s at 2/s one token should be back")
	}
	if l.allow("A", now.Add(500*time.Millisecond)) {
		t.Error("only one token came back")
	}
	var off *limiter = newLimiter(0, 0)
	if !off.allow("A", now) {
		t.Error("no limit configured, yet refused")
	}
}
