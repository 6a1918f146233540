package store

import (
	"fmt"
	"time"
)

// Times are stored in UTC with microsecond precision (PostgreSQL's). Both
// engines receive the same fixed-width text form: PostgreSQL parses it into
// timestamptz, SQLite keeps it as TEXT, where a fixed width makes text order
// time order (so ORDER BY and >= work on both).
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// dbTime encodes t for a query argument.
func dbTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(timeLayout)
}

// timeDest scans either engine's representation into a UTC time.Time.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d.t = v.UTC()
		return nil
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("store: cannot scan %T into a time", src)
	}
}

func (d timeDest) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: bad stored time: %w", err)
	}
	*d.t = t.UTC()
	return nil
}
