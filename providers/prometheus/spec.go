package prometheus

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/gameday-tui/gameday/providers"
)

// SourceName is the source's name in scenario files (metrics: { source:
// prometheus }) and on its samples.
const SourceName = "prometheus"

// The fields of a scenario's metrics mapping the source reads.
const (
	FieldURL                = "url"
	FieldQueries            = "queries"
	FieldJob                = "job"
	FieldSelector           = "selector"
	FieldInterval           = "interval"
	FieldScrapeInterval     = "scrape_interval"
	FieldEvaluationInterval = "evaluation_interval"
	FieldRateWindow         = "rate_window"
	FieldLag                = "lag"
	FieldHistory            = "history"
	FieldTimeout            = "timeout"
	FieldTokenEnv           = "token_env"
	FieldBasicAuthUser      = "basic_auth_user"
	FieldPasswordEnv        = "password_env"
	FieldCAFile             = "ca_file"
	FieldInsecureSkipVerify = "insecure_skip_verify"
)

// Defaults of the timing fields.
const (
	// DefaultScrapeInterval is the scrape interval assumed when the
	// scenario does not say: the one most Prometheus configurations use.
	DefaultScrapeInterval = 15 * time.Second
	// DefaultHistory is how far back the range query at start reaches.
	DefaultHistory = 5 * time.Minute
	// IngestMargin is added to the scrape and evaluation intervals to
	// make the default lag: a scrape takes time, and so does the answer.
	IngestMargin = time.Second
	// maxPoints is Prometheus's limit on the points of one series in a
	// range query.
	maxPoints = 11000
)

// Placeholders a query may use; every query, default or given, has them
// replaced before it is sent.
const (
	// PlaceholderSelector is replaced by the label matchers of job and
	// selector, without braces: job="api",namespace="shop".
	PlaceholderSelector = "$selector"
	// PlaceholderWindow is replaced by the rate window: 1m.
	PlaceholderWindow = "$window"
)

// DefaultQueries are the queries of the four classic series when a
// scenario does not give its own, written against the metric names most
// HTTP services export (the Prometheus client libraries' and most
// exporters' conventions):
//
//   - http_request_duration_seconds, a histogram of request durations;
//   - http_requests_total, a counter of requests with a code label;
//   - up, Prometheus's own 1 or 0 per scrape target.
//
// Throughput counts the requests answered without a server error, as the
// load generator counts successful responses: a service that answers
// everything with 503 serves nothing. The error ratio adds "or vector(0)"
// to its numerator: a service that has never failed has no 5xx series at
// all, and that is a ratio of 0, not a gap. With no requests at all the
// ratio is 0/0, which the source shows as a gap.
var DefaultQueries = map[string]string{
	providers.SeriesP95:        `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{$selector}[$window]))) * 1000`,
	providers.SeriesErrorRate:  `(sum(rate(http_requests_total{$selector,code=~"5.."}[$window])) or vector(0)) / sum(rate(http_requests_total{$selector}[$window]))`,
	providers.SeriesThroughput: `sum(rate(http_requests_total{$selector,code!~"5.."}[$window]))`,
	providers.SeriesRunning:    `sum(up{$selector})`,
}

var (
	seriesNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	envNameRE    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// SourceSpec is what the source accepts in a scenario's metrics mapping.
// Only url is required; every query has a default (DefaultQueries) that
// queries may replace, and queries may add named series, which
// steady_state and stop_conditions can then bound.
func SourceSpec() providers.SourceSpec {
	return providers.SourceSpec{
		Name: SourceName,
		Fields: []providers.FieldSpec{
			{Name: FieldURL, Type: providers.FieldString, Required: true, Doc: "the Prometheus server's address, e.g. http://prometheus:9090"},
			{Name: FieldQueries, Type: providers.FieldStringMap, Doc: "PromQL per series: p95_ms, error_rate, throughput_rps, running, or a name of your own"},
			{Name: FieldJob, Type: providers.FieldString, Doc: "the job label the default queries select"},
			{Name: FieldSelector, Type: providers.FieldStringMap, Doc: "more labels the default queries select, e.g. { namespace: shop }"},
			{Name: FieldInterval, Type: providers.FieldDuration, Min: providers.Ptr(1), Max: providers.Ptr(3600), Doc: "how often the queries run (default: the scrape interval)"},
			{Name: FieldScrapeInterval, Type: providers.FieldDuration, Min: providers.Ptr(1), Max: providers.Ptr(3600), Doc: "how often Prometheus scrapes the service (default 15s)"},
			{Name: FieldEvaluationInterval, Type: providers.FieldDuration, Min: providers.Ptr(0), Max: providers.Ptr(3600), Doc: "the rule evaluation interval, when queries read recording rules"},
			{Name: FieldRateWindow, Type: providers.FieldDuration, Min: providers.Ptr(1), Max: providers.Ptr(3600), Doc: "the range of rate() in the default queries (default: 4 scrape intervals)"},
			{Name: FieldLag, Type: providers.FieldDuration, Min: providers.Ptr(0), Max: providers.Ptr(3600), Doc: "how long after a moment its data is complete in Prometheus (default: scrape + evaluation interval + 1s)"},
			{Name: FieldHistory, Type: providers.FieldDuration, Min: providers.Ptr(0), Max: providers.Ptr(24 * 3600), Doc: "how far back the graphs are filled at start (default 5m; 0s for none)"},
			{Name: FieldTimeout, Type: providers.FieldDuration, Min: providers.Ptr(0.1), Max: providers.Ptr(300), Doc: "how long one query may take"},
			{Name: FieldTokenEnv, Type: providers.FieldString, Doc: "the NAME of an environment variable holding a bearer token (never the token itself)"},
			{Name: FieldBasicAuthUser, Type: providers.FieldString, Doc: "the user for basic auth"},
			{Name: FieldPasswordEnv, Type: providers.FieldString, Doc: "the NAME of an environment variable holding the basic auth password"},
			{Name: FieldCAFile, Type: providers.FieldString, Doc: "a PEM file of the CA certificates to trust for https"},
			{Name: FieldInsecureSkipVerify, Type: providers.FieldBool, Doc: "do not verify the server's certificate (never against production)"},
		},
		Series: Series,
		Check:  Check,
	}
}

// Series returns the named series a configuration delivers beyond the
// four classic ones: the names in queries that are not classic, sorted.
// An empty query of a classic series turns that series off (running, say,
// where up counts a load balancer rather than the replicas behind it).
func Series(f providers.Fields) []string {
	var out []string
	for name := range f.StringMap(FieldQueries) {
		if !classic(name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func classic(name string) bool {
	switch name {
	case providers.SeriesP95, providers.SeriesErrorRate, providers.SeriesThroughput, providers.SeriesRunning:
		return true
	}
	return false
}

// Check checks a metrics mapping as a whole: a usable URL without
// credentials in it, query names and texts, label names, the names of
// environment variables (a token pasted where its variable's name belongs
// is refused, so it never reaches the journal), and timings that make
// sense together.
func Check(f providers.Fields) []providers.FieldError {
	var errs []providers.FieldError
	add := func(path, format string, a ...any) {
		errs = append(errs, providers.NewFieldError(path, format, a...))
	}
	if raw := f.String(FieldURL); f.Has(FieldURL) {
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			add(FieldURL, "not a URL: %v", err)
		case u.Scheme != "http" && u.Scheme != "https":
			add(FieldURL, "url must start with http:// or https://, got %q", raw)
		case u.Host == "":
			add(FieldURL, "url has no host: %q", raw)
		case u.User != nil:
			add(FieldURL, "url must not hold credentials: use basic_auth_user and password_env, or token_env")
		case u.RawQuery != "" || u.Fragment != "":
			add(FieldURL, "url is the server's address (and path prefix), without a query or fragment")
		}
	}
	for _, name := range sortedKeys(f.StringMap(FieldQueries)) {
		q := f.StringMap(FieldQueries)[name]
		at := FieldQueries + "." + name
		switch {
		case !seriesNameRE.MatchString(name):
			add(at, "a series name is lower-case letters, digits and _, starting with a letter; got %q", name)
		case strings.TrimSpace(q) == "" && !classic(name):
			add(at, "query of %s is empty: give its PromQL", name)
		}
	}
	for _, l := range sortedKeys(f.StringMap(FieldSelector)) {
		if !labelNameRE.MatchString(l) {
			add(FieldSelector+"."+l, "%q is not a Prometheus label name", l)
		}
	}
	for _, k := range []string{FieldTokenEnv, FieldPasswordEnv} {
		if v := f.String(k); f.Has(k) && !envNameRE.MatchString(v) {
			add(k, "%s is the name of an environment variable (like PROMETHEUS_TOKEN), not its value; the value must never be in a scenario file", k)
		}
	}
	user, pass := f.Has(FieldBasicAuthUser), f.Has(FieldPasswordEnv)
	switch {
	case user && !pass:
		add(FieldBasicAuthUser, "basic auth needs password_env too (the name of the variable holding the password)")
	case pass && !user:
		add(FieldPasswordEnv, "password_env is for basic auth: give basic_auth_user too")
	}
	if f.Has(FieldTokenEnv) && user {
		add(FieldTokenEnv, "use a bearer token (token_env) or basic auth (basic_auth_user), not both")
	}
	if f.Bool(FieldInsecureSkipVerify) && f.Has(FieldCAFile) {
		add(FieldInsecureSkipVerify, "insecure_skip_verify would ignore ca_file: give one or the other")
	}
	if f.Has(FieldCAFile) && strings.TrimSpace(f.String(FieldCAFile)) == "" {
		add(FieldCAFile, "ca_file is empty")
	}
	if len(errs) > 0 {
		return errs
	}
	c, err := ConfigFrom(f)
	if err != nil {
		add("", "%v", err)
		return errs
	}
	if c.RateWindow < 2*c.ScrapeInterval {
		add(FieldRateWindow, "rate_window %s is shorter than two scrape intervals (%s): rate() needs at least two points in it", c.RateWindow, 2*c.ScrapeInterval)
	}
	if c.History > 0 && c.History/c.Interval > maxPoints {
		add(FieldHistory, "history %s at one point per %s is more than Prometheus's %d points per query", c.History, c.Interval, maxPoints)
	}
	return errs
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// Config is a metrics mapping with its defaults filled in: what a Source
// runs.
type Config struct {
	// URL is the server's address, with any path prefix.
	URL string
	// Queries are the PromQL queries by series name, placeholders
	// replaced: the defaults of the classic series, replaced or joined by
	// the scenario's own.
	Queries map[string]string
	// Interval is how often the queries run and the span of each sample.
	Interval time.Duration
	// ScrapeInterval and EvaluationInterval are Prometheus's: they make
	// the default lag and rate window.
	ScrapeInterval, EvaluationInterval time.Duration
	// RateWindow is the range of rate() in the default queries.
	RateWindow time.Duration
	// Lag is how long after a moment Prometheus holds complete data for
	// it: the source queries each moment this long after it.
	Lag time.Duration
	// History is how far back the range query at start reaches (0: none).
	History time.Duration
	// Timeout bounds one query.
	Timeout time.Duration

	// How to reach the server: the names of the environment variables
	// holding a bearer token or a basic auth password (never the secrets
	// themselves), the basic auth user, a CA file.
	TokenEnv, BasicAuthUser, PasswordEnv, CAFile string
	InsecureSkipVerify                           bool
}

// ConfigFrom reads a metrics mapping (already checked against SourceSpec)
// and fills in the defaults:
//
//	scrape_interval      15s
//	interval             the scrape interval
//	rate_window          max(interval + scrape interval, 4 × scrape interval), as Grafana's $__rate_interval
//	lag                  scrape interval + evaluation interval + 1s
//	history              5m
//	timeout              the interval, within 2s to 10s
func ConfigFrom(f providers.Fields) (Config, error) {
	c := Config{
		URL:                strings.TrimRight(f.String(FieldURL), "/"),
		ScrapeInterval:     f.Duration(FieldScrapeInterval),
		EvaluationInterval: f.Duration(FieldEvaluationInterval),
		Interval:           f.Duration(FieldInterval),
		RateWindow:         f.Duration(FieldRateWindow),
		Lag:                f.Duration(FieldLag),
		History:            f.Duration(FieldHistory),
		Timeout:            f.Duration(FieldTimeout),
		TokenEnv:           f.String(FieldTokenEnv),
		BasicAuthUser:      f.String(FieldBasicAuthUser),
		PasswordEnv:        f.String(FieldPasswordEnv),
		CAFile:             f.String(FieldCAFile),
		InsecureSkipVerify: f.Bool(FieldInsecureSkipVerify),
	}
	if c.URL == "" {
		return c, fmt.Errorf("%s is required", FieldURL)
	}
	if c.ScrapeInterval <= 0 {
		c.ScrapeInterval = DefaultScrapeInterval
	}
	if c.Interval <= 0 {
		c.Interval = max(c.ScrapeInterval, time.Second)
	}
	if c.RateWindow <= 0 {
		c.RateWindow = max(c.Interval+c.ScrapeInterval, 4*c.ScrapeInterval)
	}
	if !f.Has(FieldLag) {
		c.Lag = c.ScrapeInterval + c.EvaluationInterval + IngestMargin
	}
	if !f.Has(FieldHistory) {
		c.History = DefaultHistory
	}
	if c.Timeout <= 0 {
		c.Timeout = min(max(c.Interval, 2*time.Second), 10*time.Second)
	}
	sel, err := matchers(f.String(FieldJob), f.StringMap(FieldSelector))
	if err != nil {
		return c, err
	}
	given := f.StringMap(FieldQueries)
	c.Queries = make(map[string]string, len(DefaultQueries)+len(given))
	for name, q := range DefaultQueries {
		c.Queries[name] = q
	}
	for name, q := range given {
		if strings.TrimSpace(q) == "" {
			delete(c.Queries, name) // a classic series turned off
			continue
		}
		c.Queries[name] = q
	}
	window := model.Duration(c.RateWindow).String()
	for name, q := range c.Queries {
		c.Queries[name] = expand(q, sel, window)
	}
	return c, nil
}

// matchers renders job and selector as PromQL label matchers, sorted by
// label: job="api",namespace="shop".
func matchers(job string, sel map[string]string) (string, error) {
	all := maps.Clone(sel)
	if all == nil {
		all = map[string]string{}
	}
	if job != "" {
		if j, ok := all["job"]; ok && j != job {
			return "", fmt.Errorf("job %q and selector.job %q disagree", job, j)
		}
		all["job"] = job
	}
	parts := make([]string, 0, len(all))
	for _, l := range sortedKeys(all) {
		if !labelNameRE.MatchString(l) {
			return "", fmt.Errorf("%q is not a Prometheus label name", l)
		}
		parts = append(parts, l+"="+strconv.Quote(all[l]))
	}
	return strings.Join(parts, ","), nil
}

// expand replaces the placeholders of q. An empty selector also takes the
// comma that joined it to other matchers, and braces left empty, so
// {$selector,code=~"5.."} and up{$selector} stay tidy PromQL.
func expand(q, selector, window string) string {
	if selector == "" {
		q = strings.ReplaceAll(q, "{"+PlaceholderSelector+"}", "")
		q = strings.ReplaceAll(q, PlaceholderSelector+",", "")
		q = strings.ReplaceAll(q, ","+PlaceholderSelector, "")
	}
	q = strings.ReplaceAll(q, PlaceholderSelector, selector)
	return strings.ReplaceAll(q, PlaceholderWindow, window)
}

// Names returns the series of c in display order: the classic ones, then
// the named ones sorted.
func (c Config) Names() []string {
	var out, named []string
	for _, name := range []string{providers.SeriesP95, providers.SeriesErrorRate, providers.SeriesThroughput, providers.SeriesRunning} {
		if _, ok := c.Queries[name]; ok {
			out = append(out, name)
		}
	}
	for name := range c.Queries {
		if !classic(name) {
			named = append(named, name)
		}
	}
	slices.Sort(named)
	return append(out, named...)
}
