package servicenow

import (
	"fmt"
	"regexp"
)

// fieldType is the dictionary type of a field; it decides how values are
// stored, compared in queries and rendered.
type fieldType int

// Field types. The names follow ServiceNow's internal types.
const (
	typeString        fieldType = iota + 1 // string
	typeInteger                            // integer
	typeBoolean                            // boolean
	typeChoice                             // string with a choice list
	typeIntegerChoice                      // integer with a choice list (state, priority, impact, urgency)
	typeReference                          // sys_id of a record in Field.Reference
	typeDateTime                           // glide_date_time, UTC "YYYY-MM-DD HH:MM:SS"
	typeSysID                              // GUID, 32 lowercase hex
	typePassword                           // password2: stored hashed, never rendered, queried or written through the API
)

func (t fieldType) String() string {
	switch t {
	case typeString:
		return "string"
	case typeInteger:
		return "integer"
	case typeBoolean:
		return "boolean"
	case typeChoice:
		return "choice"
	case typeIntegerChoice:
		return "integer_choice"
	case typeReference:
		return "reference"
	case typeDateTime:
		return "glide_date_time"
	case typeSysID:
		return "GUID"
	case typePassword:
		return "password2"
	}
	return fmt.Sprintf("fieldType(%d)", int(t))
}

// numeric reports whether values of the type are stored as SQLite integers.
func (t fieldType) numeric() bool {
	return t == typeInteger || t == typeIntegerChoice || t == typeBoolean
}

// choice is one entry of a choice list.
type choice struct {
	Value string
	Label string
}

// field is one column of a table.
type field struct {
	Name      string
	Label     string
	Type      fieldType
	Reference string   // target table, for typeReference
	Choices   []choice // for typeChoice and typeIntegerChoice
	ReadOnly  bool     // system-maintained (sys_*); ignored in PATCH bodies
}

// hidden fields never leave the instance through the Table API.
func (f *field) hidden() bool { return f.Type == typePassword }

// choiceLabel returns the label of value, or value itself when it is not in
// the list (ServiceNow shows unknown choice values as they are).
func (f *field) choiceLabel(value string) string {
	for _, c := range f.Choices {
		if c.Value == value {
			return c.Label
		}
	}
	return value
}

// table is one table of the dictionary.
type table struct {
	Name    string
	Display string // the field whose value is the record's display value
	Fields  []*field

	byName map[string]*field
}

// field returns the named field, or nil.
func (t *table) field(name string) *field { return t.byName[name] }

// dictionary holds every table of the instance.
type dictionary struct {
	tables map[string]*table
	order  []string
}

// table returns the named table, or nil.
func (d *dictionary) table(name string) *table { return d.tables[name] }

// list returns the tables in definition order.
func (d *dictionary) list() []*table {
	out := make([]*table, 0, len(d.order))
	for _, n := range d.order {
		out = append(out, d.tables[n])
	}
	return out
}

var identRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// systemFields are added to every table, as ServiceNow does.
func systemFields() []*field {
	return []*field{
		{Name: "sys_id", Label: "Sys ID", Type: typeSysID, ReadOnly: true},
		{Name: "sys_created_on", Label: "Created", Type: typeDateTime, ReadOnly: true},
		{Name: "sys_created_by", Label: "Created by", Type: typeString, ReadOnly: true},
		{Name: "sys_updated_on", Label: "Updated", Type: typeDateTime, ReadOnly: true},
		{Name: "sys_updated_by", Label: "Updated by", Type: typeString, ReadOnly: true},
		{Name: "sys_mod_count", Label: "Updates", Type: typeInteger, ReadOnly: true},
	}
}

// newDictionary builds a dictionary from table definitions, adds the system
// fields and checks every name and reference, so that only validated
// identifiers ever appear in SQL text.
func newDictionary(tables ...*table) (*dictionary, error) {
	d := &dictionary{tables: map[string]*table{}}
	for _, t := range tables {
		if !identRE.MatchString(t.Name) {
			return nil, fmt.Errorf("servicenow: dictionary: bad table name %q", t.Name)
		}
		if _, dup := d.tables[t.Name]; dup {
			return nil, fmt.Errorf("servicenow: dictionary: table %q defined twice", t.Name)
		}
		t.Fields = append(systemFields(), t.Fields...)
		t.byName = map[string]*field{}
		for _, f := range t.Fields {
			if !identRE.MatchString(f.Name) {
				return nil, fmt.Errorf("servicenow: dictionary: %s: bad field name %q", t.Name, f.Name)
			}
			if _, dup := t.byName[f.Name]; dup {
				return nil, fmt.Errorf("servicenow: dictionary: %s.%s defined twice", t.Name, f.Name)
			}
			t.byName[f.Name] = f
		}
		if t.Display == "" {
			t.Display = "sys_id"
		}
		if t.byName[t.Display] == nil {
			return nil, fmt.Errorf("servicenow: dictionary: %s: display field %q missing", t.Name, t.Display)
		}
		d.tables[t.Name] = t
		d.order = append(d.order, t.Name)
	}
	for _, t := range d.tables {
		for _, f := range t.Fields {
			if f.Type == typeReference && d.tables[f.Reference] == nil {
				return nil, fmt.Errorf("servicenow: dictionary: %s.%s references unknown table %q", t.Name, f.Name, f.Reference)
			}
			if (f.Type == typeChoice || f.Type == typeIntegerChoice) && len(f.Choices) == 0 {
				return nil, fmt.Errorf("servicenow: dictionary: %s.%s has no choices", t.Name, f.Name)
			}
		}
	}
	return d, nil
}

// Choice lists shared by incident fields.
var (
	priorityChoices = []choice{
		{"1", "1 - Critical"}, {"2", "2 - High"}, {"3", "3 - Moderate"}, {"4", "4 - Low"}, {"5", "5 - Planning"},
	}
	impactChoices = []choice{{"1", "1 - High"}, {"2", "2 - Medium"}, {"3", "3 - Low"}}
	stateChoices  = []choice{
		{"1", "New"}, {"2", "In Progress"}, {"3", "On Hold"}, {"6", "Resolved"}, {"7", "Closed"},
		{"8", "Canceled"}, {"9", "Assigned"},
	}
	categoryChoices = []choice{
		{"inquiry", "Inquiry / Help"}, {"software", "Software"}, {"hardware", "Hardware"},
		{"network", "Network"}, {"database", "Database"}, {"hr", "HR"}, {"security", "Security"},
	}
	closeCodeChoices = []choice{
		{"Solved (Work Around)", "Solved (Work Around)"}, {"Solved (Permanently)", "Solved (Permanently)"},
		{"Solved Remotely (Work Around)", "Solved Remotely (Work Around)"},
		{"Solved Remotely (Permanently)", "Solved Remotely (Permanently)"},
		{"Not Solved (Not Reproducible)", "Not Solved (Not Reproducible)"},
		{"Not Solved (Too Costly)", "Not Solved (Too Costly)"},
		{"Closed/Resolved by Caller", "Closed/Resolved by Caller"},
	}
)

// defaultDictionary is the dictionary of the emulated instance. New tables
// (problem, change_request, sys_user_group, sys_journal_field, ...) are added
// here; the schema follows on the next start (schema.go adds missing columns).
func defaultDictionary() (*dictionary, error) {
	return newDictionary(
		&table{Name: "sys_user", Display: "name", Fields: []*field{
			{Name: "user_name", Label: "User ID", Type: typeString},
			{Name: "first_name", Label: "First name", Type: typeString},
			{Name: "last_name", Label: "Last name", Type: typeString},
			{Name: "name", Label: "Name", Type: typeString},
			{Name: "email", Label: "Email", Type: typeString},
			{Name: "title", Label: "Title", Type: typeString},
			{Name: "department", Label: "Department", Type: typeString},
			{Name: "active", Label: "Active", Type: typeBoolean},
			{Name: "locked_out", Label: "Locked out", Type: typeBoolean},
			{Name: "user_password", Label: "Password", Type: typePassword},
		}},
		&table{Name: "sys_user_role", Display: "name", Fields: []*field{
			{Name: "name", Label: "Name", Type: typeString},
			{Name: "description", Label: "Description", Type: typeString},
		}},
		&table{Name: "sys_user_has_role", Display: "role", Fields: []*field{
			{Name: "user", Label: "User", Type: typeReference, Reference: "sys_user"},
			{Name: "role", Label: "Role", Type: typeReference, Reference: "sys_user_role"},
		}},
		&table{Name: "incident", Display: "number", Fields: []*field{
			{Name: "number", Label: "Number", Type: typeString},
			{Name: "short_description", Label: "Short description", Type: typeString},
			{Name: "description", Label: "Description", Type: typeString},
			{Name: "priority", Label: "Priority", Type: typeIntegerChoice, Choices: priorityChoices},
			{Name: "impact", Label: "Impact", Type: typeIntegerChoice, Choices: impactChoices},
			{Name: "urgency", Label: "Urgency", Type: typeIntegerChoice, Choices: impactChoices},
			{Name: "state", Label: "State", Type: typeIntegerChoice, Choices: stateChoices},
			{Name: "category", Label: "Category", Type: typeChoice, Choices: categoryChoices},
			{Name: "assigned_to", Label: "Assigned to", Type: typeReference, Reference: "sys_user"},
			{Name: "caller_id", Label: "Caller", Type: typeReference, Reference: "sys_user"},
			{Name: "opened_by", Label: "Opened by", Type: typeReference, Reference: "sys_user"},
			{Name: "opened_at", Label: "Opened", Type: typeDateTime},
			{Name: "active", Label: "Active", Type: typeBoolean},
			{Name: "close_code", Label: "Resolution code", Type: typeChoice, Choices: closeCodeChoices},
			{Name: "close_notes", Label: "Resolution notes", Type: typeString},
		}},
		&table{Name: "sys_audit", Display: "documentkey", Fields: []*field{
			{Name: "tablename", Label: "Table name", Type: typeString},
			{Name: "fieldname", Label: "Field name", Type: typeString},
			{Name: "documentkey", Label: "Document key", Type: typeString},
			{Name: "oldvalue", Label: "Old value", Type: typeString},
			{Name: "newvalue", Label: "New value", Type: typeString},
			{Name: "user", Label: "User", Type: typeString},
			{Name: "reason", Label: "Reason", Type: typeString},
		}},
		&table{Name: "syslog_transaction", Display: "url", Fields: []*field{
			{Name: "url", Label: "URL", Type: typeString},
			{Name: "type", Label: "Type", Type: typeString},
			{Name: "http_method", Label: "HTTP method", Type: typeString},
			{Name: "http_status", Label: "HTTP status", Type: typeInteger},
			{Name: "response_time", Label: "Response time", Type: typeInteger},
			{Name: "remote_ip", Label: "Remote IP", Type: typeString},
			{Name: "auth_method", Label: "Authentication", Type: typeString},
		}},
	)
}
