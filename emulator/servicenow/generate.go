package servicenow

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Generated describes what GenerateIncidents created.
type Generated struct {
	// Users are the user_names the incidents are spread over; each has the
	// itil role and the email <user_name>@example.com (its OIDC identity).
	Users       []string
	Incidents   int
	FirstNumber string
	LastNumber  string
}

// GeneratedUserName is the user_name of the i-th generated user (from 1).
func GeneratedUserName(i int) string { return fmt.Sprintf("gen.user%04d", i) }

// generatedEmailDomain is the mail domain of generated users.
const generatedEmailDomain = "example.com"

var genShort = []string{
	"VPN connection dropping", "Printer jam", "Outlook calendar sync failure", "Laptop will not boot",
	"Password reset request", "Shared drive permission error", "Teams plugin not loading",
	"Docking station not detecting monitors", "Slow network on floor 2", "Database connection timeout",
	"Access request for finance app", "Phishing email reported", "Suspicious sign-in alert",
	"Employee relations question", "Mobile device enrollment fails", "Wi-Fi keeps disconnecting",
}

// weighted picks from choices by weight.
type weighted struct {
	values  []string
	weights []int
	total   int
}

func newWeighted(pairs ...any) weighted {
	var w weighted
	for i := 0; i < len(pairs); i += 2 {
		w.values = append(w.values, pairs[i].(string))
		w.weights = append(w.weights, pairs[i+1].(int))
		w.total += pairs[i+1].(int)
	}
	return w
}

func (w weighted) pick(r *rand.Rand) string {
	n := r.IntN(w.total)
	for i, wt := range w.weights {
		if n < wt {
			return w.values[i]
		}
		n -= wt
	}
	return w.values[len(w.values)-1]
}

var (
	genCategory = newWeighted("software", 30, "hardware", 25, "network", 15, "inquiry", 15, "database", 7, "hr", 4, "security", 4)
	genState    = newWeighted("1", 25, "2", 25, "3", 10, "9", 5, "6", 15, "7", 15, "8", 5)
	genPriority = newWeighted("1", 5, "2", 15, "3", 40, "4", 30, "5", 10)
)

// genBatch is how many incidents one transaction inserts, so a large
// generation does not hold the writer for long.
const genBatch = 25000

// bulkIndexThreshold is the size from which GenerateIncidents drops the
// incident indexes and rebuilds them at the end.
const bulkIndexThreshold = 10000

// GenerateIncidents bulk-loads n incidents spread over users generated
// users (gen.user0001 ... with the itil role, created when missing), for
// load tests and benchmarks. The data is deterministic for given n and
// users: categories (about 8% HR or security, hidden from itil by the read
// ACLs), states (about a third inactive), priorities and callers follow a
// fixed pseudo-random sequence; numbers continue the incident counter and
// opened_at increases with the number, one minute apart, from a day after
// the dev seed. Like an import, it writes no sys_audit rows.
func (s *Server) GenerateIncidents(ctx context.Context, n, users int) (Generated, error) {
	if n < 0 || users < 1 {
		return Generated{}, errors.New("servicenow: generate: need n >= 0 and users >= 1")
	}
	g := Generated{Incidents: n}
	at := formatTime(seedEpoch.AddDate(0, 0, -14))
	userIDs := make([]string, users)
	for i := range users {
		name := GeneratedUserName(i + 1)
		g.Users = append(g.Users, name)
		userIDs[i] = seedID("sys_user", name)
		if err := s.seedUser(ctx, s.db, SeedUser{
			UserName: name, FirstName: "Gen", LastName: "User " + strings.TrimPrefix(name, "gen.user"),
			Email: name + "@" + generatedEmailDomain, Roles: []string{"itil"},
		}, at); err != nil {
			return Generated{}, err
		}
	}
	if n == 0 {
		return g, nil
	}
	t := s.dict.table("incident")
	first, digits, err := s.reserveNumbers(ctx, t, n)
	if err != nil {
		return Generated{}, err
	}
	g.FirstNumber = formatNumber(t.NumberPrefix, first, digits)
	g.LastNumber = formatNumber(t.NumberPrefix, first+int64(n)-1, digits)

	cols := []string{"sys_id", "number", "short_description", "description", "priority", "impact", "urgency",
		"state", "category", "assigned_to", "caller_id", "opened_by", "opened_at", "active",
		"sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by", "sys_mod_count"}
	b := &sqlBuilder{}
	quoted := make([]string, len(cols))
	marks := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quoteIdent(c)
		marks[i] = b.bind(nil)
	}
	insertSQL := "INSERT OR IGNORE INTO incident (" + strings.Join(quoted, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
	if n >= bulkIndexThreshold {
		if err := dropIndexes(ctx, s.db, t); err != nil {
			return Generated{}, err
		}
		// Whatever happens below, the indexes come back.
		defer func() {
			if err := createIndexes(context.WithoutCancel(ctx), s.db, t); err != nil {
				s.log.ErrorContext(ctx, "servicenow: rebuild incident indexes", "error", err)
			}
		}()
	}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(users)))
	start := seedEpoch.AddDate(0, 0, 1)
	for done := 0; done < n; {
		if err := ctx.Err(); err != nil {
			return Generated{}, err
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return Generated{}, fmt.Errorf("servicenow: generate: %w", err)
		}
		stmt, err := tx.PrepareContext(ctx, insertSQL)
		if err != nil {
			tx.Rollback()
			return Generated{}, fmt.Errorf("servicenow: generate: %w", err)
		}
		for end := min(done+genBatch, n); done < end; done++ {
			number := formatNumber(t.NumberPrefix, first+int64(done), digits)
			opened := formatTime(start.Add(time.Duration(done) * time.Minute))
			assignee := userIDs[rng.IntN(users)]
			ci := rng.IntN(users)
			caller, callerName := userIDs[ci], g.Users[ci]
			prio, _ := strconv.Atoi(genPriority.pick(rng))
			impact, urgency := impactUrgency(prio)
			state := genState.pick(rng)
			active := int64(1)
			if state == "6" || state == "7" || state == "8" {
				active = 0
			}
			short := genShort[rng.IntN(len(genShort))]
			if _, err := stmt.ExecContext(ctx,
				seedID("incident", number), number, short, short+" (generated)", int64(prio), int64(impact), int64(urgency),
				mustInt(state), genCategory.pick(rng), assignee, caller, caller, opened, active,
				opened, callerName, opened, callerName, int64(0),
			); err != nil {
				stmt.Close()
				tx.Rollback()
				return Generated{}, fmt.Errorf("servicenow: generate: %w", err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return Generated{}, fmt.Errorf("servicenow: generate: %w", err)
		}
	}
	if err := createIndexes(ctx, s.db, t); err != nil {
		return Generated{}, err
	}
	return g, nil
}

// reserveNumbers takes n consecutive numbers from t's counter.
func (s *Server) reserveNumbers(ctx context.Context, t *table, n int) (first int64, digits int, err error) {
	if err := s.syncNumberCounters(ctx, s.db); err != nil {
		return 0, 0, err
	}
	err = s.db.QueryRowContext(ctx, "UPDATE sys_number SET number = number + ?2 WHERE category = ?1 RETURNING number - ?2, maximum_digits", t.Name, n).Scan(&first, &digits)
	if err != nil {
		return 0, 0, fmt.Errorf("servicenow: reserve numbers: %w", err)
	}
	return first, digits, nil
}

func mustInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic("servicenow: " + err.Error())
	}
	return n
}
