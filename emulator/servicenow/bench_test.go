package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The benchmark of BENCHMARKS.md ("ServiceNow emulator"): 100,000 incidents
// over 200 users in a SQLite file, the Table API over real HTTP on
// loopback, Bearer tokens from an OIDC issuer, and the ACL-filtered query
// an agent makes for "my open incidents, newest first, 10 rows":
//
//	go test ./emulator/servicenow/ -run '^$' -bench MyOpenIncidents -benchtime 20000x
//
// The instance is built once per process (a benchmark function runs more
// than once) and removed by TestMain.
const (
	benchIncidents = 100_000
	benchUsers     = 200
	benchTokens    = 20 // distinct users issuing requests
)

var benchMyOpen = "/api/now/table/incident?sysparm_query=" +
	url.QueryEscape("active=true^assigned_to=javascript:gs.getUserID()^ORDERBYDESCopened_at") + "&sysparm_limit=10"

type benchEnv struct {
	hs      *httptest.Server
	srv     *Server
	iss     *testIssuer
	dir     string
	client  *http.Client
	tokens  []string
	genTime time.Duration
}

var bench struct {
	once sync.Once
	env  *benchEnv
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if e := bench.env; e != nil {
		e.close()
	}
	os.Exit(code)
}

func (e *benchEnv) close() {
	e.hs.Close()
	if e.srv != nil {
		e.srv.Close()
	}
	e.iss.srv.Close()
	os.RemoveAll(e.dir)
}

func sharedBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	bench.once.Do(func() { bench.env, bench.err = newBenchEnv() })
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.env
}

func newBenchEnv() (*benchEnv, error) {
	dir, err := os.MkdirTemp("", "servicenow-bench-")
	if err != nil {
		return nil, err
	}
	e := &benchEnv{dir: dir, iss: startTestIssuer()}
	e.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.srv.ServeHTTP(w, r) }))
	e.srv, err = New(context.Background(), Config{
		BaseURL:    e.hs.URL,
		DBPath:     filepath.Join(dir, "bench.db"),
		OIDC:       []OIDCProvider{{Name: "EntraID", MetadataURL: e.iss.metadataURL, ClientID: connectorID}},
		HTTPClient: e.iss.srv.Client(),
		Logger:     discardLogger(),
	})
	if err != nil {
		e.close()
		return nil, err
	}
	start := time.Now()
	g, err := e.srv.GenerateIncidents(context.Background(), benchIncidents, benchUsers)
	if err != nil {
		e.close()
		return nil, err
	}
	e.genTime = time.Since(start)
	for i := range benchTokens {
		c := e.iss.claims(g.Users[i] + "@" + generatedEmailDomain)
		c["nbf"] = time.Now().Add(-time.Minute).Unix()
		c["exp"] = time.Now().Add(time.Hour).Unix()
		tok, err := e.iss.signErr(c)
		if err != nil {
			e.close()
			return nil, err
		}
		e.tokens = append(e.tokens, "Bearer "+tok)
	}
	e.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	return e, nil
}

func (e *benchEnv) get(auth string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, e.hs.URL+benchMyOpen, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	res, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", res.StatusCode)
	}
	return body, err
}

// checkMyOpen verifies one answer: ten active incidents of the caller,
// newest first.
func checkMyOpen(body []byte) error {
	var out struct {
		Result []struct {
			Active   string `json:"active"`
			OpenedAt string `json:"opened_at"`
			Category string `json:"category"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return err
	}
	if len(out.Result) == 0 {
		return errors.New("no rows")
	}
	for i, r := range out.Result {
		if r.Active != "true" || r.Category == "hr" || r.Category == "security" ||
			(i > 0 && r.OpenedAt > out.Result[i-1].OpenedAt) {
			return fmt.Errorf("row %d inactive, hidden or out of order: %+v", i, r)
		}
	}
	return nil
}

// BenchmarkMyOpenIncidents drives the instance with 4 clients per CPU:
// throughput, and latency under that load.
func BenchmarkMyOpenIncidents(b *testing.B) { benchMyOpenIncidents(b, 4*runtime.GOMAXPROCS(0)) }

// BenchmarkMyOpenIncidentsOneClient sends one request at a time: latency
// without queueing.
func BenchmarkMyOpenIncidentsOneClient(b *testing.B) { benchMyOpenIncidents(b, 1) }

func benchMyOpenIncidents(b *testing.B, workers int) {
	e := sharedBenchEnv(b)
	b.Logf("instance: %d incidents over %d users, generated in %v", benchIncidents, benchUsers, e.genTime.Round(time.Millisecond))
	body, err := e.get(e.tokens[0])
	if err == nil {
		err = checkMyOpen(body)
	}
	if err != nil {
		b.Fatalf("first answer: %v", err)
	}

	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				if _, err := e.get(e.tokens[(int(i)+w)%len(e.tokens)]); err != nil {
					failed.Store(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}
