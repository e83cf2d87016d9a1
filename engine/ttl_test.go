package engine

import (
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
)

// TestTTLMarginOption checks that Options.TTLMargin replaces the default
// margin in the TTL handed to Inject.
func TestTTLMarginOption(t *testing.T) {
	t.Parallel()
	prov := newFakeProvider(t)
	f := fault("f1", providers.Latency)
	f.Duration = 150 * time.Millisecond
	plan := testPlan(f)
	plan.Phases.Fault = 500 * time.Millisecond
	const margin = 2 * time.Second
	h := start(t, plan, prov, prov, metricsFor(nil), func(o *Options) { o.TTLMargin = margin })
	h.wait(t)
	if ttl := prov.ttls["f1"]; ttl != f.Duration+margin {
		t.Errorf("TTL = %s, want %s (duration + the configured margin)", ttl, f.Duration+margin)
	}
}
