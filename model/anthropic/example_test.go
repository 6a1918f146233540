package anthropic_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/anthropic"
)

// A Provider for the Messages API (here a stand-in that replays a recorded
// answer; leave BaseURL empty for api.anthropic.com).
func ExampleNew() {
	answer, _ := os.ReadFile("testdata/text.sse")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(answer)
	}))
	defer srv.Close()

	p, err := anthropic.New(anthropic.Options{APIKey: "sk-ant-example", BaseURL: srv.URL})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := p.Converse(context.Background(), model.Request{
		Messages: []model.Message{{Role: model.RoleUser, Content: []model.Block{{Type: model.BlockText, Text: "How many incidents do I have?"}}}},
	}, func(delta string) { fmt.Printf("%q\n", delta) })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StopReason, resp.Usage.OutputTokens)
	// Output:
	// "You have "
	// "5 open incidents."
	// end_turn 12
}
