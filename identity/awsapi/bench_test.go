package awsapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/onbehalf/onbehalf/emulator/entra/entratest"
	"github.com/onbehalf/onbehalf/identity/awsapi"
	"github.com/onbehalf/onbehalf/store"
)

// benchClient posts one signed body over keep-alive connections. It signs
// again when the signature is a second old, so the load generator (which
// shares the machine) spends its CPU on requests, not on signing.
type benchClient struct {
	url  string
	body []byte
	key  awsapi.AccessKey
	hc   *http.Client

	mu       sync.Mutex
	signedAt time.Time
	header   http.Header
	raw      []byte
	rawFor   time.Time
}

func (c *benchClient) headers() http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.signedAt) > time.Second {
		req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(c.body))
		req.Header.Set("Content-Type", "application/json")
		sum := sha256.Sum256(c.body)
		_ = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.key.AccessKeyID, SecretAccessKey: c.key.SecretAccessKey},
			req, hex.EncodeToString(sum[:]), awsapi.SigningName, region, now)
		c.header, c.signedAt = req.Header, now
	}
	return c.header
}

func (c *benchClient) do(b *testing.B) {
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(c.body))
	req.Header = c.headers().Clone()
	resp, err := c.hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// rawRequest returns the whole HTTP/1.1 request, freshly signed when the
// last signature is a second old.
func (c *benchClient) rawRequest(host string) []byte {
	h := c.headers()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.raw != nil && c.rawFor == c.signedAt {
		return c.raw
	}
	var b bytes.Buffer
	u, _ := url.Parse(c.url)
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", u.RequestURI(), host, len(c.body))
	for k, vs := range h {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	b.Write(c.body)
	c.raw, c.rawFor = b.Bytes(), c.signedAt
	return c.raw
}

// rawConn is one keep-alive connection of the load generator: it writes a
// whole request with one write and reads the response with
// http.ReadResponse, with no goroutines of its own (net/http's Transport
// spends two per connection and hands every request across channels,
// which on two shared cores costs the broker a good part of its CPU).
type rawConn struct {
	c    *benchClient
	host string
	conn net.Conn
	br   *bufio.Reader
}

func (c *benchClient) dial(b *testing.B) *rawConn {
	u, _ := url.Parse(c.url)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return &rawConn{c: c, host: u.Host, conn: conn, br: bufio.NewReaderSize(conn, 16<<10)}
}

func (r *rawConn) do() error {
	if _, err := r.conn.Write(r.c.rawRequest(r.host)); err != nil {
		return err
	}
	resp, err := http.ReadResponse(r.br, nil)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func newBenchClient(b *testing.B, w *world, k awsapi.AccessKey, path string, in any) *benchClient {
	body, _ := json.Marshal(in)
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	b.Cleanup(tr.CloseIdleConnections)
	return &benchClient{url: w.url + path, body: body, key: k, hc: &http.Client{Transport: tr}}
}

// report adds req/s, p50 and p99 (milliseconds) to the benchmark output.
func report(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

var (
	benchClients  = flag.Int("clients", 16, "concurrent keep-alive clients of BenchmarkGetResourceOauth2TokenVaultHit")
	benchNoAudit  = flag.Bool("noaudit", false, "what-if: drop the broker's audit events instead of storing them")
	benchPostgres = flag.Bool("postgres", false, "store in PostgreSQL (ONBEHALF_TEST_POSTGRES) instead of a SQLite file")
	benchRate     = flag.Float64("rate", 0, "open loop: send this many requests per second on a fixed schedule over -clients connections (0: closed loop)")
)

// BenchmarkGetResourceOauth2TokenVaultHit is GetResourceOauth2Token for
// one user over HTTP with SigV4 on loopback, every call a vault hit, from
// -clients concurrent keep-alive connections (closed loop: each sends its
// next request when the last one is answered; see rawConn). It reports
// req/s, p50 and p99, and checks that every call was answered 200 and is
// in the audit trail. With -rate R it runs open loop instead: requests are
// scheduled R per second whatever the answers do, spread over -clients
// connections, and latency runs from the moment each request is released
// (see below), so p99 is the latency at that offered load.
//
//	go test ./identity/awsapi -run '^$' -bench VaultHit -benchtime 100000x -clients 8
//	go test ./identity/awsapi -run '^$' -bench VaultHit -benchtime 100000x -clients 32 -rate 10000
func BenchmarkGetResourceOauth2TokenVaultHit(b *testing.B) {
	w := newWorldWith(b, worldOptions{bench: true, noAudit: *benchNoAudit, postgres: *benchPostgres})
	wat := w.benchWAT(b)
	in := map[string]any{
		"workloadIdentityToken":          wat,
		"resourceCredentialProviderName": provider,
		"scopes":                         []string{entratest.ConnectorScope},
		"oauth2Flow":                     "ON_BEHALF_OF_TOKEN_EXCHANGE",
	}
	c := newBenchClient(b, w, w.wl, "/identities/oauth2/token", in)
	c.do(b) // the one cold exchange; every timed call is a vault hit
	clients := *benchClients
	lats := make([][]time.Duration, clients)
	// Each item is a request's start: in the closed loop the zero time
	// (start when a connection takes it); at -rate, the time the feeder
	// released it, so latency includes any wait for a free connection (no
	// coordinated omission: a slow answer delays the requests behind it,
	// and they count it). The feeder wakes about once a millisecond (Go's
	// timer granularity when the cores are busy) and releases every
	// request whose scheduled time has come, so arrivals come in bursts
	// of about R/1000; its own lateness is not counted.
	next := make(chan time.Time, b.N)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	go func() {
		defer close(next)
		if *benchRate <= 0 {
			for range b.N {
				next <- time.Time{}
			}
			return
		}
		interval := time.Duration(float64(time.Second) / *benchRate)
		for i := 0; i < b.N; {
			now := time.Now()
			for ; i < b.N; i++ {
				if start.Add(time.Duration(i) * interval).After(now) {
					break
				}
				next <- now
			}
			time.Sleep(200 * time.Microsecond)
		}
	}()
	for i := range clients {
		wg.Add(1)
		rc := c.dial(b)
		go func() {
			defer wg.Done()
			var failed error
			for at := range next {
				if failed != nil {
					continue // drain, so the feeder never blocks
				}
				if at.IsZero() {
					at = time.Now()
				}
				if failed = rc.do(); failed != nil {
					b.Errorf("client %d: %v", i, failed)
					continue
				}
				lats[i] = append(lats[i], time.Since(at))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, slices.Concat(lats...), elapsed)
	if !*benchNoAudit {
		// Every answered call is in the audit trail (the cold one too).
		evs, err := w.store.ListAudit(context.Background(), store.AuditFilter{Action: "GetResourceOauth2Token", Outcome: "ok", Limit: b.N + 10})
		if err != nil || len(evs) != b.N+1 {
			b.Fatalf("audit holds %d GetResourceOauth2Token events (%v), want %d", len(evs), err, b.N+1)
		}
	}
}

// BenchmarkGetResourceOauth2TokenColdExchange is the cold path: every call
// (forceAuthentication) exchanges Jane's token at the Entra emulator on
// loopback (discovery cached), sequentially.
//
//	go test ./identity/awsapi -run '^$' -bench ColdExchange -benchtime 200x
func BenchmarkGetResourceOauth2TokenColdExchange(b *testing.B) {
	w := newWorldWith(b, worldOptions{bench: true})
	in := map[string]any{
		"workloadIdentityToken":          w.benchWAT(b),
		"resourceCredentialProviderName": provider,
		"scopes":                         []string{entratest.ConnectorScope},
		"oauth2Flow":                     "ON_BEHALF_OF_TOKEN_EXCHANGE",
		"forceAuthentication":            true,
	}
	c := newBenchClient(b, w, w.wl, "/identities/oauth2/token", in)
	c.do(b) // discovery
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		t0 := time.Now()
		c.do(b)
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	b.StopTimer()
	report(b, lat, elapsed)
}

func (w *world) benchWAT(b *testing.B) string {
	body, _ := json.Marshal(map[string]string{"workloadName": workload, "userToken": w.idp.TokenA(b, jane)})
	c := &benchClient{url: w.url + "/identities/GetWorkloadAccessTokenForJWT", body: body, key: w.wl, hc: &http.Client{}}
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	req.Header = c.headers().Clone()
	resp, err := c.hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ WorkloadAccessToken string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.WorkloadAccessToken == "" {
		b.Fatalf("GetWorkloadAccessTokenForJWT: %d %v", resp.StatusCode, err)
	}
	return out.WorkloadAccessToken
}
