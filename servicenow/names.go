package servicenow

import (
	"fmt"
	"regexp"
)

var (
	// fieldRe matches a column name with at most one dot-walk
	// (assigned_to.email). Column names are lowercase in ServiceNow.
	fieldRe = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$`)
	// columnRe matches a plain column name (no dot-walking), for writes.
	columnRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	tableRe  = regexp.MustCompile(`^[a-z0-9_]+$`)
	sysIDRe  = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

const (
	maxNameLen = 80
	// shownLen bounds how much of a rejected name appears in an error.
	shownLen = 40
)

func validField(name string) bool {
	return len(name) <= maxNameLen && fieldRe.MatchString(name)
}

func validColumn(name string) bool {
	return len(name) <= maxNameLen && columnRe.MatchString(name)
}

func checkTable(table string) error {
	if len(table) > maxNameLen || !tableRe.MatchString(table) {
		return fmt.Errorf("%w: %q", ErrInvalidTable, shorten(table))
	}
	return nil
}

func checkSysID(id string) error {
	if !sysIDRe.MatchString(id) {
		return fmt.Errorf("%w: want 32 lowercase hex characters", ErrInvalidSysID)
	}
	return nil
}

// shorten keeps error messages bounded when they must name rejected input.
func shorten(s string) string {
	if len(s) <= shownLen {
		return s
	}
	return s[:shownLen] + "…"
}
