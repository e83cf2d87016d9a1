package e2e

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/internal/awsfake"
)

// awsWorld is a world whose gameday processes reach a fake AWS (the demo
// world the shipped AWS scenarios name) through AWS_ENDPOINT_URL, as a
// user points gameday at an emulator, with made-up static credentials.
func awsWorld(t *testing.T) (*world, *awsfake.Server) {
	t.Helper()
	fake := awsfake.New(awsfake.WithTimings(awsfake.Timings{TaskReplace: time.Second, Failover: 2 * time.Second, Reboot: time.Second}))
	fake.AddDemo()
	srv := httptest.NewServer(fake)
	t.Cleanup(func() { fake.Close(); srv.Close() })
	w := newWorld(t)
	w.extraEnv = []string{
		"AWS_ENDPOINT_URL=" + srv.URL,
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_CONFIG_FILE=" + filepath.Join(w.home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(w.home, "aws-credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PROFILE=", "AWS_REGION=", "AWS_DEFAULT_REGION=",
	}
	return w, fake
}

// quickAWSScenario copies a shipped AWS scenario into dir with its
// CloudWatch period shortened to a second, as a user shortening a run
// would edit it (a 60 s period has no point inside a few seconds' phase).
func quickAWSScenario(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(moduleDir, "scenarios", "aws", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "period: 60s }", "period: 1s, lag: 2s, interval: 1s }", 1)
	if s == string(data) {
		t.Fatalf("%s: no metrics period to shorten", name)
	}
	path := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var awsScenarios = []string{"instance-stop", "latency", "cpu-spike", "memory-exhaustion", "database-failure", "dependency-outage", "fis-template"}

// TestAWSScenariosHeadless validates every shipped AWS scenario, dry-runs
// each with the exact API calls, and runs each headless against the fake
// AWS to a verdict with its fault rolled back and verified clean; nothing
// gameday created is left in the fake, and no credential reached the
// journal, the report or the output.
func TestAWSScenariosHeadless(t *testing.T) {
	entries, _ := filepath.Glob(filepath.Join(moduleDir, "scenarios", "aws", "*.yaml"))
	if len(entries) != len(awsScenarios) {
		t.Fatalf("scenarios/aws has %d files, the test knows %d: add the new one to awsScenarios", len(entries), len(awsScenarios))
	}
	w, fake := awsWorld(t)
	args := append([]string{"validate"}, entries...)
	if p, code := w.run(t, time.Minute, args...); code != 0 {
		t.Fatalf("validate: exit %d\n%s", code, p.output())
	}
	for _, name := range awsScenarios {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := quickAWSScenario(t, dir, name)
			dry, code := w.run(t, time.Minute, "run", path, "--dry-run")
			if code != 0 || !strings.Contains(dry.stdout.String(), "aws ") {
				t.Fatalf("dry run: exit %d\n%s", code, dry.output())
			}
			before := len(fake.Requests())
			journal, report := filepath.Join(dir, "run.jsonl"), filepath.Join(dir, "run.md")
			p, code := w.run(t, runLimit, "run", path, "--headless", "--journal", journal, "--report", report, "--baseline", "4s", "--fault", "6s", "--recovery", "5s")
			if code != 0 {
				t.Errorf("exit %d, want 0 (the demo service holds its steady state)\n%s", code, p.output())
			}
			recs := readJournal(t, journal)
			if o := outcome(t, recs); o.Verdict != engine.VerdictHeld {
				t.Errorf("verdict %s (%s), want held", o.Verdict, o.Reason)
			}
			f1 := checkFaultCycle(t, recs, "f1")
			t.Logf("%s: %s; verified: %v; %d AWS calls", name, f1.State, f1.Verification.Details, len(fake.Requests())-before)
			for _, x := range fake.Experiments() {
				if !slices.Contains([]string{"stopped", "completed", "failed"}, x.Status) {
					t.Errorf("experiment %s is %s after the run", x.ID, x.Status)
				}
			}
			if tm := fake.Templates(); len(tm) != 1 {
				t.Errorf("templates after the run: %v; only the team's %s should be left", tm, awsfake.DemoTemplateID)
			}
			for _, file := range []string{journal, report} {
				data, _ := os.ReadFile(file)
				if strings.Contains(string(data), "wJalrXUtnFEMI") || strings.Contains(string(data), "AKIAIOSFODNN7EXAMPLE") {
					t.Errorf("%s holds the AWS credentials", file)
				}
			}
			if out := p.stdout.String() + p.stderr.String(); strings.Contains(out, "wJalrXUtnFEMI") {
				t.Error("the output holds the AWS secret key")
			}
		})
	}
}

// TestAWSKillRecover SIGKILLs a headless AWS run while its FIS experiment
// runs, then `gameday recover` stops the experiment and deletes the
// template; it lists them by the owner tag as well, which is how it finds
// them when the run died before journaling their ids
// (providers/aws TestRecoverByOwner).
func TestAWSKillRecover(t *testing.T) {
	w, fake := awsWorld(t)
	dir := t.TempDir()
	path := quickAWSScenario(t, dir, "latency")
	journal := filepath.Join(dir, "run.jsonl")
	p := w.start(t, runLimit, "run", path, "--headless", "--journal", journal, "--baseline", "2s", "--fault", "2m", "--recovery", "2s")
	deadline := time.Now().Add(time.Minute)
	for {
		xs := fake.Experiments()
		if len(xs) == 1 && xs[0].Status == "running" {
			break
		}
		if p.exited() || time.Now().After(deadline) {
			t.Fatalf("no running experiment\n%s", p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.wait(t, 30*time.Second)
	if x := fake.Experiments()[0]; x.Status != "running" {
		t.Fatalf("experiment %s after the kill, want still running", x.Status)
	}
	rp, code := w.run(t, 2*time.Minute, "recover", journal)
	if code != 0 {
		t.Fatalf("recover: exit %d\n%s", code, rp.output())
	}
	if !strings.Contains(rp.stdout.String(), "verified clean") {
		t.Errorf("recover did not say verified clean\n%s", rp.output())
	}
	if x := fake.Experiments()[0]; x.Status != "stopped" {
		t.Errorf("experiment %s after recover, want stopped", x.Status)
	}
	if tm := fake.Templates(); len(tm) != 1 {
		t.Errorf("templates after recover: %v", tm)
	}
	if len(fake.Calls("fis:StopExperiment")) == 0 || len(fake.Calls("fis:DeleteExperimentTemplate")) == 0 {
		t.Errorf("recover made no stop or delete call: %v", fake.Actions())
	}
	if rp2, code := w.run(t, time.Minute, "recover", journal); code != 0 || !strings.Contains(rp2.stdout.String(), "nothing to recover") {
		t.Errorf("a second recover: exit %d\n%s", code, rp2.output())
	}
}
