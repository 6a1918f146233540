package servicenow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// seedID is the fixed sys_id of a seeded record, so seeding is idempotent
// (INSERT OR IGNORE) and the dev data is identical on every machine.
func seedID(table, key string) string {
	h := sha256.Sum256([]byte("onbehalf-dev/" + table + "/" + key))
	return hex.EncodeToString(h[:16])
}

// seedEpoch anchors seeded timestamps; they never depend on the clock.
var seedEpoch = time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)

var adminUser = SeedUser{UserName: "admin", FirstName: "System", LastName: "Administrator", Email: "admin@company.com", Roles: []string{roleAdmin}}

// devUsers are the users of dev-data.md (admin is seeded always).
var devUsers = []SeedUser{
	{UserName: "jane.smith", FirstName: "Jane", LastName: "Smith", Email: "jane.smith@company.com", Roles: []string{"itil"}},
	{UserName: "bob.jones", FirstName: "Bob", LastName: "Jones", Email: "bob.jones@company.com", Roles: []string{"itil"}},
	{UserName: "hr.partner", FirstName: "Harriet", LastName: "Partner", Email: "hr.partner@company.com", Roles: []string{"itil", "sn_hr_core.case_reader"}},
	{UserName: "soc.analyst", FirstName: "Sam", LastName: "Analyst", Email: "soc.analyst@company.com", Roles: []string{"itil", "sn_si.analyst"}},
}

var seedRoles = []struct{ name, description string }{
	{roleAdmin, "System administrator; passes every ACL"},
	{"itil", "Fulfiller: works incidents"},
	{"sn_hr_core.case_reader", "Reads HR cases and HR-category incidents"},
	{"sn_si.analyst", "Security incident analyst; reads security-category incidents"},
}

type seedIncident struct {
	number, short, description string
	priority, state            int
	category, assignee, caller string
}

// devIncidents are the incidents of dev-data.md.
var devIncidents = []seedIncident{
	{"INC0012345", "VPN connection dropping", "VPN drops every few minutes when working from home.", 2, 2, "network", "jane.smith", ""},
	{"INC0012350", "Employee complaint", "Confidential complaint about a team lead.", 2, 1, "hr", "jane.smith", "hr.partner"},
	{"INC0012360", "Printer jam on 3rd floor", "The shared printer near the kitchen jams on every job.", 4, 1, "hardware", "bob.jones", ""},
	{"INC0012389", "Outlook calendar sync failure", "Meetings created on the phone do not appear in Outlook.", 3, 1, "software", "jane.smith", ""},
	{"INC0012399", "SOC alert", "Suspicious sign-ins from an unknown country on a service account.", 1, 2, "security", "jane.smith", "soc.analyst"},
	{"INC0012401", "Laptop BSOD after Windows update", "Blue screen on boot since the last cumulative update.", 2, 2, "hardware", "jane.smith", ""},
	{"INC0012420", "Password reset request", "User locked out after too many attempts.", 3, 2, "inquiry", "bob.jones", ""},
	{"INC0012455", "Shared drive permission error", "Access denied on the finance shared drive.", 3, 1, "software", "jane.smith", ""},
	{"INC0012478", "Zoom plugin not loading in Teams", "The Zoom add-in is missing from the Teams meeting toolbar.", 4, 9, "software", "jane.smith", ""},
	{"INC0012490", "Docking station not detecting monitors", "External monitors stay black when docked.", 3, 1, "hardware", "bob.jones", ""},
}

// impactUrgency returns an (impact, urgency) pair that yields priority p in
// ServiceNow's default priority lookup.
func impactUrgency(p int) (int, int) {
	switch p {
	case 1:
		return 1, 1
	case 2:
		return 1, 2
	case 3:
		return 2, 2
	case 4:
		return 2, 3
	}
	return 3, 3
}

// seedUser creates u (once) with its roles and groups, which must exist,
// and sets its password when it has one (every start: the seed owns it).
func (s *Server) seedUser(ctx context.Context, q queryer, u SeedUser, at string) error {
	userID := seedID("sys_user", u.UserName)
	name := u.Name
	if name == "" {
		name = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	if err := s.insert(ctx, q, "sys_user", "system", map[string]string{
		"sys_id": userID, "user_name": u.UserName, "first_name": u.FirstName, "last_name": u.LastName,
		"name": name, "email": u.Email, "title": u.Title, "department": u.Department,
		"active": strconv.FormatBool(!u.Inactive), "locked_out": "false",
		"sys_created_on": at, "sys_updated_on": at,
	}); err != nil {
		return err
	}
	for _, r := range u.Roles {
		if err := s.insert(ctx, q, "sys_user_has_role", "system", map[string]string{
			"sys_id": seedID("sys_user_has_role", u.UserName+"/"+r), "user": userID, "role": seedID("sys_user_role", r),
			"sys_created_on": at, "sys_updated_on": at,
		}); err != nil {
			return err
		}
	}
	for _, g := range u.Groups {
		if err := s.insert(ctx, q, "sys_user_grmember", "system", map[string]string{
			"sys_id": seedID("sys_user_grmember", u.UserName+"/"+g), "user": userID, "group": seedID("sys_user_group", g),
			"sys_created_on": at, "sys_updated_on": at,
		}); err != nil {
			return err
		}
	}
	if u.Password != "" {
		return s.setPassword(ctx, q, userID, u.Password)
	}
	return nil
}

// setPassword stores password hashed; "" removes it (no Basic auth).
func (s *Server) setPassword(ctx context.Context, q queryer, userID, password string) error {
	var hash any
	if password != "" {
		h, err := hashPassword(password)
		if err != nil {
			return fmt.Errorf("servicenow: hash password: %w", err)
		}
		hash = h
	}
	if _, err := q.ExecContext(ctx, "UPDATE sys_user SET user_password = ?1 WHERE sys_id = ?2", hash, userID); err != nil {
		return fmt.Errorf("servicenow: set password: %w", err)
	}
	return nil
}

// seedAdmin creates the roles and admin (once) and sets admin's password
// (every start: the caller owns it).
func (s *Server) seedAdmin(ctx context.Context, password string) error {
	at := formatTime(seedEpoch.AddDate(0, -1, 0))
	for _, r := range seedRoles {
		if err := s.insert(ctx, s.db, "sys_user_role", "system", map[string]string{
			"sys_id": seedID("sys_user_role", r.name), "name": r.name, "description": r.description,
			"sys_created_on": at, "sys_updated_on": at,
		}); err != nil {
			return err
		}
	}
	if err := s.seedUser(ctx, s.db, adminUser, at); err != nil {
		return err
	}
	return s.setPassword(ctx, s.db, seedID("sys_user", adminUser.UserName), password)
}

// seedDev creates the users and incidents of dev-data.md. Incidents are
// opened in number order, ten minutes per number step.
func (s *Server) seedDev(ctx context.Context) error {
	for _, u := range devUsers {
		if err := s.seedUser(ctx, s.db, u, formatTime(seedEpoch.AddDate(0, 0, -14))); err != nil {
			return err
		}
	}
	for _, in := range devIncidents {
		n, err := strconv.Atoi(strings.TrimPrefix(in.number, "INC"))
		if err != nil {
			return fmt.Errorf("servicenow: seed %s: %w", in.number, err)
		}
		opened := formatTime(seedEpoch.Add(time.Duration(n-12345) * 10 * time.Minute))
		caller := in.caller
		if caller == "" {
			caller = in.assignee
		}
		impact, urgency := impactUrgency(in.priority)
		if err := s.insert(ctx, s.db, "incident", caller, map[string]string{
			"sys_id":            seedID("incident", in.number),
			"number":            in.number,
			"short_description": in.short,
			"description":       in.description,
			"priority":          strconv.Itoa(in.priority),
			"impact":            strconv.Itoa(impact),
			"urgency":           strconv.Itoa(urgency),
			"state":             strconv.Itoa(in.state),
			"category":          in.category,
			"assigned_to":       seedID("sys_user", in.assignee),
			"caller_id":         seedID("sys_user", caller),
			"opened_by":         seedID("sys_user", caller),
			"opened_at":         opened,
			"active":            "true",
			"sys_created_on":    opened,
			"sys_updated_on":    opened,
		}); err != nil {
			return err
		}
	}
	return nil
}
