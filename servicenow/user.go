package servicenow

// Assignees: "me", a user name or an email, looked up in sys_user as the
// signed-in user (so only users they can see), through the query builder.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// userRe is what an assignee may look like: a user_name or an email.
var userRe = regexp.MustCompile(`^[A-Za-z0-9._%+'@-]{1,100}$`)

func checkAssignee(who string) error {
	who = strings.TrimSpace(who)
	if who == "" || strings.EqualFold(who, "me") || userRe.MatchString(who) {
		return nil
	}
	return invalid("assigned_to", `use "me", a ServiceNow user name or an email address`)
}

// Lookup failures of userSysID, worded by its callers.
var (
	errNoUser    = errors.New("servicenow: no such active user")
	errManyUsers = errors.New("servicenow: several users match")
)

// assigneeID looks up an assignee, wording a failed lookup as input.
func (k *call) assigneeID(ctx context.Context, who string) (string, error) {
	id, err := k.userSysID(ctx, who)
	switch {
	case errors.Is(err, errNoUser):
		return "", invalid("assigned_to", "no active ServiceNow user you can see has that user name or email")
	case errors.Is(err, errManyUsers):
		return "", invalid("assigned_to", "several ServiceNow users match; use the user name")
	}
	return id, err
}

// userSysID returns the sys_id of the one active user who is "me" (the
// signed-in user, resolved by ServiceNow), has that email, or that
// user_name.
func (k *call) userSysID(ctx context.Context, who string) (string, error) {
	q := NewQuery()
	switch {
	case strings.EqualFold(who, "me"):
		q.EqMe("sys_id")
	case strings.Contains(who, "@"):
		q.Eq("email", strings.ToLower(who))
	default:
		q.Eq("user_name", who)
	}
	q.Eq("active", "true")
	rows, _, err := k.s.list(ctx, "sys_user", ListOptions{Query: q, Fields: []string{"sys_id"}, Limit: 2})
	if err != nil {
		return "", err
	}
	switch {
	case len(rows) == 0:
		return "", errNoUser
	case len(rows) > 1:
		return "", errManyUsers
	}
	id := rows[0].Value("sys_id")
	if checkSysID(id) != nil {
		return "", fmt.Errorf("%w: user lookup returned no usable sys_id", ErrUnavailable)
	}
	return id, nil
}
