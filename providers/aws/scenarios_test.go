package aws_test

import (
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/internal/awsfake"
	"github.com/gameday-tui/gameday/providers"
	gdaws "github.com/gameday-tui/gameday/providers/aws"
)

// TestShippedScenariosRunAgainstFake runs each shipped AWS scenario's
// faults the way a run does — with AWS_ENDPOINT_URL pointing at the fake,
// as a user would point it at an emulator — through blast radius, dry
// run, inject, rollback and verification, and reads its metrics from
// CloudWatch against its steady state. (The engine's verdict over these
// waits for the provider registry; see docs/aws.md.)
func TestShippedScenariosRunAgainstFake(t *testing.T) {
	fake := awsfake.New(awsfake.WithTimings(fastTimings))
	fake.AddDemo()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	defer fake.Close()
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)

	for _, sh := range loadShipped(t) {
		t.Run(sh.path, func(t *testing.T) {
			ctx := ctxT(t)
			cfg, err := gdaws.LoadConfig(ctx, "", sh.target.String("region"), nil)
			if err != nil {
				t.Fatal(err)
			}
			clients := gdaws.NewClients(cfg)
			p := gdaws.New(clients, sh.target, gdaws.WithPollInterval(10*time.Millisecond))

			// Steady state from CloudWatch, on a one-second period as a
			// shortened run would read it.
			metrics := providers.Fields{}
			for k, v := range sh.file.Metrics {
				metrics[k] = v
			}
			metrics["period"], metrics["lag"] = "1s", "2s"
			samples, err := gdaws.NewCloudWatchSource(clients.Metrics, metrics).Poll(ctx)
			if err != nil || len(samples) == 0 {
				t.Fatalf("metrics: %d samples, %v", len(samples), err)
			}
			for name, bound := range sh.file.SteadyState {
				if name == providers.SeriesRunning {
					n, err := p.Running(ctx)
					if err != nil || float64(n) < bound["min"] {
						t.Errorf("running %d, %v against %v", n, err, bound)
					}
					continue
				}
				v, ok := samples[len(samples)-1].Value(name)
				if max, has := bound["max"]; !ok || has && v > max {
					t.Errorf("%s = %v, steady state %v", name, v, bound)
				}
				if min, has := bound["min"]; has && v < min {
					t.Errorf("%s = %v, steady state %v", name, v, bound)
				}
			}

			for i, f := range sh.faults {
				f.Owner = providers.OwnerLabel("run-"+sh.path, f.ID)
				targets, err := p.Targets(ctx, f)
				if err != nil || len(targets) == 0 {
					t.Fatalf("%s: targets %v, %v", f.ID, targets, err)
				}
				all, err := p.TargetCount(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if c := sh.file.MaxCount; c > 0 && len(targets) > c {
					t.Errorf("%s: %d targets beyond max_count %d", f.ID, len(targets), c)
				}
				if pc := sh.file.MaxPercent; pc > 0 && float64(len(targets)) > float64(all)*pc/100 {
					t.Errorf("%s: %d of %d targets beyond max_percent %v", f.ID, len(targets), all, pc)
				}
				ttl := sh.life[i] + p.Timeouts().TTLMargin
				calls, err := p.Plan(ctx, f, ttl)
				if err != nil || len(calls) < 2 {
					t.Fatalf("%s: plan %v, %v", f.ID, calls, err)
				}
				inj, err := p.Inject(ctx, f, ttl)
				if err != nil {
					t.Fatalf("%s: inject: %v", f.ID, err)
				}
				if err := p.Rollback(ctx, inj); err != nil {
					t.Fatalf("%s: rollback: %v", f.ID, err)
				}
				v := mustVerifyClean(t, p, inj)
				t.Logf("%s %s: %d target(s), %d calls planned; verified: %v", f.ID, f.Kind, len(targets), len(calls), v.Details)
			}
			for _, x := range fake.Experiments() {
				if x.Status != "stopped" && x.Status != "completed" && x.Status != "failed" {
					t.Errorf("experiment %s left %s", x.ID, x.Status)
				}
			}
			if tm := fake.Templates(); len(tm) != 1 || !has(tm, awsfake.DemoTemplateID) {
				t.Errorf("templates left: %v (only the team's own should remain)", tm)
			}
		})
	}
}

func has[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}
