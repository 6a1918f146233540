package servicenow

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// dateTimeLayout is how glide_date_time values travel and are stored (UTC).
const dateTimeLayout = "2006-01-02 15:04:05"

var sysIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// newSysID returns a random sys_id: 32 lowercase hex characters.
func newSysID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("servicenow: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

func formatTime(t time.Time) string { return t.UTC().Format(dateTimeLayout) }

// valueError reports a value that does not fit its field's type.
type valueError struct {
	Table, Field string
	Type         fieldType
}

func (e *valueError) Error() string {
	return fmt.Sprintf("servicenow: invalid value for %s.%s (%s)", e.Table, e.Field, e.Type)
}

// toDB converts an API value into the value stored for f. "" is stored as
// NULL. Choice values outside the list are stored as they are, as a real
// instance does; integers, booleans, dates and references must parse.
func toDB(t *table, f *field, v string) (any, error) {
	if v == "" {
		return nil, nil
	}
	bad := &valueError{Table: t.Name, Field: f.Name, Type: f.Type}
	switch f.Type {
	case typeInteger, typeIntegerChoice:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, bad
		}
		return n, nil
	case typeBoolean:
		b, ok := parseBool(v)
		if !ok {
			return nil, bad
		}
		if b {
			return int64(1), nil
		}
		return int64(0), nil
	case typeDateTime:
		s, ok := normalizeDateTime(v)
		if !ok {
			return nil, bad
		}
		return s, nil
	case typeReference, typeSysID:
		if !sysIDRE.MatchString(v) {
			return nil, bad
		}
		return v, nil
	}
	return v, nil
}

// fromDB converts a scanned column into the canonical API string.
func fromDB(f *field, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int64:
		if f.Type == typeBoolean {
			return strconv.FormatBool(x != 0)
		}
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []byte:
		return string(x)
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func parseBool(v string) (value, ok bool) {
	switch v {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// normalizeDateTime accepts "YYYY-MM-DD HH:MM:SS" and "YYYY-MM-DD".
func normalizeDateTime(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(dateTimeLayout, v); err == nil {
		return formatTime(t), true
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return formatTime(t), true
	}
	return "", false
}

// groupDigits renders an integer display value the way ServiceNow does
// ("1,234").
func groupDigits(s string) string {
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	if len(digits) <= 3 || strings.Trim(digits, "0123456789") != "" {
		return s
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	first := len(digits) % 3
	if first > 0 {
		b.WriteString(digits[:first])
	}
	for i := first; i < len(digits); i += 3 {
		if b.Len() > 0 && !(neg && b.Len() == 1) {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
