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
	priorityRe = regexp.MustCompile(`(?i)\b(?:priority\s*(?:to\s*|of\s*)?|p)([1-5])s?\b`)
	createRe   = regexp.MustCompile(`(?i)\b(create|open|raise|log|file|report)\b.*\b(incident|ticket)\b`)
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
	case len(numbers) > 0 && mentions(text, "note", "notes") && strings.Contains(text, "work note"):
		return planJournal("add_work_note", "work note", strings.ToUpper(numbers[0]), prompt)
	case len(numbers) > 0 && mentions(text, "comment", "comments"):
		return planJournal("add_comment", "comment", strings.ToUpper(numbers[0]), prompt)
	case len(numbers) > 0 && mentions(text, "resolve") && !mentions(text, "resolved"):
		return planResolve(strings.ToUpper(numbers[0]), prompt)
	case len(numbers) > 0 && isUpdate(text):
		return planUpdate(strings.ToUpper(numbers[0]), text)
	case len(numbers) > 0:
		var calls []call
		for _, n := range numbers {
			calls = append(calls, call{Tool: "get_incident", Input: map[string]any{"number": strings.ToUpper(n)}})
		}
		return calls, ""
	case createRe.MatchString(text) && !mentions(text, "show", "list", "how", "which", "what", "my", "count"):
		return planCreate(prompt)
	case mentions(text, "incident", "incidents", "ticket", "tickets") || priorityRe.MatchString(text):
		return []call{{Tool: "query_incidents", Input: queryInput(text)}}, ""
	}
	return nil, help
}

const help = "I'm the offline planner (no language model is configured), so I understand a few kinds of request about ServiceNow incidents:\n" +
	"- \"Show me 5 incidents assigned to me\", \"Show me my open P1s\", \"How many network incidents do I have?\"\n" +
	"- \"Show me INC0012345\"\n" +
	"- \"Set INC0012345 to in progress\" or \"Set INC0012345 to priority 2\"\n" +
	"- \"Add a comment to INC0012345: waiting for the new laptop\" (or a work note)\n" +
	"- \"Resolve INC0012345 with notes: replaced the VPN profile\"\n" +
	"- \"Open an incident: printer on the 3rd floor is jammed\"\n" +
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

// categoryWords maps words people use to incident categories.
var categoryWords = []struct{ word, label string }{
	{"network", "Network"}, {"vpn", "Network"}, {"hardware", "Hardware"}, {"software", "Software"},
	{"database", "Database"}, {"inquiry", "Inquiry / Help"}, {"hr", "HR"}, {"security", "Security"},
}

// textAfter returns what follows the first marker in prompt (":" or a
// phrase such as "saying"), trimmed; "" when there is none.
func textAfter(prompt string, markers ...string) string {
	lower := strings.ToLower(prompt)
	best := -1
	bestLen := 0
	for _, m := range markers {
		if i := strings.Index(lower, m); i >= 0 && (best < 0 || i < best) {
			best, bestLen = i, len(m)
		}
	}
	if best < 0 {
		return ""
	}
	return strings.Trim(strings.TrimLeft(strings.TrimSpace(prompt[best+bestLen:]), ": "), `"'`)
}

func planJournal(tool, what, number, prompt string) ([]call, string) {
	text := textAfter(prompt, ":", " saying ", " that says ", " with text ")
	if text == "" {
		return nil, "What should the " + what + " on " + number + " say? For example \"add a " + what + " to " + number + ": waiting for the new laptop\"."
	}
	return []call{{Tool: tool, Input: map[string]any{"number": number, "text": text}}}, ""
}

func planResolve(number, prompt string) ([]call, string) {
	notes := textAfter(prompt, ":", " with notes ", " with note ", " notes ", " saying ", " because ")
	if notes == "" {
		return nil, "What was done to resolve " + number + "? For example \"resolve " + number + " with notes: replaced the VPN profile\"."
	}
	lower := strings.ToLower(prompt)
	code := "Solved (Permanently)"
	switch {
	case strings.Contains(lower, "not reproducible"):
		code = "Not Solved (Not Reproducible)"
	case strings.Contains(lower, "by caller") || strings.Contains(lower, "by the caller"):
		code = "Closed/Resolved by Caller"
	case strings.Contains(lower, "remote") && (strings.Contains(lower, "workaround") || strings.Contains(lower, "work around")):
		code = "Solved Remotely (Work Around)"
	case strings.Contains(lower, "remote"):
		code = "Solved Remotely (Permanently)"
	case strings.Contains(lower, "workaround") || strings.Contains(lower, "work around"):
		code = "Solved (Work Around)"
	}
	return []call{{Tool: "resolve_incident", Input: map[string]any{"number": number, "close_code": code, "close_notes": notes}}}, ""
}

func planCreate(prompt string) ([]call, string) {
	summary := textAfter(prompt, ":", " about ", " for ", " saying ", " that ")
	if summary == "" {
		return nil, "What is the problem? For example \"open an incident: printer on the 3rd floor is jammed\"."
	}
	return []call{{Tool: "create_incident", Input: map[string]any{"short_description": summary}}}, ""
}

// isCount reports whether the user asks how many, not which.
func isCount(text string) bool {
	return strings.Contains(text, "how many") || mentions(text, "count", "number")
}

func queryInput(text string) map[string]any {
	in := map[string]any{}
	if isCount(text) {
		in["limit"] = 100
	}
	for _, c := range categoryWords {
		if mentions(text, c.word) {
			in["category"] = c.label
			break
		}
	}
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
