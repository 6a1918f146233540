package runtime

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the front door's Prometheus collectors: invocations by agent
// and HTTP status, and how long they took (to the end of the answer's
// stream). A nil *Metrics records nothing.
type Metrics struct {
	invocations *prometheus.CounterVec
	duration    *prometheus.HistogramVec
}

// NewMetrics registers the front door's collectors with reg; every
// FrontDoor of a runtime shares one Metrics.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onbehalf_runtime_invocations_total",
			Help: "Invocations by agent and HTTP status (401/403 refused at the front door, 200 answered).",
		}, []string{"agent", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "onbehalf_runtime_invocation_seconds",
			Help:    "Invocation time by agent, to the end of the answer's stream.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"agent"}),
	}
	for _, c := range []prometheus.Collector{m.invocations, m.duration} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *Metrics) observe(agent string, status int, took time.Duration) {
	if m == nil {
		return
	}
	m.invocations.WithLabelValues(agent, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(agent).Observe(took.Seconds())
}

// statusWriter remembers the status an invocation was answered with. It
// passes flushes through (the answer is a stream).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
