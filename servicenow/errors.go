package servicenow

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Sentinels for failures of a ServiceNow call. An *Error matches the one
// for its status with errors.Is; transport failures and non-JSON answers
// match ErrUnavailable.
var (
	ErrUnauthorized = errors.New("servicenow: not authenticated")     // 401
	ErrForbidden    = errors.New("servicenow: forbidden")             // 403
	ErrNotFound     = errors.New("servicenow: not found")             // 404
	ErrBadRequest   = errors.New("servicenow: bad request")           // 400
	ErrRateLimited  = errors.New("servicenow: rate limited")          // 429
	ErrUnavailable  = errors.New("servicenow: unavailable")           // 5xx, transport, non-JSON
	ErrNoToken      = errors.New("servicenow: no token for the user") // the TokenSource failed
	// ErrInvalidOption: ListOptions or a Client field is invalid.
	ErrInvalidOption = errors.New("servicenow: invalid option")
	// ErrResponseTooLarge: a response exceeded Client.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("servicenow: response too large")
)

// Error is a ServiceNow error answer, from the envelope
// {"error":{"message","detail"},"status":"failure"}. Message and Detail are
// bounded, stripped of control characters and of the credential that was
// sent, so an Error is safe to log.
type Error struct {
	Status  int
	Message string
	Detail  string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("servicenow: %d", e.Status)
	if e.Message != "" {
		s += " " + e.Message
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Is makes errors.Is(err, ErrNotFound) and friends work on *Error.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.Status == 400
	case ErrUnauthorized:
		return e.Status == 401
	case ErrForbidden:
		return e.Status == 403
	case ErrNotFound:
		return e.Status == 404
	case ErrRateLimited:
		return e.Status == 429
	case ErrUnavailable:
		return e.Status >= 500
	}
	return false
}

const maxMessageLen = 300

// cleanMessage makes a server-supplied string safe to log: the secrets are
// redacted, control characters dropped, and the length bounded.
func cleanMessage(s string, secrets []string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxMessageLen {
		s = string(r[:maxMessageLen]) + "…"
	}
	return s
}
