package openai_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/openai"
)

// A Provider for a local OpenAI-compatible server (here a stand-in that
// replays a recorded answer; with Ollama the base URL would be
// http://127.0.0.1:11434/v1).
func ExampleNew() {
	answer, _ := os.ReadFile("testdata/text.sse")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(answer)
	}))
	defer srv.Close()

	p, err := openai.New(openai.Options{Model: "llama3.1", BaseURL: srv.URL + "/v1"})
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
	// end_turn 8
}
