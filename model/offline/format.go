package offline

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/onbehalf/onbehalf/model"
)

// incident is the compact incident shape the servicenow tools return.
type incident struct {
	SysID            string `json:"sys_id"`
	Number           string `json:"number"`
	ShortDescription string `json:"short_description"`
	Description      string `json:"description"`
	Priority         string `json:"priority"`
	State            string `json:"state"`
	Category         string `json:"category"`
	AssignedTo       string `json:"assigned_to"`
	Caller           string `json:"caller"`
	OpenedAt         string `json:"opened_at"`
	CloseCode        string `json:"close_code"`
	CloseNotes       string `json:"close_notes"`
}

type queryResult struct {
	Incidents []incident `json:"incidents"`
	Returned  int        `json:"returned"`
	Total     int        `json:"total"`
}

type oneResult struct {
	Incident incident `json:"incident"`
	Updated  []string `json:"updated"`
}

// answer formats the results of the planned tool calls.
func answer(msgs []model.Message, results []model.Block) string {
	counting := isCount(strings.ToLower(lastUserText(msgs)))
	var parts []string
	for _, r := range results {
		if r.IsError {
			parts = append(parts, r.Text)
			continue
		}
		if q, ok := confirmationQuestion(r.Text); ok {
			parts = append(parts, q)
			continue
		}
		switch toolNameOf(msgs, r.ToolUseID) {
		case "query_incidents":
			if counting {
				parts = append(parts, formatCount(r.Text))
			} else {
				parts = append(parts, formatQuery(r.Text))
			}
		case "create_incident":
			parts = append(parts, formatCreate(r.Text))
		case "add_comment", "add_work_note":
			parts = append(parts, formatJournal(r.Text))
		case "resolve_incident":
			parts = append(parts, formatUpdate(r.Text))
		case "get_incident":
			parts = append(parts, formatOne(r.Text))
		case "update_incident":
			parts = append(parts, formatUpdate(r.Text))
		default:
			parts = append(parts, r.Text)
		}
	}
	return strings.Join(parts, "\n\n") + signature
}

func formatQuery(raw string) string {
	var res queryResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		return "ServiceNow answered in a form I could not read."
	}
	if len(res.Incidents) == 0 {
		return "No incidents match, among those you are allowed to see."
	}
	var b strings.Builder
	noun := "incidents"
	if len(res.Incidents) == 1 {
		noun = "incident"
	}
	fmt.Fprintf(&b, "Here are %d %s:\n\n", len(res.Incidents), noun)
	b.WriteString("| Incident | Description | Priority | State |\n|---|---|---|---|\n")
	for _, in := range res.Incidents {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", cell(in.Number), cell(in.ShortDescription), priorityShort(in.Priority), cell(in.State))
	}
	if res.Total > len(res.Incidents) {
		fmt.Fprintf(&b, "\n%d more match; ask for more to see them.", res.Total-len(res.Incidents))
	}
	return strings.TrimRight(b.String(), "\n")
}

func formatOne(raw string) string {
	var res oneResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil || res.Incident.Number == "" {
		return "ServiceNow answered in a form I could not read."
	}
	in := res.Incident
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** — %s\n\n", in.Number, in.ShortDescription)
	rows := [][2]string{
		{"Priority", priorityShort(in.Priority)}, {"State", in.State}, {"Category", in.Category},
		{"Assigned to", in.AssignedTo}, {"Caller", in.Caller}, {"Opened", in.OpenedAt},
		{"Close code", in.CloseCode}, {"Close notes", in.CloseNotes},
	}
	b.WriteString("| Field | Value |\n|---|---|\n")
	for _, r := range rows {
		if r[1] != "" {
			fmt.Fprintf(&b, "| %s | %s |\n", r[0], cell(r[1]))
		}
	}
	if in.Description != "" {
		fmt.Fprintf(&b, "\n%s", in.Description)
	}
	return strings.TrimRight(b.String(), "\n")
}

func formatUpdate(raw string) string {
	var res oneResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil || res.Incident.Number == "" {
		return "ServiceNow answered in a form I could not read."
	}
	in := res.Incident
	return fmt.Sprintf("Updated %s (%s): now %s, %s.", in.Number, strings.Join(res.Updated, ", "), cell(in.State), priorityShort(in.Priority))
}

// priorityShort turns "2 - High" (or "2") into "P2".
func priorityShort(p string) string {
	p = strings.TrimSpace(p)
	if p == "" {
		return ""
	}
	if c := p[0]; c >= '1' && c <= '5' {
		return "P" + string(c)
	}
	return p
}

// cell keeps a value from breaking a Markdown table row.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", "\\|")
}

// confirmationQuestion words a held write as a question to the user.
func confirmationQuestion(raw string) (string, bool) {
	var held struct {
		ConfirmationRequired bool   `json:"confirmation_required"`
		Summary              string `json:"summary"`
	}
	if json.Unmarshal([]byte(raw), &held) != nil || !held.ConfirmationRequired {
		return "", false
	}
	return fmt.Sprintf("I need your confirmation before I change anything in ServiceNow:\n\n    %s\n\nReply \"yes\" to go ahead, or anything else to cancel.", held.Summary), true
}

// lastUserText is the user's latest typed message.
func lastUserText(msgs []model.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == model.RoleUser {
			if t := msgs[i].Text(); t != "" {
				return t
			}
		}
	}
	return ""
}

func formatCount(raw string) string {
	var res queryResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		return "ServiceNow answered in a form I could not read."
	}
	n := res.Total
	if n < len(res.Incidents) {
		n = len(res.Incidents)
	}
	switch n {
	case 0:
		return "None: no incidents match, among those you are allowed to see."
	case 1:
		return "1 incident matches, among those you are allowed to see: " + res.Incidents[0].Number + "."
	}
	return fmt.Sprintf("%d incidents match, among those you are allowed to see.", n)
}

func formatCreate(raw string) string {
	var res oneResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil || res.Incident.Number == "" {
		return "ServiceNow answered in a form I could not read."
	}
	in := res.Incident
	return fmt.Sprintf("Opened %s: %s (%s, %s).", in.Number, cell(in.ShortDescription), priorityShort(in.Priority), cell(in.State))
}

func formatJournal(raw string) string {
	var res struct {
		Incident incident `json:"incident"`
		Added    string   `json:"added"`
	}
	if err := json.Unmarshal([]byte(raw), &res); err != nil || res.Incident.Number == "" {
		return "ServiceNow answered in a form I could not read."
	}
	what := "a comment"
	if res.Added == "work_note" {
		what = "a work note"
	}
	return fmt.Sprintf("Added %s to %s.", what, res.Incident.Number)
}
