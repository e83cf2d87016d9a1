// Package awsfake is a local, stateful stand-in for the four AWS services
// gameday's AWS provider calls — ECS, FIS, RDS and CloudWatch — speaking
// each one's wire protocol exactly as the pinned aws-sdk-go-v2 clients send
// and parse it:
//
//	ECS         awsJson1_1   POST /, X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>
//	FIS         restJson1    /experimentTemplates[/{id}], /experiments[/{id}]
//	RDS         awsQuery     POST / form Action=<Op>&Version=2014-10-31, XML answers
//	CloudWatch  rpcv2Cbor    POST /service/GraniteServiceVersion20100801/operation/<Op>, CBOR
//
// (CloudWatch's Go SDK left awsQuery for Smithy RPC v2 CBOR; the fake
// speaks what service/cloudwatch sends, and keeps the X-Amzn-Query-Error
// header that its awsQueryCompatible trait reads error codes from.)
//
// One Server is one http.Handler for all four: a request is routed by the
// service name of its SigV4 credential scope (ecs, fis, rds, monitoring),
// so a single AWS_ENDPOINT_URL can point every client at it, as LocalStack
// is used. The Server checks that a request is signed (not the
// signature), enforces an IAM policy given as JSON, can throttle, deny or
// hang chosen calls on demand, and records every request — operation and
// parsed parameters — for tests to assert on.
//
// State moves with the clock, never with a background goroutine: every
// request first advances the whole world to now (experiments through
// pending → initiating → running → completed, stopped tasks replaced by the
// ECS scheduler, a failover finishing), so what a client sees is a function
// of what was done and when.
package awsfake

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Account and Region are what the fake's ARNs say.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// Timings say how long the fake's systems take to move from one state to
// the next. Zero fields take DefaultTimings' values.
type Timings struct {
	// ExperimentPending and ExperimentInitiating are how long a started
	// FIS experiment stays in those states before it runs.
	ExperimentPending    time.Duration
	ExperimentInitiating time.Duration
	// ExperimentStopping is how long a stop takes to reach stopped.
	ExperimentStopping time.Duration
	// TaskReplace is how long the ECS scheduler takes to have a
	// replacement of a stopped task running.
	TaskReplace time.Duration
	// Failover is how long an RDS cluster stays failing-over; Reboot how
	// long an instance stays rebooting.
	Failover time.Duration
	Reboot   time.Duration
}

// DefaultTimings are short, for tests: a fault runs within a second.
func DefaultTimings() Timings {
	return Timings{
		ExperimentPending:    50 * time.Millisecond,
		ExperimentInitiating: 50 * time.Millisecond,
		ExperimentStopping:   100 * time.Millisecond,
		TaskReplace:          300 * time.Millisecond,
		Failover:             300 * time.Millisecond,
		Reboot:               300 * time.Millisecond,
	}
}

func (t Timings) withDefaults() Timings {
	d := DefaultTimings()
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	return Timings{
		ExperimentPending:    pick(t.ExperimentPending, d.ExperimentPending),
		ExperimentInitiating: pick(t.ExperimentInitiating, d.ExperimentInitiating),
		ExperimentStopping:   pick(t.ExperimentStopping, d.ExperimentStopping),
		TaskReplace:          pick(t.TaskReplace, d.TaskReplace),
		Failover:             pick(t.Failover, d.Failover),
		Reboot:               pick(t.Reboot, d.Reboot),
	}
}

// Request is one request the Server received, decoded.
type Request struct {
	At time.Time
	// Service is the SigV4 scope's service name: ecs, fis, rds, monitoring.
	Service string
	// Operation is the API operation ("StopTask").
	Operation string
	// Action is its IAM action ("ecs:StopTask").
	Action string
	// Params are the request's parameters as decoded from the wire, by
	// their wire names: JSON members for ECS and FIS (plus FIS's path
	// parameter "id" and query parameters), form fields for RDS, CBOR
	// members for CloudWatch (timestamps as time.Time).
	Params map[string]any
	// Attempt is the SDK's attempt number from Amz-Sdk-Request (1 for the
	// first try, 2 for the first retry, …).
	Attempt int
	// Status is the HTTP status the Server answered with (0 while a hung
	// call is still held).
	Status int
	// Error is the error code answered, if any.
	Error string
}

// FaultKind is a failure the Server can inject into a call.
type FaultKind int

// The injectable failures.
const (
	// Throttle answers with the service's throttling error, which the
	// SDK's retryer retries.
	Throttle FaultKind = iota
	// Deny answers with the service's AccessDenied error, whatever the
	// policy says.
	Deny
	// Hang holds the call without answering until the client gives up
	// (its context ends) or the Server is closed.
	Hang
)

type injected struct {
	action string
	kind   FaultKind
	left   int // < 0: forever
}

// Server is the fake. Create it with New; it is an http.Handler. It is
// safe for concurrent use.
type Server struct {
	mu       sync.Mutex
	now      func() time.Time
	timings  Timings
	policy   *Policy
	requests []Request
	faults   []*injected
	released chan struct{}
	closed   bool
	rng      *rand.Rand

	clusters    map[string]*cluster
	templates   map[string]*template
	experiments []*experiment
	dbClusters  map[string]*dbCluster
	dbInstances map[string]*dbInstance
	alarms      map[string]*alarm
	metrics     map[MetricKey]MetricFunc
}

// Option configures a Server.
type Option func(*Server)

// WithClock makes the Server read time from now instead of time.Now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithTimings sets how long state transitions take.
func WithTimings(t Timings) Option { return func(s *Server) { s.timings = t.withDefaults() } }

// WithSeed seeds the Server's own randomness (FIS target selection, ids).
func WithSeed(seed uint64) Option {
	return func(s *Server) { s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
}

// New returns an empty Server: no clusters, templates, databases, alarms or
// metrics (add them with the Add methods) and no policy (every action
// allowed until SetPolicy).
func New(opts ...Option) *Server {
	s := &Server{
		now:         time.Now,
		timings:     DefaultTimings(),
		released:    make(chan struct{}),
		rng:         rand.New(rand.NewPCG(1, 2)),
		clusters:    map[string]*cluster{},
		templates:   map[string]*template{},
		dbClusters:  map[string]*dbCluster{},
		dbInstances: map[string]*dbInstance{},
		alarms:      map[string]*alarm{},
		metrics:     map[MetricKey]MetricFunc{},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// SetPolicy makes the Server enforce an IAM identity policy (JSON, as IAM
// takes it): a call whose action the policy does not allow is answered with
// the service's AccessDenied error. A nil doc removes the policy.
func (s *Server) SetPolicy(doc []byte) error {
	var p *Policy
	if doc != nil {
		var err error
		if p, err = ParsePolicy(doc); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy = p
	return nil
}

// Fail makes the next times calls of action ("ecs:StopTask") fail with
// kind; times < 0 fails every call until ClearFaults.
func (s *Server) Fail(action string, kind FaultKind, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &injected{action: action, kind: kind, left: times})
}

// ClearFaults removes every injected failure.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Close releases every hung call. The Server answers nothing after it
// (each call gets a 503), so an httptest.Server around it closes at once.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.released)
	}
}

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Calls returns the requests of one IAM action ("fis:StartExperiment").
func (s *Server) Calls(action string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Action == action {
			out = append(out, r)
		}
	}
	return out
}

// Actions returns the IAM actions of every request, in order.
func (s *Server) Actions() []string {
	var out []string
	for _, r := range s.Requests() {
		out = append(out, r.Action)
	}
	return out
}

// Serve answers on addr, which must be a loopback address ("127.0.0.1:0"),
// until ctx ends; ready is called with the base URL once it listens.
func (s *Server) Serve(ctx context.Context, addr string, ready func(url string)) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("awsfake listens only on loopback, not %s", host)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		s.Close()
		srv.Close()
	}()
	if ready != nil {
		ready("http://" + ln.Addr().String())
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// apiError is an error answer, rendered in each protocol's own shape.
type apiError struct {
	status  int
	code    string // the wire code: AccessDeniedException, Throttling, …
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errValidation(service, format string, args ...any) *apiError {
	code := "ValidationException"
	switch service {
	case "rds":
		code = "InvalidParameterValue"
	case "monitoring":
		code = "InvalidParameterValue"
	case "ecs":
		code = "InvalidParameterException"
	}
	return &apiError{status: 400, code: code, message: fmt.Sprintf(format, args...)}
}

// call is one decoded request on its way through the Server.
type call struct {
	service, op string
	params      map[string]any
	// extra IAM actions the call needs beyond its own (iam:PassRole).
	extra []string
}

var scopeRE = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request`)

var iamPrefix = map[string]string{"ecs": "ecs", "fis": "fis", "rds": "rds", "monitoring": "cloudwatch"}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	auth := r.Header.Get("Authorization")
	m := scopeRE.FindStringSubmatch(auth)
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || m == nil || r.Header.Get("X-Amz-Date") == "" {
		// What AWS answers an unsigned request, in plain words; no client
		// of ours can reach this.
		http.Error(w, "MissingAuthenticationToken: request is not signed with SigV4", http.StatusForbidden)
		return
	}
	service := m[2]
	var c call
	var perr *apiError
	switch service {
	case "ecs":
		c, perr = decodeECS(r, body)
	case "fis":
		c, perr = decodeFIS(r, body)
	case "rds":
		c, perr = decodeRDS(r, body)
	case "monitoring":
		c, perr = decodeCloudWatch(r, body)
	default:
		http.Error(w, "awsfake does not serve "+service, http.StatusNotFound)
		return
	}
	if perr != nil {
		writeError(w, service, perr)
		return
	}
	action := iamPrefix[service] + ":" + c.op
	attempt := 1
	if h := r.Header.Get("Amz-Sdk-Request"); h != "" {
		_, _ = fmt.Sscanf(h, "attempt=%d", &attempt)
	}

	s.mu.Lock()
	now := s.now()
	idx := len(s.requests)
	s.requests = append(s.requests, Request{At: now, Service: service, Operation: c.op, Action: action, Params: c.params, Attempt: attempt})
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "awsfake closed", http.StatusServiceUnavailable)
		return
	}
	kind, faulted := s.takeFault(action)
	if faulted && kind == Hang {
		released := s.released
		s.mu.Unlock()
		select {
		case <-r.Context().Done():
		case <-released:
		}
		return
	}
	var out any
	switch {
	case faulted && kind == Throttle:
		perr = throttle(service)
	case faulted && kind == Deny:
		perr = denied(service, action)
	default:
		for _, a := range append([]string{action}, c.extra...) {
			if s.policy != nil && !s.policy.Allows(a) {
				perr = denied(service, a)
				break
			}
		}
	}
	if perr == nil {
		s.advance(now)
		out, perr = s.dispatch(service, c, now)
	}
	status := 200
	if perr != nil {
		status = perr.status
		s.requests[idx].Error = perr.code
	}
	s.requests[idx].Status = status
	s.mu.Unlock()

	if perr != nil {
		writeError(w, service, perr)
		return
	}
	writeOK(w, service, c.op, out)
}

func (s *Server) takeFault(action string) (FaultKind, bool) {
	for i, f := range s.faults {
		if f.action != action || f.left == 0 {
			continue
		}
		if f.left > 0 {
			f.left--
		}
		if f.left == 0 {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return f.kind, true
	}
	return 0, false
}

func (s *Server) dispatch(service string, c call, now time.Time) (any, *apiError) {
	switch service {
	case "ecs":
		return s.ecsCall(c, now)
	case "fis":
		return s.fisCall(c, now)
	case "rds":
		return s.rdsCall(c, now)
	default:
		return s.cloudWatchCall(c, now)
	}
}

// advance moves every system to now. Order matters: experiments act on
// ECS tasks and read alarms, and ECS replaces what they stopped.
func (s *Server) advance(now time.Time) {
	for _, e := range s.experiments {
		s.advanceExperiment(e, now)
	}
	for _, c := range s.clusters {
		for _, svc := range c.services {
			s.reconcile(svc, now)
		}
	}
	for _, c := range s.dbClusters {
		s.advanceDBCluster(c, now)
	}
	for _, i := range s.dbInstances {
		advanceDBInstance(i, now)
	}
}

func throttle(service string) *apiError {
	switch service {
	case "rds", "monitoring":
		return &apiError{status: 400, code: "Throttling", message: "Rate exceeded"}
	case "fis":
		return &apiError{status: 429, code: "ThrottlingException", message: "Rate exceeded"}
	}
	return &apiError{status: 400, code: "ThrottlingException", message: "Rate exceeded"}
}

// denied is the service's AccessDenied answer, with the message AWS gives.
func denied(service, action string) *apiError {
	code := "AccessDeniedException"
	if service == "rds" || service == "monitoring" {
		code = "AccessDenied"
	}
	msg := fmt.Sprintf("User: arn:aws:iam::%s:user/gameday is not authorized to perform: %s on resource: * because no identity-based policy allows the %s action", Account, action, action)
	status := 400
	if service != "ecs" {
		status = 403
	}
	return &apiError{status: status, code: code, message: msg}
}

func writeError(w http.ResponseWriter, service string, e *apiError) {
	switch service {
	case "ecs":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(e.status)
		writeJSON(w, map[string]any{"__type": e.code, "message": e.message})
	case "fis":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", e.code)
		w.WriteHeader(e.status)
		writeJSON(w, map[string]any{"message": e.message})
	case "rds":
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.status)
		writeQueryError(w, e)
	default:
		writeCBORError(w, e)
	}
}

func writeOK(w http.ResponseWriter, service, op string, out any) {
	switch service {
	case "ecs":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		writeJSON(w, out)
	case "fis":
		w.Header().Set("Content-Type", "application/json")
		writeJSON(w, out)
	case "rds":
		w.Header().Set("Content-Type", "text/xml")
		writeQueryResult(w, op, out.(xmlNode))
	default:
		writeCBOR(w, out)
	}
}

// newID returns n random hex characters.
func (s *Server) newID(n int) string {
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return hex.EncodeToString(b)[:n]
}

func (s *Server) uuid() string {
	h := s.newID(32)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func trimBody(b []byte) []byte { return bytes.TrimSpace(b) }
