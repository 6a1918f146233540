package provider

import (
	"errors"
	"net/url"
	"strings"
)

// BaseURL parses raw, which must be an absolute http(s) URL with a host.
// The error names provider and never quotes raw (it may hold user info).
func BaseURL(provider, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New(provider + ": the base URL must be an http(s) URL")
	}
	return u, nil
}

// ShownURL is u without user info, query or fragment, for display.
func ShownURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	return strings.TrimRight(c.String(), "/")
}
