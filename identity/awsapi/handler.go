package awsapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/sigv4"
)

// Options configures a Handler; nil means defaults.
type Options struct {
	// Region, when set, is the only region a request may be signed for.
	// Empty accepts any region (the broker is one region).
	Region string
	// MaxSkew bounds the signing clock skew; zero means sigv4's default
	// (5 minutes).
	MaxSkew time.Duration
	// RateLimit caps each access key at this many calls a second (with
	// RateBurst, default RateLimit, in reserve); more are refused with
	// ThrottlingException (429), which the AWS SDKs retry with backoff.
	// Zero means no limit.
	RateLimit float64
	RateBurst int
	// Logger receives one line per refused call (and per call at debug
	// level): operation, status, error type, access key id, request id.
	// Never a body, token or secret. Default discards.
	Logger *slog.Logger
	Now    func() time.Time
}

// Handler serves the AgentCore Identity API. It is safe for concurrent use.
type Handler struct {
	broker   *identity.Broker
	keys     *KeyStore
	verifier *sigv4.Verifier
	routes   map[string]*route
	public   *http.ServeMux // unsigned: health, OAuth2 callback, JWKS
	limit    *limiter
	log      *slog.Logger
	now      func() time.Time
}

// JWKSPath is where the handler serves the public keys of PRIVATE_KEY_JWT
// credential providers: JWKSPath + <provider name>.
const JWKSPath = "/identities/oauth2/jwks/"

// route is one operation at its path.
type route struct {
	name    string
	control bool // control plane: admin keys only
	svc     *serviceModel
	op      *operationModel
	serve   serveFunc
}

// serveFunc decodes, authorizes and runs one operation.
type serveFunc func(ctx context.Context, rt *route, body []byte) (any, *apiError)

// NewHandler returns the API for broker, authenticating callers against
// keys.
func NewHandler(broker *identity.Broker, keys *KeyStore, opts *Options) (*Handler, error) {
	if broker == nil || keys == nil {
		return nil, errors.New("awsapi: NewHandler needs a broker and a key store")
	}
	if opts == nil {
		opts = &Options{}
	}
	h := &Handler{broker: broker, keys: keys, log: opts.Logger, now: opts.Now, routes: map[string]*route{}, limit: newLimiter(opts.RateLimit, opts.RateBurst)}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.verifier = &sigv4.Verifier{
		Credentials:  credentials{keys},
		Service:      SigningName,
		Region:       opts.Region,
		MaxSkew:      opts.MaxSkew,
		MaxBodyBytes: maxBody,
		Now:          h.now,
	}
	// Browsers and identity providers call these without SigV4.
	h.public = http.NewServeMux()
	h.public.HandleFunc("GET /ping", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"Healthy"}`+"\n")
	})
	cb := broker.CallbackHandler()
	h.public.Handle("GET "+identity.CallbackPath, cb)
	h.public.Handle("POST "+identity.CallbackPath, cb)
	h.public.Handle("GET "+JWKSPath+"{provider}", broker.JWKSHandler())

	ops := h.operations()
	for svcName, names := range servedOperations {
		svc := theModel.Services[svcName]
		for _, name := range names {
			op, ok := svc.Operations[name]
			if !ok {
				return nil, fmt.Errorf("awsapi: operation %s is not in model.json", name)
			}
			h.routes[op.Path] = &route{name: name, control: svcName == ControlPlaneService, svc: svc, op: op, serve: ops[name]}
			delete(ops, name)
		}
	}
	for name := range ops {
		return nil, fmt.Errorf("awsapi: operation %s is not served", name)
	}
	return h, nil
}

// maxBody bounds a request body: the largest member (a 128 KiB token)
// with room for the rest.
const maxBody = 512 << 10

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	reqID := newRequestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	rt := h.routes[r.URL.Path]
	if rt == nil {
		if _, pattern := h.public.Handler(r); pattern != "" {
			h.public.ServeHTTP(w, r)
			return
		}
	}
	opName := "unknown"
	if rt != nil {
		opName = rt.name
	}
	status, errType, akid := h.serve(w, r, rt, reqID)
	level, msg := slog.LevelDebug, "identity api call"
	if errType != "" {
		level, msg = slog.LevelInfo, "identity api call refused"
	}
	if h.log.Enabled(r.Context(), level) {
		h.log.Log(r.Context(), level, msg, "operation", opName, "status", status, "error_type", errType,
			"access_key_id", akid, "request_id", reqID, "duration_ms", h.now().Sub(start).Milliseconds())
	}
}

// serve runs one call and returns what the access log needs.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rt *route, reqID string) (status int, errType, akid string) {
	fail := func(e *apiError) (int, string, string) {
		writeError(w, e)
		return e.Status, e.Type, akid
	}
	res, err := h.verifier.Verify(r)
	if err != nil {
		st, typ := sigv4.ErrorStatus(err)
		msg := "internal error"
		if st != http.StatusInternalServerError {
			msg = err.Error()
		} else {
			h.log.ErrorContext(r.Context(), "signature verification failed", "request_id", reqID, "error", err)
		}
		return fail(&apiError{Status: st, Type: typ, Message: msg})
	}
	akid = res.AccessKeyID
	if !h.limit.allow(akid, h.now()) {
		return fail(newAPIError(typeThrottling, "Rate exceeded for access key %s", akid))
	}
	if rt == nil || r.Method != http.MethodPost {
		return fail(&apiError{Status: http.StatusNotFound, Type: typeUnknownOperation, Message: "no operation at " + r.Method + " " + r.URL.Path})
	}
	key, err := h.keys.Lookup(r.Context(), akid)
	if err != nil { // revoked between Verify and now
		return fail(&apiError{Status: http.StatusForbidden, Type: typeUnrecognizedClient, Message: "the security token included in the request is invalid"})
	}
	if rt.control && !key.Grant.Admin {
		return fail(newAPIError(typeAccessDenied, "access key %s is not authorized to perform bedrock-agentcore:%s: control-plane operations need an admin key", akid, rt.name))
	}
	// The verifier read the body (at most maxBody bytes) to hash it.
	body := res.Body
	ctx := identity.WithRequestInfo(r.Context(), identity.RequestInfo{RequestID: reqID})
	// The broker binds the call to the key's workload (an admin key is
	// bound to none) and allows bare user ids only to keys granted them.
	ctx = identity.WithCaller(ctx, identity.Caller{Workload: key.Grant.Workload, AllowUserID: key.Grant.Admin || key.Grant.AllowUserID})
	if rt.serve == nil {
		return fail(&apiError{Status: http.StatusNotImplemented, Type: typeUnknownOperation, Message: rt.name + " is not implemented by this broker yet"})
	}
	out, e := rt.serve(ctx, rt, body)
	if e != nil {
		if e.Status == http.StatusInternalServerError {
			h.log.ErrorContext(ctx, "identity api internal error", "operation", rt.name, "request_id", reqID, "error", e.Message)
		}
		return fail(e)
	}
	if rt.op.Status == http.StatusNoContent {
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent, "", akid
	}
	b, err := encodeOutput(out)
	if err != nil {
		h.log.ErrorContext(ctx, "cannot encode output", "operation", rt.name, "request_id", reqID, "error", err)
		return fail(newAPIError(typeInternal, "internal error"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rt.op.Status)
	_, _ = w.Write(b)
	return rt.op.Status, "", akid
}

// newRequestID is a random UUID (version 4), like AWS's request ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// call is the serveFunc of a broker method: decode and validate the
// input, call, return the output.
func call[In, Out any](fn func(context.Context, In) (Out, error)) serveFunc {
	return func(ctx context.Context, rt *route, body []byte) (any, *apiError) {
		var in In
		if e := decodeInput(rt.svc, rt.op, body, &in); e != nil {
			return nil, e
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, fromBroker(err)
		}
		return out, nil
	}
}
