package prometheus

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

func TestConfigDefaults(t *testing.T) {
	c, err := ConfigFrom(providers.Fields{FieldURL: "http://prom:9090/"})
	if err != nil {
		t.Fatal(err)
	}
	if c.URL != "http://prom:9090" {
		t.Errorf("URL = %q, want the trailing slash gone", c.URL)
	}
	want := map[string]time.Duration{
		"scrape interval": 15 * time.Second,
		"interval":        15 * time.Second,
		"rate window":     time.Minute, // max(15s+15s, 4×15s)
		"lag":             16 * time.Second,
		"history":         5 * time.Minute,
		"timeout":         10 * time.Second,
	}
	got := map[string]time.Duration{
		"scrape interval": c.ScrapeInterval, "interval": c.Interval, "rate window": c.RateWindow,
		"lag": c.Lag, "history": c.History, "timeout": c.Timeout,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %s, want %s", k, got[k], w)
		}
	}
	if g := c.Names(); !slices.Equal(g, []string{"p95_ms", "error_rate", "throughput_rps", "running"}) {
		t.Errorf("Names = %v", g)
	}
	wantQ := map[string]string{
		"p95_ms":         `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m]))) * 1000`,
		"error_rate":     `(sum(rate(http_requests_total{code=~"5.."}[1m])) or vector(0)) / sum(rate(http_requests_total[1m]))`,
		"throughput_rps": `sum(rate(http_requests_total{code!~"5.."}[1m]))`,
		"running":        `sum(up)`,
	}
	for name, q := range wantQ {
		if c.Queries[name] != q {
			t.Errorf("query %s =\n  %s\nwant\n  %s", name, c.Queries[name], q)
		}
	}
}

func TestConfigSelectorWindowAndOverrides(t *testing.T) {
	c, err := ConfigFrom(providers.Fields{
		FieldURL: "https://prom.example/prefix", FieldJob: "api",
		FieldSelector:       map[string]any{"namespace": "shop", "env": `a"b`},
		FieldScrapeInterval: "1s", FieldInterval: "2s", FieldEvaluationInterval: "5s",
		FieldQueries: map[string]any{
			"running":     "", // turned off
			"p95_ms":      `my_p95{$selector}`,
			"queue_depth": `max(queue{$selector}[$window])`,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.RateWindow != 4*time.Second { // max(2s+1s, 4×1s)
		t.Errorf("rate window = %s", c.RateWindow)
	}
	if c.Lag != 7*time.Second { // 1s scrape + 5s evaluation + 1s
		t.Errorf("lag = %s", c.Lag)
	}
	sel := `env="a\"b",job="api",namespace="shop"`
	if got := c.Queries["error_rate"]; got != `(sum(rate(http_requests_total{`+sel+`,code=~"5.."}[4s])) or vector(0)) / sum(rate(http_requests_total{`+sel+`}[4s]))` {
		t.Errorf("error_rate = %s", got)
	}
	if got := c.Queries["p95_ms"]; got != `my_p95{`+sel+`}` {
		t.Errorf("p95_ms = %s", got)
	}
	if got := c.Queries["queue_depth"]; got != `max(queue{`+sel+`}[4s])` {
		t.Errorf("queue_depth = %s", got)
	}
	if _, ok := c.Queries["running"]; ok {
		t.Error("an empty running query should turn the series off")
	}
	if g := c.Names(); !slices.Equal(g, []string{"p95_ms", "error_rate", "throughput_rps", "queue_depth"}) {
		t.Errorf("Names = %v", g)
	}
	if g := Series(providers.Fields{FieldQueries: map[string]any{"p95_ms": "x", "queue_depth": "y", "lag_s": "z"}}); !slices.Equal(g, []string{"lag_s", "queue_depth"}) {
		t.Errorf("Series = %v", g)
	}
}

func TestCheck(t *testing.T) {
	ok := func(f providers.Fields) providers.Fields {
		out := providers.Fields{FieldURL: "http://127.0.0.1:9090"}
		for k, v := range f {
			out[k] = v
		}
		return out
	}
	cases := map[string]struct {
		f    providers.Fields
		path string
		msg  string
	}{
		"credentials in the url": {providers.Fields{FieldURL: "https://u:p@prom:9090"}, FieldURL, "must not hold credentials"},
		"not http":               {providers.Fields{FieldURL: "prom:9090"}, FieldURL, "http:// or https://"},
		"a query string":         {providers.Fields{FieldURL: "http://prom:9090/?x=1"}, FieldURL, "without a query"},
		"a token, not its name":  {ok(providers.Fields{FieldTokenEnv: "eyJhbGciOiJIUzI1NiJ9.e30.abc"}), FieldTokenEnv, "not its value"},
		"a password, not a name": {ok(providers.Fields{FieldBasicAuthUser: "u", FieldPasswordEnv: "hunter2!"}), FieldPasswordEnv, "not its value"},
		"user without password":  {ok(providers.Fields{FieldBasicAuthUser: "u"}), FieldBasicAuthUser, "password_env"},
		"password without user":  {ok(providers.Fields{FieldPasswordEnv: "P"}), FieldPasswordEnv, "basic_auth_user"},
		"token and basic auth":   {ok(providers.Fields{FieldTokenEnv: "T", FieldBasicAuthUser: "u", FieldPasswordEnv: "P"}), FieldTokenEnv, "not both"},
		"insecure and a CA":      {ok(providers.Fields{FieldInsecureSkipVerify: true, FieldCAFile: "ca.pem"}), FieldInsecureSkipVerify, "ignore ca_file"},
		"bad series name":        {ok(providers.Fields{FieldQueries: map[string]any{"Queue-Depth": "x"}}), "queries.Queue-Depth", "series name"},
		"empty named query":      {ok(providers.Fields{FieldQueries: map[string]any{"queue_depth": " "}}), "queries.queue_depth", "empty"},
		"bad label":              {ok(providers.Fields{FieldSelector: map[string]any{"app-name": "x"}}), "selector.app-name", "label name"},
		"job disagrees":          {ok(providers.Fields{FieldJob: "a", FieldSelector: map[string]any{"job": "b"}}), "", "disagree"},
		"window too short":       {ok(providers.Fields{FieldScrapeInterval: "15s", FieldRateWindow: "20s"}), FieldRateWindow, "two scrape intervals"},
		"history too long":       {ok(providers.Fields{FieldInterval: "1s", FieldHistory: "24h"}), FieldHistory, "11000 points"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			errs := Check(tc.f)
			if !slices.ContainsFunc(errs, func(e providers.FieldError) bool { return e.Path == tc.path && strings.Contains(e.Msg, tc.msg) }) {
				t.Errorf("Check = %v, want an error at %q saying %q", errs, tc.path, tc.msg)
			}
		})
	}
	good := ok(providers.Fields{FieldJob: "api", FieldTokenEnv: "PROM_TOKEN", FieldCAFile: "/etc/ca.pem",
		FieldQueries: map[string]any{"running": "", "queue_depth": "max(q)"}, FieldScrapeInterval: "1s"})
	if errs := Check(good); len(errs) > 0 {
		t.Errorf("Check of a good mapping = %v", errs)
	}
}

// TestSpecFields checks that every field constant is declared in the spec
// and the other way round, so a field the source reads cannot be refused
// by the loader.
func TestSpecFields(t *testing.T) {
	spec := SourceSpec()
	if spec.Name != SourceName || spec.Series == nil || spec.Check == nil {
		t.Fatalf("spec = %+v", spec)
	}
	var names []string
	for _, f := range spec.Fields {
		names = append(names, f.Name)
		if f.Doc == "" {
			t.Errorf("field %s has no doc", f.Name)
		}
	}
	all := []string{FieldURL, FieldQueries, FieldJob, FieldSelector, FieldInterval, FieldScrapeInterval, FieldEvaluationInterval,
		FieldRateWindow, FieldLag, FieldHistory, FieldTimeout, FieldTokenEnv, FieldBasicAuthUser, FieldPasswordEnv, FieldCAFile, FieldInsecureSkipVerify}
	slices.Sort(names)
	slices.Sort(all)
	if !slices.Equal(names, all) {
		t.Errorf("spec fields %v, constants %v", names, all)
	}
}
