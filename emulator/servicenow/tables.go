package servicenow

// Choice lists of the task tables.
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
	problemStateChoices = []choice{
		{"101", "New"}, {"102", "Assess"}, {"103", "Root Cause Analysis"}, {"104", "Fix in Progress"},
		{"106", "Resolved"}, {"107", "Closed"},
	}
	changeStateChoices = []choice{
		{"-5", "New"}, {"-4", "Assess"}, {"-3", "Authorize"}, {"-2", "Scheduled"}, {"-1", "Implement"},
		{"0", "Review"}, {"3", "Closed"}, {"4", "Canceled"},
	}
	changeTypeChoices = []choice{{"standard", "Standard"}, {"normal", "Normal"}, {"emergency", "Emergency"}}
	riskChoices       = []choice{{"1", "Very High"}, {"2", "High"}, {"3", "Moderate"}, {"4", "Low"}}
)

// journalFields are the two journals of every task table.
func journalFields() []*field {
	return []*field{
		{Name: "comments", Label: "Additional comments", Type: typeJournal},
		{Name: "work_notes", Label: "Work notes", Type: typeJournal},
	}
}

// taskFields are the fields incident, problem and change_request share
// (they extend task on a real instance).
func taskFields(states []choice, initialState string) []*field {
	return append([]*field{
		{Name: "number", Label: "Number", Type: typeString},
		{Name: "short_description", Label: "Short description", Type: typeString},
		{Name: "description", Label: "Description", Type: typeString},
		{Name: "priority", Label: "Priority", Type: typeIntegerChoice, Choices: priorityChoices, Default: "5"},
		{Name: "impact", Label: "Impact", Type: typeIntegerChoice, Choices: impactChoices, Default: "3"},
		{Name: "urgency", Label: "Urgency", Type: typeIntegerChoice, Choices: impactChoices, Default: "3"},
		{Name: "state", Label: "State", Type: typeIntegerChoice, Choices: states, Default: initialState},
		{Name: "assignment_group", Label: "Assignment group", Type: typeReference, Reference: "sys_user_group"},
		{Name: "assigned_to", Label: "Assigned to", Type: typeReference, Reference: "sys_user"},
		{Name: "opened_by", Label: "Opened by", Type: typeReference, Reference: "sys_user", Default: defaultUser},
		{Name: "opened_at", Label: "Opened", Type: typeDateTime, Default: defaultNow},
		{Name: "active", Label: "Active", Type: typeBoolean, Default: "true"},
	}, journalFields()...)
}

// defaultDictionary is the dictionary of the emulated instance. New tables
// and fields are added here; the schema follows on the next start (schema.go
// adds missing columns and indexes).
func defaultDictionary() (*dictionary, error) {
	incident := append(taskFields(stateChoices, "1"),
		&field{Name: "caller_id", Label: "Caller", Type: typeReference, Reference: "sys_user"},
		&field{Name: "category", Label: "Category", Type: typeChoice, Choices: categoryChoices, Default: "inquiry"},
		&field{Name: "subcategory", Label: "Subcategory", Type: typeString},
		&field{Name: "close_code", Label: "Resolution code", Type: typeChoice, Choices: closeCodeChoices},
		&field{Name: "close_notes", Label: "Resolution notes", Type: typeString},
	)
	problem := append(taskFields(problemStateChoices, "101"),
		&field{Name: "category", Label: "Category", Type: typeChoice, Choices: categoryChoices},
		&field{Name: "known_error", Label: "Known error", Type: typeBoolean, Default: "false"},
		&field{Name: "cause_notes", Label: "Cause notes", Type: typeString},
		&field{Name: "fix_notes", Label: "Fix notes", Type: typeString},
	)
	change := append(taskFields(changeStateChoices, "-5"),
		&field{Name: "type", Label: "Type", Type: typeChoice, Choices: changeTypeChoices, Default: "normal"},
		&field{Name: "risk", Label: "Risk", Type: typeIntegerChoice, Choices: riskChoices, Default: "3"},
		&field{Name: "category", Label: "Category", Type: typeChoice, Choices: categoryChoices},
		&field{Name: "requested_by", Label: "Requested by", Type: typeReference, Reference: "sys_user", Default: defaultUser},
		&field{Name: "start_date", Label: "Planned start date", Type: typeDateTime},
		&field{Name: "end_date", Label: "Planned end date", Type: typeDateTime},
	)
	return newDictionary(
		&table{Name: "sys_user", Display: "name", Indexes: [][]string{{"email"}, {"user_name"}}, Fields: []*field{
			{Name: "user_name", Label: "User ID", Type: typeString},
			{Name: "first_name", Label: "First name", Type: typeString},
			{Name: "last_name", Label: "Last name", Type: typeString},
			{Name: "name", Label: "Name", Type: typeString},
			{Name: "email", Label: "Email", Type: typeString},
			{Name: "title", Label: "Title", Type: typeString},
			{Name: "department", Label: "Department", Type: typeString},
			{Name: "active", Label: "Active", Type: typeBoolean, Default: "true"},
			{Name: "locked_out", Label: "Locked out", Type: typeBoolean, Default: "false"},
			{Name: "user_password", Label: "Password", Type: typePassword},
		}},
		&table{Name: "sys_user_group", Display: "name", Indexes: [][]string{{"name"}}, Fields: []*field{
			{Name: "name", Label: "Name", Type: typeString},
			{Name: "description", Label: "Description", Type: typeString},
			{Name: "email", Label: "Group email", Type: typeString},
			{Name: "manager", Label: "Manager", Type: typeReference, Reference: "sys_user"},
			{Name: "active", Label: "Active", Type: typeBoolean, Default: "true"},
		}},
		&table{Name: "sys_user_grmember", Display: "user", Fields: []*field{
			{Name: "user", Label: "User", Type: typeReference, Reference: "sys_user"},
			{Name: "group", Label: "Group", Type: typeReference, Reference: "sys_user_group"},
		}},
		&table{Name: "sys_user_role", Display: "name", Indexes: [][]string{{"name"}}, Fields: []*field{
			{Name: "name", Label: "Name", Type: typeString},
			{Name: "description", Label: "Description", Type: typeString},
		}},
		&table{Name: "sys_user_has_role", Display: "role", Fields: []*field{
			{Name: "user", Label: "User", Type: typeReference, Reference: "sys_user"},
			{Name: "role", Label: "Role", Type: typeReference, Reference: "sys_user_role"},
		}},
		&table{Name: "incident", Display: "number", NumberPrefix: "INC", Fields: incident, Indexes: [][]string{
			{"assigned_to", "active", "opened_at"}, {"caller_id", "active", "opened_at"},
			{"opened_at"}, {"sys_created_on"}, {"state"},
		}},
		&table{Name: "problem", Display: "number", NumberPrefix: "PRB", Fields: problem, Indexes: [][]string{
			{"assigned_to", "active", "opened_at"}, {"opened_at"},
		}},
		&table{Name: "change_request", Display: "number", NumberPrefix: "CHG", Fields: change, Indexes: [][]string{
			{"assigned_to", "active", "opened_at"}, {"opened_at"},
		}},
		&table{Name: "sys_journal_field", Display: "value", Indexes: [][]string{{"element_id", "element"}}, Fields: []*field{
			{Name: "element_id", Label: "Element ID", Type: typeString},
			{Name: "name", Label: "Name", Type: typeString},
			{Name: "element", Label: "Element", Type: typeString},
			{Name: "value", Label: "Value", Type: typeString},
		}},
		&table{Name: "sys_audit", Display: "documentkey", Indexes: [][]string{{"documentkey"}}, Fields: []*field{
			{Name: "tablename", Label: "Table name", Type: typeString},
			{Name: "fieldname", Label: "Field name", Type: typeString},
			{Name: "documentkey", Label: "Document key", Type: typeString},
			{Name: "oldvalue", Label: "Old value", Type: typeString},
			{Name: "newvalue", Label: "New value", Type: typeString},
			{Name: "user", Label: "User", Type: typeString},
			{Name: "reason", Label: "Reason", Type: typeString},
			{Name: "record_checkpoint", Label: "Record checkpoint", Type: typeInteger},
		}},
		&table{Name: "sys_number", Display: "prefix", Fields: []*field{
			{Name: "category", Label: "Table", Type: typeString},
			{Name: "prefix", Label: "Prefix", Type: typeString},
			{Name: "number", Label: "Next number", Type: typeInteger},
			{Name: "maximum_digits", Label: "Number of digits", Type: typeInteger},
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
