package servicenow

import (
	"strings"
)

// choice is one entry of a ServiceNow choice list.
type choice struct{ value, label string }

// Incident choice lists (the dev instance's, which are ServiceNow's
// defaults plus state 9 "Assigned").
var (
	stateChoices = []choice{
		{"1", "New"}, {"2", "In Progress"}, {"3", "On Hold"}, {"6", "Resolved"},
		{"7", "Closed"}, {"8", "Canceled"}, {"9", "Assigned"},
	}
	priorityChoices = []choice{
		{"1", "Critical"}, {"2", "High"}, {"3", "Moderate"}, {"4", "Low"}, {"5", "Planning"},
	}
	categoryChoices = []choice{
		{"inquiry", "Inquiry / Help"}, {"software", "Software"}, {"hardware", "Hardware"},
		{"network", "Network"}, {"database", "Database"}, {"hr", "HR"}, {"security", "Security"},
	}
	// impactChoices are also urgency's.
	impactChoices    = []choice{{"1", "High"}, {"2", "Medium"}, {"3", "Low"}}
	closeCodeChoices = []choice{
		{"Solved (Work Around)", ""}, {"Solved (Permanently)", ""},
		{"Solved Remotely (Work Around)", ""}, {"Solved Remotely (Permanently)", ""},
		{"Not Solved (Not Reproducible)", ""}, {"Not Solved (Too Costly)", ""},
		{"Closed/Resolved by Caller", ""},
	}
	stateAliases = map[string]string{"cancelled": "8", "in-progress": "2", "in_progress": "2", "on_hold": "3"}
)

// stateValue maps a state label ("In Progress"), alias or value ("2") to
// its value.
func stateValue(s string) (string, bool) {
	k := normChoice(s)
	if v, ok := stateAliases[strings.ToLower(strings.TrimSpace(s))]; ok {
		return v, true
	}
	return lookupChoice(stateChoices, k)
}

// priorityValue maps 1..5, "2", "High", "2 - High" or "P2" to "1".."5".
func priorityValue(s string) (string, bool) {
	k := normChoice(s)
	if len(k) == 2 && k[0] == 'p' {
		k = k[1:]
	}
	if num, label, ok := strings.Cut(k, " - "); ok {
		v, ok := lookupChoice(priorityChoices, num)
		if ok && (label == "" || strings.EqualFold(label, labelOf(priorityChoices, v))) {
			return v, true
		}
		return "", false
	}
	return lookupChoice(priorityChoices, k)
}

// categoryValue maps a category label ("Network") or value ("network") to
// its value; unknown categories pass through lowercased (instances add
// their own).
func categoryValue(s string) string {
	k := normChoice(s)
	if v, ok := lookupChoice(categoryChoices, k); ok {
		return v
	}
	return k
}

// closeCodeValue returns the close code matching s case-insensitively;
// ServiceNow's list is fixed, so anything else is refused.
func closeCodeValue(s string) (string, bool) {
	k := normChoice(s)
	for _, c := range closeCodeChoices {
		if k == strings.ToLower(c.value) {
			return c.value, true
		}
	}
	return "", false
}

func closeCodes() []string {
	out := make([]string, len(closeCodeChoices))
	for i, c := range closeCodeChoices {
		out[i] = c.value
	}
	return out
}

// impactValue maps 1..3, "High", "1 - High" to "1".."3" (impact and
// urgency share the list).
func impactValue(s string) (string, bool) {
	k := normChoice(s)
	if num, label, ok := strings.Cut(k, " - "); ok {
		v, ok := lookupChoice(impactChoices, num)
		if ok && strings.EqualFold(label, labelOf(impactChoices, v)) {
			return v, true
		}
		return "", false
	}
	return lookupChoice(impactChoices, k)
}

// knownCategory maps a category label or value to its value, refusing
// categories the instance does not list (writes must use real choices).
func knownCategory(s string) (string, bool) {
	return lookupChoice(categoryChoices, normChoice(s))
}

func lookupChoice(list []choice, k string) (string, bool) {
	for _, c := range list {
		if k == c.value || k == strings.ToLower(c.label) {
			return c.value, true
		}
	}
	return "", false
}

func labelOf(list []choice, value string) string {
	for _, c := range list {
		if c.value == value {
			return c.label
		}
	}
	return ""
}

func labels(list []choice) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.label
	}
	return out
}

// normChoice lowercases s and collapses its spaces.
func normChoice(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
