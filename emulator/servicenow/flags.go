package servicenow

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseOIDCProvider reads the command-line form of an OIDC provider:
//
//	name=EntraID,metadata=https://…/.well-known/openid-configuration,client_id=<aud>
//	  [,user_claim=preferred_username][,user_field=email][,clock_skew=300s][,check_jti=true]
func ParseOIDCProvider(spec string) (OIDCProvider, error) {
	var p OIDCProvider
	kv, err := splitSpec(spec)
	if err != nil {
		return p, err
	}
	for k, v := range kv {
		switch k {
		case "name":
			p.Name = v
		case "metadata", "metadata_url":
			p.MetadataURL = v
		case "client_id", "audience":
			p.ClientID = v
		case "user_claim":
			p.UserClaim = v
		case "user_field":
			p.UserField = v
		case "clock_skew":
			d, err := time.ParseDuration(v)
			if err != nil {
				return p, fmt.Errorf("servicenow: oidc clock_skew: %w", err)
			}
			p.ClockSkew = d
		case "check_jti":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return p, fmt.Errorf("servicenow: oidc check_jti: %w", err)
			}
			p.CheckJTI = b
		default:
			return p, fmt.Errorf("servicenow: oidc: unknown key %q", k)
		}
	}
	return p, nil
}

// ParseRateLimit reads the command-line form of a rate-limit rule:
// "per_hour=N" (every user), "user=jane.smith,per_hour=N" or
// "role=itil,per_hour=N".
func ParseRateLimit(spec string) (RateLimit, error) {
	var r RateLimit
	kv, err := splitSpec(spec)
	if err != nil {
		return r, err
	}
	for k, v := range kv {
		switch k {
		case "user":
			r.User = v
		case "role":
			r.Role = v
		case "per_hour":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return r, fmt.Errorf("servicenow: rate limit per_hour %q is not a positive number", v)
			}
			r.RequestsPerHour = n
		default:
			return r, fmt.Errorf("servicenow: rate limit: unknown key %q", k)
		}
	}
	if r.RequestsPerHour == 0 {
		return r, fmt.Errorf("servicenow: rate limit %q needs per_hour", spec)
	}
	return r, nil
}

func splitSpec(spec string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("servicenow: %q is not key=value", part)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("servicenow: key %q given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

// Count returns how many records of table match an encoded query, as the
// instance itself sees them (no ACLs).
func (s *Server) Count(ctx context.Context, table, encodedQuery string) (int, error) {
	t := s.dict.table(table)
	if t == nil {
		return 0, fmt.Errorf("servicenow: count: unknown table %q", table)
	}
	env := s.env(systemPrincipal)
	q := parseEncodedQuery(s.dict, t, encodedQuery)
	if len(q.invalid) > 0 {
		return 0, fmt.Errorf("servicenow: count: invalid query terms %q", q.invalid)
	}
	b := &sqlBuilder{}
	var n int
	err := s.reads.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(t.Name)+" AS t0 WHERE "+env.where(b, t, "t0", q), b.args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("servicenow: count %s: %w", table, err)
	}
	return n, nil
}
