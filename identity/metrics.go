package identity

import (
	"errors"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the broker's Prometheus collectors (Config.Metrics). A nil
// *metrics records nothing. Labels hold operation, provider and outcome
// names only: never a user, a workload access token or a token.
type metrics struct {
	calls  *prometheus.CounterVec
	tokens *prometheus.CounterVec
	idp    *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onbehalf_identity_calls_total",
			Help: "Audited broker calls by operation and outcome (ok, an error type, or the IdP's OAuth error code).",
		}, []string{"operation", "outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onbehalf_identity_resource_tokens_total",
			Help: "Resource tokens handed out by credential provider and where they came from (vault, idp).",
		}, []string{"provider", "source"}),
		idp: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "onbehalf_identity_idp_request_seconds",
			Help:    "Token requests to identity providers (exchanges and refreshes) by provider and result.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"provider", "result"}),
	}
	for _, c := range []prometheus.Collector{m.calls, m.tokens, m.idp} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) call(operation, outcome string) {
	if m != nil {
		m.calls.WithLabelValues(operation, outcomeLabel(outcome)).Inc()
	}
}

func (m *metrics) token(provider, detail string) {
	if m == nil {
		return
	}
	source := "idp"
	if detail == detailVaultHit {
		source = "vault"
	}
	m.tokens.WithLabelValues(provider, source).Inc()
}

func (m *metrics) idpRequest(provider string, d time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.idp.WithLabelValues(provider, result).Observe(d.Seconds())
}

// knownOAuthCodes are the OAuth error codes kept as outcome labels; any
// other code an IdP sends becomes "other_idp_error", so that an IdP cannot
// grow the label set without bound.
var knownOAuthCodes = map[string]bool{
	"invalid_request": true, "invalid_client": true, "invalid_grant": true, "unauthorized_client": true,
	"unsupported_grant_type": true, "invalid_scope": true, "access_denied": true, "server_error": true,
	"temporarily_unavailable": true, "interaction_required": true, "login_required": true,
	"consent_required": true, "invalid_target": true, "insufficient_claims": true,
}

// outcomeLabel bounds an audit outcome for a label: "ok", the broker's own
// error types (…Exception), known OAuth codes, else "other_idp_error".
func outcomeLabel(outcome string) string {
	if outcome == "ok" || knownOAuthCodes[outcome] || (strings.HasSuffix(outcome, "Exception") && len(outcome) <= 64) {
		return outcome
	}
	return "other_idp_error"
}
