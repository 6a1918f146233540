package stack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/onbehalf/onbehalf/config"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/incidentagent"
	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/model/pick"
	"github.com/onbehalf/onbehalf/runtime"
	"github.com/onbehalf/onbehalf/servicenow"
	"github.com/onbehalf/onbehalf/store"
	"github.com/onbehalf/onbehalf/trace"
)

// agent builds what serves one configured agent: a forwarder to its
// container when it has an endpoint, else the built-in incident agent.
func (s *Stack) agent(ctx context.Context, a config.Agent, opts Options) (http.Handler, error) {
	log := opts.Logger.With("component", "agent", "agent", a.Name)
	if a.Endpoint != "" {
		u, err := url.Parse(a.Endpoint)
		if err != nil {
			return nil, fmt.Errorf("endpoint: %w", err)
		}
		// Rewrite (not Director): it runs after hop-by-hop headers are
		// removed, adds no X-Forwarded-* of the caller's, and the front
		// door has already reduced the headers to an allow-list.
		proxy := &httputil.ReverseProxy{
			Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(u); pr.Out.Host = u.Host },
			FlushInterval: -1, // stream the SSE answer as it comes
			ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		log.Info("agent runs in its own container", "endpoint", u.Redacted())
		return proxy, nil
	}
	m, why, err := pick.Choose(ctx, pick.Spec{Provider: a.Model.Provider, ID: a.Model.ID, BaseURL: a.Model.BaseURL, Region: a.Model.Region}, nil, streamingClient(opts.HTTPClient))
	if err != nil {
		return nil, err
	}
	if s.Model == "" { // the first in-process agent's, as the dev banner shows it
		s.Model = m.Name() + " (" + why + ")"
	}
	log.Info("model", "name", m.Name(), "why", why)

	cfg := incidentagent.Config{Model: m, Sessions: s.Store, SkipWriteConfirmation: a.ConfirmWrites != nil && !*a.ConfirmWrites}
	if sn := a.ServiceNow; sn != nil {
		tokens := identity.TokenSource{Getter: s.Broker, Provider: sn.CredentialProvider, Scopes: sn.Scopes, Flow: identity.FlowOnBehalfOf}
		c := &servicenow.Client{BaseURL: sn.InstanceURL, HTTPClient: opts.HTTPClient, Tokens: tokens, Audit: s.auditCall(a)}
		cfg.Tools = servicenow.Tools(c)
		cfg.Token = tokens.Token
	}
	return &runtime.App{Handler: incidentagent.Handler(cfg), Logger: log}, nil
}

// streamingClient is hc without an overall timeout: model answers stream,
// and the invocation's context bounds them.
func streamingClient(hc *http.Client) *http.Client {
	c := *hc
	c.Timeout = 0
	return &c
}

// auditCall records every ServiceNow call of a tool as a trace hop and an
// audit event naming the invocation's user, request and session.
func (s *Stack) auditCall(a config.Agent) func(ctx context.Context, ev servicenow.CallEvent) {
	return func(ctx context.Context, ev servicenow.CallEvent) {
		trace.Record(ctx, ev.Hop())
		ae := store.AuditEvent{Time: ev.Time, Action: "servicenow." + ev.Tool, Workload: a.WorkloadIdentity, Outcome: ev.Outcome, Detail: ev.Detail()}
		if inv, ok := runtime.InvocationFrom(ctx); ok {
			ae.User, ae.RequestID, ae.SessionID = inv.UserID, inv.RequestID, inv.SessionID
		}
		if _, err := s.Store.AppendAudit(context.WithoutCancel(ctx), ae); err != nil {
			s.logger.Error("audit of a ServiceNow call failed", "tool", ev.Tool, "error", err)
		}
	}
}

// reloadKeys picks up keys another process added (onbehalf keys rotate),
// so every replica seals with the new key soon after a rotation.
func reloadKeys(ctx context.Context, k *keyring.Keyring, path string, log *slog.Logger) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			before := k.ActiveKeyID()
			if err := k.Reload(path); err != nil {
				log.Warn("reloading the vault keys failed", "error", err)
			} else if after := k.ActiveKeyID(); after != before {
				log.Info("vault key rotated", "active_key", after)
			}
		}
	}
}
