package offline

import (
	"context"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/model"
)

var incidentTools = []model.ToolSpec{{Name: "query_incidents"}, {Name: "get_incident"}, {Name: "update_incident"}}

func TestConverseFormatsQueryResultsAsTheArticlesTable(t *testing.T) {
	p := New()
	user := model.Message{Role: model.RoleUser, Content: []model.Block{{Type: model.BlockText, Text: "Show me 5 incidents assigned to me"}}}
	resp, err := p.Converse(context.Background(), model.Request{Messages: []model.Message{user}, Tools: incidentTools}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StopReason != model.StopToolUse || len(resp.Message.Content) != 1 || resp.Message.Content[0].ToolName != "query_incidents" {
		t.Fatalf("first turn = %+v, want one query_incidents call", resp)
	}
	use := resp.Message.Content[0]
	result := model.Message{Role: model.RoleUser, Content: []model.Block{{
		Type: model.BlockToolResult, ToolUseID: use.ToolUseID,
		Text: `{"incidents":[{"sys_id":"a","number":"INC0012345","short_description":"VPN connection dropping","priority":"2 - High","state":"In Progress"},` +
			`{"sys_id":"b","number":"INC0012478","short_description":"Zoom plugin | Teams","priority":"4 - Low","state":"Assigned"}],"returned":2,"total":2}`,
	}}}
	var streamed strings.Builder
	resp, err = p.Converse(context.Background(), model.Request{Messages: []model.Message{user, resp.Message, result}, Tools: incidentTools},
		func(d string) { streamed.WriteString(d) })
	if err != nil {
		t.Fatal(err)
	}
	got := resp.Message.Text()
	for _, want := range []string{
		"| Incident | Description | Priority | State |",
		"| INC0012345 | VPN connection dropping | P2 | In Progress |",
		`| INC0012478 | Zoom plugin \| Teams | P4 | Assigned |`,
		"offline planner",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("answer lacks %q:\n%s", want, got)
		}
	}
	if streamed.String() != got {
		t.Errorf("streamed text %q differs from the answer %q", streamed.String(), got)
	}
}

func TestConverseReportsToolErrorsHonestly(t *testing.T) {
	p := New()
	msgs := []model.Message{
		{Role: model.RoleUser, Content: []model.Block{{Type: model.BlockText, Text: "show me INC0012350"}}},
		{Role: model.RoleAssistant, Content: []model.Block{{Type: model.BlockToolUse, ToolUseID: "t1", ToolName: "get_incident"}}},
		{Role: model.RoleUser, Content: []model.Block{{Type: model.BlockToolResult, ToolUseID: "t1", IsError: true, Text: "No such incident, or you don't have access to it."}}},
	}
	resp, err := p.Converse(context.Background(), model.Request{Messages: msgs, Tools: incidentTools}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Message.Text(); !strings.HasPrefix(got, "No such incident, or you don't have access to it.") {
		t.Errorf("answer = %q, want the tool's error first", got)
	}
}

func TestConverseWithoutTheToolSaysSo(t *testing.T) {
	user := model.Message{Role: model.RoleUser, Content: []model.Block{{Type: model.BlockText, Text: "show me INC0012345"}}}
	resp, err := New().Converse(context.Background(), model.Request{Messages: []model.Message{user}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StopReason != model.StopEndTurn || !strings.Contains(resp.Message.Text(), "does not have it") {
		t.Errorf("answer = %q (%s), want a refusal naming the missing tool", resp.Message.Text(), resp.StopReason)
	}
}

func TestConverseAsksTheUserToConfirmAHeldWrite(t *testing.T) {
	msgs := []model.Message{
		{Role: model.RoleUser, Content: []model.Block{{Type: model.BlockText, Text: "set INC0012345 to priority 3"}}},
		{Role: model.RoleAssistant, Content: []model.Block{{Type: model.BlockToolUse, ToolUseID: "t1", ToolName: "update_incident"}}},
		{Role: model.RoleUser, Content: []model.Block{{Type: model.BlockToolResult, ToolUseID: "t1",
			Text: `{"confirmation_required":true,"summary":"update_incident number=\"INC0012345\" priority=\"3\"","note":"Nothing has been changed."}`}}},
	}
	resp, err := New().Converse(context.Background(), model.Request{Messages: msgs, Tools: incidentTools}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := resp.Message.Text()
	if !strings.Contains(got, "I need your confirmation") || !strings.Contains(got, `update_incident number="INC0012345" priority="3"`) || !strings.Contains(got, `Reply "yes"`) {
		t.Errorf("answer = %q", got)
	}
}
