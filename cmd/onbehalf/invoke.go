package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/onbehalf/onbehalf/agent"
	"github.com/spf13/cobra"
)

type invokeOptions struct {
	URL, BearerToken, SessionID, UserID, DataDir, Agent string
	Verbose                                             bool
}

func newInvokeCommand() *cobra.Command {
	var o invokeOptions
	cmd := &cobra.Command{
		Use:   `invoke [--url URL] [--agent NAME] --bearer-token T [--session-id S] 'PROMPT or {"prompt": …}'`,
		Short: "Send a prompt to an agent and stream its answer",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.URL == "" {
				o.URL = "http://127.0.0.1:8080"
				if env, err := readDevEnv(filepath.Join(o.DataDir, "dev.env")); err == nil && env[envRuntimeURL] != "" {
					o.URL = env[envRuntimeURL]
				}
			}
			return invoke(cmd.Context(), http.DefaultClient, o, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.URL, "url", "", "runtime URL (default: the dev stack's)")
	f.StringVar(&o.BearerToken, "bearer-token", "", "the user's IdP access token (Token A)")
	f.StringVar(&o.SessionID, "session-id", "", "continue this session (33-256 characters)")
	f.StringVar(&o.UserID, "user-id", "", "accepted for agentcore compatibility; the runtime takes the user from the token")
	f.StringVar(&o.DataDir, "data-dir", defaultDataDir(), "the dev stack's data dir (for the default URL)")
	f.StringVar(&o.Agent, "agent", "", "the agent (runtime.agents name, or agent runtime ARN) at /runtimes/<agent>/invocations; default: the runtime's first agent at /invocations")
	f.BoolVar(&o.Verbose, "verbose", false, "also show tool calls")
	return cmd
}

// payload turns the argument into the invocation body: a JSON object is
// sent as is, anything else becomes {"prompt": arg}.
func payload(arg string) ([]byte, error) {
	if t := strings.TrimSpace(arg); strings.HasPrefix(t, "{") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(t), &obj); err != nil {
			return nil, fmt.Errorf("the argument looks like JSON but is not valid: %w", err)
		}
		return []byte(t), nil
	}
	return json.Marshal(map[string]string{"prompt": arg})
}

func invoke(ctx context.Context, hc *http.Client, o invokeOptions, arg string, out, errOut io.Writer) error {
	body, err := payload(arg)
	if err != nil {
		return err
	}
	target := strings.TrimRight(o.URL, "/") + "/invocations"
	if o.Agent != "" {
		target = strings.TrimRight(o.URL, "/") + "/runtimes/" + url.PathEscape(o.Agent) + "/invocations"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if o.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(o.BearerToken))
	}
	if o.SessionID != "" {
		req.Header.Set("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", o.SessionID)
	}
	if o.UserID != "" {
		req.Header.Set("X-Amzn-Bedrock-AgentCore-Runtime-User-Id", o.UserID)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the runtime at %s: %w", o.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return serverError(resp)
	}
	if sid := resp.Header.Get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"); sid != "" {
		fmt.Fprintf(errOut, "session: %s\n", sid)
	}
	return renderStream(resp.Body, out, errOut, o.Verbose)
}

// serverError reports a refused invocation with the server's message.
func serverError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct {
		Message string `json:"message"`
	}
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &e) == nil && e.Message != "" {
		msg = e.Message
	}
	if t := resp.Header.Get("X-Amzn-ErrorType"); t != "" {
		msg = t + ": " + msg
	}
	return fmt.Errorf("%s: %s", resp.Status, msg)
}

// renderStream prints the answer's text as it arrives; with verbose, tool
// calls too. It fails if the stream ends with an error event.
func renderStream(r io.Reader, out, errOut io.Writer, verbose bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var failed error
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev agent.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			continue
		}
		switch ev.Type {
		case agent.EventModel:
			fmt.Fprintf(errOut, "model: %s\n", ev.Model)
		case agent.EventText:
			fmt.Fprint(out, ev.Text)
		case agent.EventToolStart:
			if verbose {
				fmt.Fprintf(errOut, "→ %s %s\n", ev.Tool, ev.Summary)
			}
		case agent.EventToolEnd:
			if verbose {
				status := "ok"
				if ev.IsError {
					status = "error"
				}
				fmt.Fprintf(errOut, "← %s %s (%s, %dms)\n", ev.Tool, ev.Summary, status, ev.Millis)
			}
		case agent.EventFinal:
			fmt.Fprintln(out)
		case agent.EventError:
			failed = errors.New(ev.Error)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("the answer stream broke: %w", err)
	}
	return failed
}
