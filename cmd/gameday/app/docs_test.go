package app

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gameday-tui/gameday/scenarios"
)

// TestMetricsDocExamples checks that the scenario examples of
// docs/metrics.md are valid for this build: a whole scenario as it
// stands, a metrics or load mapping inside a scenario that needs one.
func TestMetricsDocExamples(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "metrics.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(b), -1)
	if len(blocks) < 3 {
		t.Fatalf("found %d yaml examples in docs/metrics.md", len(blocks))
	}
	const frame = `title: Doc example
hypothesis: h
blast_radius: b
rollback: r
target: { provider: sandbox }
steady_state:
  p95_ms: { max: 500 }
phases: { baseline: 1m, fault: 1m, recovery: 1m }
faults:
  - kind: latency
    params: { delay: 100ms }
`
	opts := defaultRegistry().options()
	for i, m := range blocks {
		src := m[1]
		switch {
		case strings.HasPrefix(src, "title:"):
		case strings.HasPrefix(src, "metrics:"):
			src = frame + "load: { command: [k6, run, x.js] }\n" + src
		case strings.HasPrefix(src, "load:"):
			src = frame + src + "metrics: { source: prometheus, url: \"http://127.0.0.1:9090\" }\n"
		default:
			t.Errorf("example %d: not a scenario, a metrics or a load mapping:\n%s", i+1, src)
			continue
		}
		if _, err := scenarios.Parse("metrics.md", []byte(src), opts); err != nil {
			t.Errorf("example %d of docs/metrics.md does not validate: %v\n%s", i+1, err, src)
		}
	}
}
