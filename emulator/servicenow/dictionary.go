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
	typeJournal                            // journal_input: no column; entries live in sys_journal_field
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
	case typeJournal:
		return "journal_input"
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

// Dictionary default values that are scripts on a real instance; they are
// evaluated when a record is inserted.
const (
	defaultNow  = "javascript:gs.nowDateTime()"
	defaultUser = "javascript:gs.getUserID()"
)

// field is one column of a table.
type field struct {
	Name      string
	Label     string
	Type      fieldType
	Reference string   // target table, for typeReference
	Choices   []choice // for typeChoice and typeIntegerChoice
	ReadOnly  bool     // system-maintained (sys_*); ignored in write bodies
	// Default is the value an insert gets when the body does not set the
	// field: a literal, defaultNow or defaultUser.
	Default string
}

// hidden fields never leave the instance through the Table API.
func (f *field) hidden() bool { return f.Type == typePassword }

// stored reports whether the field is a column of its table (journal fields
// are not: their entries are rows of sys_journal_field).
func (f *field) stored() bool { return f.Type != typeJournal }

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

// choiceValue returns the value whose label is label (input display values).
func (f *field) choiceValue(label string) (string, bool) {
	for _, c := range f.Choices {
		if c.Label == label {
			return c.Value, true
		}
	}
	return "", false
}

// table is one table of the dictionary.
type table struct {
	Name    string
	Display string // the field whose value is the record's display value
	// NumberPrefix makes "number" auto-numbered (INC0010001, ...).
	NumberPrefix string
	Fields       []*field
	// Indexes are extra composite indexes (column lists). Every reference
	// field and "number" get a single-column index automatically.
	Indexes [][]string

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
		if df := t.byName[t.Display]; df == nil || !df.stored() {
			return nil, fmt.Errorf("servicenow: dictionary: %s: display field %q missing", t.Name, t.Display)
		}
		if t.NumberPrefix != "" {
			if f := t.byName["number"]; f == nil || f.Type != typeString || !regexp.MustCompile(`^[A-Z]+$`).MatchString(t.NumberPrefix) {
				return nil, fmt.Errorf("servicenow: dictionary: %s: number prefix needs an uppercase prefix and a string field \"number\"", t.Name)
			}
		}
		for _, ix := range t.Indexes {
			for _, c := range ix {
				if f := t.byName[c]; f == nil || !f.stored() {
					return nil, fmt.Errorf("servicenow: dictionary: %s: index on unknown column %q", t.Name, c)
				}
			}
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
	if d.tables["sys_journal_field"] == nil {
		for _, t := range d.tables {
			for _, f := range t.Fields {
				if f.Type == typeJournal {
					return nil, fmt.Errorf("servicenow: dictionary: %s.%s is a journal field but sys_journal_field is missing", t.Name, f.Name)
				}
			}
		}
	}
	return d, nil
}
