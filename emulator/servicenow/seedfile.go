package servicenow

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/goccy/go-yaml"
)

// Seed is data loaded into an instance at start: roles, groups, users (with
// their roles, groups and an optional Basic-auth password) and records of
// any table. Loading is idempotent: each seeded record gets a fixed sys_id
// (derived from its user_name, name or number, or its position), and a
// record that exists is left as it is, so changes made through the API
// survive a restart with the same file.
//
// A seed file is YAML (or JSON):
//
//	roles:  [{name: sn_hr_core.case_reader, description: Reads HR cases}]
//	groups: [{name: Service Desk, manager: jane.smith}]
//	users:
//	  - {user_name: jane.smith, name: Jane Smith, email: jane.smith@company.com,
//	     roles: [itil], groups: [Service Desk]}
//	records:
//	  incident:
//	    - {number: INC0020001, short_description: VPN down, priority: 2,
//	       assigned_to: jane.smith, assignment_group: Service Desk}
//
// A reference value may be a sys_id, or name the target record: by
// user_name or email for sys_user, by display value for any table. A
// record without a number gets the table's next one. Roles and groups that
// users name are created when missing.
type Seed struct {
	Roles   []SeedRole              `yaml:"roles"`
	Groups  []SeedGroup             `yaml:"groups"`
	Users   []SeedUser              `yaml:"users"`
	Records map[string][]SeedRecord `yaml:"records"`
}

// SeedRole is a sys_user_role.
type SeedRole struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
}

// SeedGroup is a sys_user_group; Manager is a user_name.
type SeedGroup struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Email       string `yaml:"email"`
	Manager     string `yaml:"manager"`
}

// SeedUser is a sys_user with its roles and groups (by name). Password,
// when set, enables Basic auth for the user; it is stored hashed.
type SeedUser struct {
	UserName   string   `yaml:"user_name"`
	FirstName  string   `yaml:"first_name"`
	LastName   string   `yaml:"last_name"`
	Name       string   `yaml:"name"`
	Email      string   `yaml:"email"`
	Title      string   `yaml:"title"`
	Department string   `yaml:"department"`
	Inactive   bool     `yaml:"inactive"`
	Roles      []string `yaml:"roles"`
	Groups     []string `yaml:"groups"`
	Password   string   `yaml:"password"`
}

// SeedRecord is one record: field -> value (strings, numbers or booleans).
type SeedRecord map[string]any

// LoadSeedFile reads a seed file (YAML or JSON). Unknown keys are errors,
// so a misspelt key never silently seeds nothing.
func LoadSeedFile(path string) (*Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("servicenow: seed file: %w", err)
	}
	var seed Seed
	if err := yaml.UnmarshalWithOptions(data, &seed, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("servicenow: seed file %s: %w", path, err)
	}
	return &seed, nil
}

// applySeed loads seed; every problem is reported at once and nothing is
// written unless the whole seed loads.
func (s *Server) applySeed(ctx context.Context, seed *Seed) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("servicenow: seed: %w", err)
	}
	defer tx.Rollback()
	at := formatTime(s.now())
	var errs []error
	role := func(name, description string) {
		if err := s.insert(ctx, tx, "sys_user_role", "system", map[string]string{
			"sys_id": seedID("sys_user_role", name), "name": name, "description": description,
		}); err != nil {
			errs = append(errs, err)
		}
	}
	group := func(g SeedGroup) {
		if err := s.insert(ctx, tx, "sys_user_group", "system", map[string]string{
			"sys_id": seedID("sys_user_group", g.Name), "name": g.Name, "description": g.Description,
			"email": g.Email, "active": "true",
		}); err != nil {
			errs = append(errs, err)
		}
	}
	for i, r := range seed.Roles {
		if r.Name == "" {
			errs = append(errs, fmt.Errorf("servicenow: seed roles[%d]: name is required", i))
			continue
		}
		role(r.Name, r.Description)
	}
	for i, g := range seed.Groups {
		if g.Name == "" {
			errs = append(errs, fmt.Errorf("servicenow: seed groups[%d]: name is required", i))
			continue
		}
		group(g)
	}
	for i, u := range seed.Users {
		if u.UserName == "" {
			errs = append(errs, fmt.Errorf("servicenow: seed users[%d]: user_name is required", i))
			continue
		}
		for _, r := range u.Roles {
			role(r, "")
		}
		for _, g := range u.Groups {
			group(SeedGroup{Name: g})
		}
		if err := s.seedUser(ctx, tx, u, at); err != nil {
			errs = append(errs, fmt.Errorf("servicenow: seed users[%d]: %w", i, err))
		}
	}
	for i, g := range seed.Groups {
		if g.Manager == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, "UPDATE sys_user_group SET manager = ?1 WHERE sys_id = ?2",
			seedID("sys_user", g.Manager), seedID("sys_user_group", g.Name)); err != nil {
			errs = append(errs, fmt.Errorf("servicenow: seed groups[%d] manager: %w", i, err))
		}
	}
	tables := make([]string, 0, len(seed.Records))
	for name := range seed.Records {
		tables = append(tables, name)
	}
	sort.Strings(tables)
	for _, name := range tables {
		t := s.dict.table(name)
		if t == nil {
			errs = append(errs, fmt.Errorf("servicenow: seed records: unknown table %q", name))
			continue
		}
		for i, r := range seed.Records[name] {
			if err := s.seedRecord(ctx, tx, t, i, r); err != nil {
				errs = append(errs, fmt.Errorf("servicenow: seed records.%s[%d]: %w", name, i, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("servicenow: seed: %w", err)
	}
	for t := range identityTables {
		s.auth.changed(t)
	}
	return nil
}

// seedRecord inserts one seed record with dictionary defaults.
func (s *Server) seedRecord(ctx context.Context, q queryer, t *table, i int, r SeedRecord) error {
	values := map[string]string{}
	keys := make([]string, 0, len(r))
	for k := range r {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := t.field(k)
		if f == nil || !f.stored() {
			return fmt.Errorf("unknown field %q", k)
		}
		v, err := seedString(r[k])
		if err != nil {
			return fmt.Errorf("field %s: %w", k, err)
		}
		if f.Type == typeReference && v != "" && !sysIDRE.MatchString(v) {
			id, err := s.seedReference(ctx, q, s.dict.table(f.Reference), v)
			if err != nil {
				return fmt.Errorf("field %s: %w", k, err)
			}
			v = id
		}
		values[k] = v
	}
	for _, f := range t.Fields {
		if _, ok := values[f.Name]; ok || f.Default == "" || f.Default == defaultUser {
			continue
		}
		if f.Default == defaultNow {
			values[f.Name] = formatTime(s.now())
		} else {
			values[f.Name] = f.Default
		}
	}
	// The sys_id comes from the number when the record has one, else from
	// its position; an existing record is left as it is (and takes no
	// number).
	key := "#" + strconv.Itoa(i)
	if t.NumberPrefix != "" && values["number"] != "" {
		key = values["number"]
	}
	if values["sys_id"] == "" {
		values["sys_id"] = seedID(t.Name, key)
	}
	var exists int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(t.Name)+" WHERE sys_id = ?1", values["sys_id"]).Scan(&exists); err != nil {
		return err
	}
	if exists > 0 {
		return nil
	}
	if t.NumberPrefix != "" && values["number"] == "" {
		n, err := s.nextNumber(ctx, q, t)
		if err != nil {
			return err
		}
		values["number"] = n
	}
	return s.insert(ctx, q, t.Name, "system", values)
}

// seedReference resolves a seed's reference value: a sys_user by user_name
// or email, any table by display value.
func (s *Server) seedReference(ctx context.Context, q queryer, t *table, v string) (string, error) {
	if t.Name == "sys_user" {
		for _, col := range []string{"user_name", "email"} {
			var id string
			err := q.QueryRowContext(ctx, "SELECT sys_id FROM sys_user WHERE "+quoteIdent(col)+" = ?1 LIMIT 1", v).Scan(&id)
			if err == nil {
				return id, nil
			}
		}
	}
	id, ok, err := s.lookupDisplay(ctx, q, t, v)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("no %s record named %q", t.Name, v)
	}
	return id, nil
}

func seedString(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("value must be a string, number or boolean, not %T", v)
}
