package offline

import (
	"regexp"
	"strconv"
	"strings"
)

// call is one planned tool call.
type call struct {
	Tool  string
	Input map[string]any
}

var (
	numberRe   = regexp.MustCompile(`(?i)\bINC\d{7}\b`)
	countRe    = regexp.MustCompile(`\b(\d{1,3})\s+(?:\w+\s+){0,2}(?:incidents?|tickets?)\b`)
	priorityRe = regexp.MustCompile(`(?i)\b(?:priority\s*(?:to\s*)?|p)([1-5])\b`)
	wordsRe    = regexp.MustCompile(`[a-z]+`)
)

// stateWords maps what people type to incident state labels.
var stateWords = []struct{ phrase, label string }{
	{"in progress", "In Progress"},
	{"on hold", "On Hold"},
	{"resolved", "Resolved"},
	{"resolve", "Resolved"},
	{"closed", "Closed"},
	{"close", "Closed"},
	{"canceled", "Canceled"},
	{"cancelled", "Canceled"},
	{"assigned", "Assigned"},
	{"new", "New"},
}

// plan turns a user's request into tool calls, or returns a clarifying
// reply when it cannot.
func plan(prompt string) ([]call, string) {
	text := strings.ToLower(strings.TrimSpace(prompt))
	numbers := numberRe.FindAllString(prompt, -1)
	switch {
	case len(numbers) > 0 && isUpdate(text):
		return planUpdate(strings.ToUpper(numbers[0]), text)
	case len(numbers) > 0:
		var calls []call
		for _, n := range numbers {
			calls = append(calls, call{Tool: "get_incident", Input: map[string]any{"number": strings.ToUpper(n)}})
		}
		return calls, ""
	case mentions(text, "incident", "incidents", "ticket", "tickets"):
		return []call{{Tool: "query_incidents", Input: queryInput(text)}}, ""
	}
	return nil, help
}

const help = "I'm the offline planner (no language model is configured), so I understand a few kinds of request about ServiceNow incidents:\n" +
	"- \"Show me 5 incidents assigned to me\" or \"Show me my open incidents\"\n" +
	"- \"Show me INC0012345\"\n" +
	"- \"Set INC0012345 to resolved\" or \"Set INC0012345 to priority 2\"\n" +
	"Which of these would you like?"

func isUpdate(text string) bool {
	return mentions(text, "set", "change", "update", "mark", "move", "resolve", "close", "make")
}

func planUpdate(number, text string) ([]call, string) {
	in := map[string]any{"number": number}
	if m := priorityRe.FindStringSubmatch(text); m != nil {
		p, _ := strconv.Atoi(m[1])
		in["priority"] = p
	}
	rest := priorityRe.ReplaceAllString(text, " ")
	if label := stateLabel(rest); label != "" {
		in["state"] = label
	}
	if len(in) == 1 {
		return nil, "What should I change on " + number + "? For example \"set " + number + " to resolved\" or \"set " + number + " to priority 2\"."
	}
	return []call{{Tool: "update_incident", Input: in}}, ""
}

func queryInput(text string) map[string]any {
	in := map[string]any{}
	if mentions(text, "me", "my", "mine", "i") {
		if mentions(text, "opened", "raised", "reported", "created", "logged") && !mentions(text, "assigned") {
			in["caller_is_me"] = true
		} else {
			in["assigned_to_me"] = true
		}
	}
	if mentions(text, "open", "active", "outstanding", "unresolved") {
		in["active"] = true
	}
	if m := countRe.FindStringSubmatch(text); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			in["limit"] = min(n, 100)
		}
	}
	if m := priorityRe.FindStringSubmatch(text); m != nil {
		p, _ := strconv.Atoi(m[1])
		in["priority"] = p
	}
	if label := stateLabel(strings.ReplaceAll(text, "assigned to", "")); label != "" {
		in["state"] = label
	}
	return in
}

// stateLabel finds a state phrase in text, longest phrases first.
func stateLabel(text string) string {
	for _, s := range stateWords {
		if strings.Contains(s.phrase, " ") {
			if strings.Contains(text, s.phrase) {
				return s.label
			}
			continue
		}
		if mentions(text, s.phrase) {
			return s.label
		}
	}
	return ""
}

// mentions reports whether text holds any of the words as whole words.
func mentions(text string, words ...string) bool {
	for _, w := range wordsRe.FindAllString(text, -1) {
		for _, want := range words {
			if w == want {
				return true
			}
		}
	}
	return false
}
