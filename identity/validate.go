package identity

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Patterns and lengths of the AgentCore service models.
var (
	providerNameRE  = regexp.MustCompile(`^[a-zA-Z0-9\-_]{1,128}$`)
	workloadNameRE  = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	tagRE           = regexp.MustCompile(`^[a-zA-Z0-9\s._:/=+@-]*$`)
	returnURLRE     = regexp.MustCompile(`^\w+:(\/?\/?)[^\s]+$`)
	sessionURIRE    = regexp.MustCompile(`^urn:ietf:params:oauth:request_uri:[a-zA-Z0-9-._~]{1,990}$`)
	customKeyRE     = regexp.MustCompile(`^[a-zA-Z0-9\-_\.]{1,256}$`)
	discoveryPathRE = regexp.MustCompile(`/\.well-known/(openid-configuration|oauth-authorization-server)$`)
)

const (
	providerNamePattern = `[a-zA-Z0-9\-_]+`
	workloadNamePattern = `[A-Za-z0-9_.-]+`
)

// validator collects AWS-style field errors; err returns them as one
// ValidationException whose message reads like AWS's ("2 validation errors
// detected: Value at 'name' failed to satisfy constraint: …"). Messages
// never quote the value: some members are secrets.
type validator struct {
	fields []FieldError
}

func (v *validator) add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Name: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) required(field, s string) bool {
	if s == "" {
		v.add(field, "Member must not be null")
		return false
	}
	return true
}

// length checks min <= runes(s) <= max (max 0: no upper bound).
func (v *validator) length(field, s string, min, max int) bool {
	n := utf8.RuneCountInString(s)
	if n < min || (max > 0 && n > max) {
		if max > 0 {
			v.add(field, "Member must have length between %d and %d", min, max)
		} else {
			v.add(field, "Member must have length greater than or equal to %d", min)
		}
		return false
	}
	return true
}

func (v *validator) providerName(field, s string) {
	if v.required(field, s) && v.length(field, s, 1, 128) && !providerNameRE.MatchString(s) {
		v.add(field, "Member must satisfy regular expression pattern: %s", providerNamePattern)
	}
}

func (v *validator) workloadName(field, s string) {
	if v.required(field, s) && v.length(field, s, 3, 255) && !workloadNameRE.MatchString(s) {
		v.add(field, "Member must satisfy regular expression pattern: %s", workloadNamePattern)
	}
}

func (v *validator) enum(field, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.add(field, "Member must satisfy enum value set: [%s]", strings.Join(allowed, ", "))
}

func (v *validator) tags(field string, tags map[string]string) {
	if len(tags) > 50 {
		v.add(field, "Member must have length less than or equal to 50")
	}
	for k, val := range tags {
		if utf8.RuneCountInString(k) < 1 || utf8.RuneCountInString(k) > 128 || !tagRE.MatchString(k) {
			v.add(field, "Map keys must have length between 1 and 128 and satisfy regular expression pattern: [a-zA-Z0-9\\s._:/=+@-]*")
		}
		if utf8.RuneCountInString(val) > 256 || !tagRE.MatchString(val) {
			v.add(field, "Map values must have length at most 256 and satisfy regular expression pattern: [a-zA-Z0-9\\s._:/=+@-]*")
		}
	}
}

// httpURL checks an absolute http(s) URL.
func (v *validator) httpURL(field, s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.add(field, "Member must be an absolute http or https URL")
		return false
	}
	return true
}

func (v *validator) returnURL(field, s string) {
	if v.length(field, s, 1, 2048) && !returnURLRE.MatchString(s) {
		v.add(field, `Member must satisfy regular expression pattern: \w+:(\/?\/?)[^\s]+`)
	}
}

func (v *validator) maxResults(field string, n, max int) {
	if n != 0 && (n < 1 || n > max) {
		v.add(field, "Member must have value between 1 and %d", max)
	}
}

func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	parts := make([]string, len(v.fields))
	for i, f := range v.fields {
		parts[i] = fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", f.Name, f.Message)
	}
	noun := "error"
	if len(parts) > 1 {
		noun = "errors"
	}
	e := newError(ValidationException, nil, "%d validation %s detected: %s", len(parts), noun, strings.Join(parts, "; "))
	e.Fields = v.fields
	return e
}
