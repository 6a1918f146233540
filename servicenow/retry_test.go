package servicenow

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)

// failThenOK answers the first len(statuses) requests with those statuses
// (and Retry-After values, "" for none), then 200.
func failThenOK(statuses []int, retryAfter []string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if n < len(statuses) {
			var hdr []string
			if retryAfter[n] != "" {
				hdr = []string{"Retry-After", retryAfter[n]}
			}
			reply(w, statuses[n], `{"error":{"message":"busy","detail":""},"status":"failure"}`, hdr...)
			return
		}
		reply(w, 200, `{"result":[{"number":"INC0012345"}]}`, "X-Total-Count", "1")
	}
}

func TestReadsRetryOn429And5xxHonouringRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		statuses   []int
		retryAfter []string
		wantSleeps []time.Duration
	}{
		{"429 seconds", []int{429}, []string{"2"}, []time.Duration{2 * time.Second}},
		{"502 no header: backoff", []int{502}, []string{""}, []time.Duration{time.Second}},
		{"503 seconds", []int{503}, []string{"3"}, []time.Duration{3 * time.Second}},
		{"504 then 429", []int{504, 429}, []string{"", "0"}, []time.Duration{time.Second, 0}},
		{"HTTP-date", []int{429}, []string{t0.Add(4 * time.Second).Format(http.TimeFormat)}, []time.Duration{4 * time.Second}},
		{"HTTP-date in RFC 850 form", []int{503}, []string{t0.Add(5 * time.Second).Format("Monday, 02-Jan-06 15:04:05 GMT")}, []time.Duration{5 * time.Second}},
		{"HTTP-date in the past: no wait", []int{429}, []string{t0.Add(-time.Minute).Format(http.TimeFormat)}, []time.Duration{0}},
		{"unreadable Retry-After: backoff", []int{429, 429}, []string{"soon", "-1"}, []time.Duration{time.Second, 2 * time.Second}},
		{"three backoffs", []int{503, 503, 503}, []string{"", "", ""}, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, failThenOK(tt.statuses, tt.retryAfter))
			c.Now = func() time.Time { return t0 }
			recs, _, err := c.List(context.Background(), "incident", ListOptions{})
			if err != nil || len(recs) != 1 {
				t.Fatalf("List = %v, %v; want one row after retries", recs, err)
			}
			if d := cmp.Diff(tt.wantSleeps, f.sleeps); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
			if n := len(f.requests()); n != len(tt.statuses)+1 {
				t.Errorf("made %d requests, want %d", n, len(tt.statuses)+1)
			}
		})
	}
}

func TestRetriesStopAtTheCountOrTimeBudget(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		retryAfter   string
		maxRetries   int
		want         error
		wantRequests int
		wantSleeps   []time.Duration
	}{
		{"count: default 3 retries", 503, "", 0, ErrUnavailable, 4, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
		{"count: MaxRetries 1", 429, "1", 1, ErrRateLimited, 2, []time.Duration{time.Second}},
		{"budget: 6s fits once in 10s", 429, "6", 0, ErrRateLimited, 2, []time.Duration{6 * time.Second}},
		{"an hour is not waited out", 429, "3600", 0, ErrRateLimited, 1, nil},
		{"an absurd number is not waited out", 429, "99999999999999999999999", 0, ErrRateLimited, 1, nil},
		{"a date tomorrow is not waited out", 503, t0.Add(24 * time.Hour).Format(http.TimeFormat), 0, ErrUnavailable, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				var hdr []string
				if tt.retryAfter != "" {
					hdr = []string{"Retry-After", tt.retryAfter}
				}
				reply(w, tt.status, `{"error":{"message":"busy"},"status":"failure"}`, hdr...)
			})
			c.Now = func() time.Time { return t0 }
			c.MaxRetries = tt.maxRetries
			_, _, err := c.List(context.Background(), "incident", ListOptions{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if n := len(f.requests()); n != tt.wantRequests {
				t.Errorf("made %d requests, want %d", n, tt.wantRequests)
			}
			if d := cmp.Diff(tt.wantSleeps, f.sleeps); d != "" {
				t.Errorf("waits (-want +got):\n%s", d)
			}
		})
	}
}

func TestRetryBudgetIsSharedByThePagesOfOneList(t *testing.T) {
	// Each page is rate limited once for 4s: pages 1 and 2 fit in the 10s
	// budget, page 3's wait would not.
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n%2 == 0 {
			reply(w, 429, `{"error":{"message":"Rate limit exceeded"},"status":"failure"}`, "Retry-After", "4")
			return
		}
		reply(w, 200, `{"result":[]}`, "X-Total-Count", "100")
	})
	_, _, err := c.List(context.Background(), "incident", ListOptions{Limit: 10})
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if d := cmp.Diff([]time.Duration{4 * time.Second, 4 * time.Second}, f.sleeps); d != "" || len(f.requests()) != 5 {
		t.Errorf("%d requests; waits (-want +got):\n%s", len(f.requests()), d)
	}
}

func TestRetryIsNotWaitedPastTheContextDeadline(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 429, `{"error":{"message":"Rate limit exceeded"},"status":"failure"}`, "Retry-After", "8")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := c.List(ctx, "incident", ListOptions{})
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited at once", err)
	}
	if len(f.sleeps) != 0 || len(f.requests()) != 1 {
		t.Errorf("%d requests, waits %v; want 1 and none", len(f.requests()), f.sleeps)
	}
}

func TestWritesRetryOnlyOn429(t *testing.T) {
	const id = "9d385017c611228701d22104cc95c371"
	tests := []struct {
		name         string
		status       int
		write        func(c *Client) error
		wantRequests int
	}{
		{"PATCH 429 is retried", 429, func(c *Client) error {
			_, err := c.Update(context.Background(), "incident", id, map[string]string{"comments": "hi"})
			return err
		}, 2},
		{"POST 429 is retried", 429, func(c *Client) error {
			_, err := c.Create(context.Background(), "incident", map[string]string{"short_description": "x"}, ListOptions{})
			return err
		}, 2},
		{"PATCH 503 is not", 503, func(c *Client) error {
			_, err := c.Update(context.Background(), "incident", id, map[string]string{"comments": "hi"})
			return err
		}, 1},
		{"POST 504 is not", 504, func(c *Client) error {
			_, err := c.Create(context.Background(), "incident", map[string]string{"short_description": "x"}, ListOptions{})
			return err
		}, 1},
		{"POST 502 is not", 502, func(c *Client) error {
			_, err := c.Create(context.Background(), "incident", map[string]string{"short_description": "x"}, ListOptions{})
			return err
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 0 {
					reply(w, tt.status, `{"error":{"message":"busy"},"status":"failure"}`, "Retry-After", "1")
					return
				}
				reply(w, 201, `{"result":{"sys_id":"`+id+`"}}`)
			})
			err := tt.write(c)
			if n := len(f.requests()); n != tt.wantRequests {
				t.Errorf("made %d requests, want %d", n, tt.wantRequests)
			}
			if tt.wantRequests == 2 && err != nil {
				t.Errorf("err = %v, want success after the retry", err)
			}
			if tt.wantRequests == 1 && !errors.Is(err, ErrUnavailable) {
				t.Errorf("err = %v, want ErrUnavailable", err)
			}
		})
	}
}

func TestNoRetryTurnsRetriesOff(t *testing.T) {
	f, c := newFake(t, failThenOK([]int{429}, []string{"1"}))
	c.NoRetry = true
	if _, _, err := c.List(context.Background(), "incident", ListOptions{}); !errors.Is(err, ErrRateLimited) {
		t.Errorf("err = %v, want ErrRateLimited", err)
	}
	if len(f.requests()) != 1 || len(f.sleeps) != 0 {
		t.Errorf("%d requests, %d waits; want 1 and 0", len(f.requests()), len(f.sleeps))
	}
}

func TestCanceledWaitEndsTheRetry(t *testing.T) {
	f, c := newFake(t, failThenOK([]int{503}, []string{"1"}))
	c.Sleep = func(ctx context.Context, d time.Duration) error { return context.Canceled }
	_, _, err := c.List(context.Background(), "incident", ListOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("made %d requests, want 1", n)
	}
}
