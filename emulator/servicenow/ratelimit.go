package servicenow

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimit is a Table API rate-limit rule (sys_rate_limit_rules on a real
// instance): each user it governs may make RequestsPerHour requests per
// clock hour; the count starts again at the top of the hour. A rule names
// one user (User, a user_name), the holders of a role (Role), or every
// user (neither). For each user the most specific rule applies: its own,
// else the strictest of its roles' rules, else the all-users rule.
// Unauthenticated requests are never counted.
type RateLimit struct {
	User            string
	Role            string
	RequestsPerHour int
}

type rateLimiter struct {
	rules []RateLimit
	now   func() time.Time

	mu     sync.Mutex
	counts map[string]*rateWindow // by user_name
}

type rateWindow struct {
	start time.Time
	n     int
}

func newRateLimiter(rules []RateLimit, now func() time.Time) *rateLimiter {
	return &rateLimiter{rules: rules, now: now, counts: map[string]*rateWindow{}}
}

// rule returns the limit that governs p, or 0.
func (l *rateLimiter) rule(p *principal) int {
	limit, roleLimit, allLimit := 0, 0, 0
	for _, r := range l.rules {
		switch {
		case r.User != "":
			if r.User == p.UserName {
				limit = r.RequestsPerHour
			}
		case r.Role != "":
			if p.Roles[r.Role] && (roleLimit == 0 || r.RequestsPerHour < roleLimit) {
				roleLimit = r.RequestsPerHour
			}
		default:
			allLimit = r.RequestsPerHour
		}
	}
	switch {
	case limit > 0:
		return limit
	case roleLimit > 0:
		return roleLimit
	}
	return allLimit
}

// rateDecision is the outcome of counting one request.
type rateDecision struct {
	limit     int // 0: no rule governs the user
	remaining int
	reset     time.Time
	exceeded  bool
}

// take counts one request of p, unless the limit is already reached.
func (l *rateLimiter) take(p *principal) rateDecision {
	if len(l.rules) == 0 {
		return rateDecision{}
	}
	limit := l.rule(p)
	if limit == 0 {
		return rateDecision{}
	}
	now := l.now()
	start := now.Truncate(time.Hour)
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.counts[p.UserName]
	if w == nil || !w.start.Equal(start) {
		w = &rateWindow{start: start}
		l.counts[p.UserName] = w
	}
	d := rateDecision{limit: limit, reset: start.Add(time.Hour)}
	if w.n >= limit {
		d.exceeded = true
		return d
	}
	w.n++
	d.remaining = limit - w.n
	return d
}

// setHeaders writes X-RateLimit-* (and Retry-After when exceeded).
func (d rateDecision) setHeaders(h http.Header, now time.Time) {
	if d.limit == 0 {
		return
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(d.reset.Unix(), 10))
	if d.exceeded {
		wait := int(d.reset.Sub(now).Seconds() + 0.999)
		h.Set("Retry-After", strconv.Itoa(max(wait, 1)))
	}
}

// rateLimitError is the 429 envelope of a real instance.
func rateLimitError(limit int) apiError {
	return apiError{http.StatusTooManyRequests, "Rate limit exceeded",
		"Rate limit of " + strconv.Itoa(limit) + " requests per hour for Table API exceeded"}
}
