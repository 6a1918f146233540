package servicenow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// Auto-numbering, as sys_number does it on a real instance: one counter per
// table with a NumberPrefix, numbers of seven digits starting at 0010001.
// Here the counter lives in sys_number.number (the next number to give);
// on a real instance it is sys_number_counter.
const (
	numberStart  = 10001
	numberDigits = 7
)

func formatNumber(prefix string, n int64, digits int) string {
	return fmt.Sprintf("%s%0*d", prefix, digits, n)
}

// nextNumber takes the next number for t inside q's transaction.
func (s *Server) nextNumber(ctx context.Context, q queryer, t *table) (string, error) {
	var n int64
	var digits int
	err := q.QueryRowContext(ctx, "UPDATE sys_number SET number = number + 1 WHERE category = ?1 RETURNING number - 1, maximum_digits", t.Name).Scan(&n, &digits)
	if errors.Is(err, sql.ErrNoRows) {
		if err := s.ensureCounter(ctx, q, t); err != nil {
			return "", err
		}
		return s.nextNumber(ctx, q, t)
	}
	if err != nil {
		return "", fmt.Errorf("servicenow: number for %s: %w", t.Name, err)
	}
	return formatNumber(t.NumberPrefix, n, digits), nil
}

func (s *Server) ensureCounter(ctx context.Context, q queryer, t *table) error {
	return s.insert(ctx, q, "sys_number", "system", map[string]string{
		"sys_id": seedID("sys_number", t.Name), "category": t.Name, "prefix": t.NumberPrefix,
		"number": strconv.Itoa(numberStart), "maximum_digits": strconv.Itoa(numberDigits),
	})
}

// syncNumberCounters moves every counter past the highest number already
// in its table, so records seeded or imported with numbers never collide
// with new ones.
func (s *Server) syncNumberCounters(ctx context.Context, q queryer) error {
	for _, t := range s.dict.list() {
		if t.NumberPrefix == "" {
			continue
		}
		if err := s.ensureCounter(ctx, q, t); err != nil {
			return err
		}
		_, err := q.ExecContext(ctx, "UPDATE sys_number SET number = MAX(number, COALESCE((SELECT MAX(CAST(substr(number, ?2) AS INTEGER)) FROM "+
			quoteIdent(t.Name)+" WHERE number GLOB ?3), 0) + 1) WHERE category = ?1",
			t.Name, len(t.NumberPrefix)+1, t.NumberPrefix+"[0-9]*")
		if err != nil {
			return fmt.Errorf("servicenow: number counter of %s: %w", t.Name, err)
		}
	}
	return nil
}
