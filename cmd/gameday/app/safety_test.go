package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/engine"
	"github.com/gameday-tui/gameday/providers/sandbox"
)

// startTestSandbox starts a sandbox from the test binary (TestMain plays
// its children) and publishes it in a fresh state directory, so that runs
// attach to it as they would to `gameday sandbox`. Journals go to that
// directory too.
func startTestSandbox(t *testing.T) *sandbox.Sandbox {
	t.Helper()
	t.Setenv(sandbox.StateDirEnv, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sb, err := sandbox.Start(ctx, sandbox.Options{RestartDelay: time.Second})
	if err != nil {
		t.Fatalf("start the sandbox: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	if err := sandbox.WriteState(sb.State()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sandbox.RemoveState() })
	return sb
}

// hookIDs returns the IDs of every hook the sandbox knows, active or not.
func hookIDs(t *testing.T, sb *sandbox.Sandbox) map[string]bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := sb.Client().Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, h := range st.Hooks {
		ids[h.ID] = true
	}
	return ids
}

// journals lists the journal files in the state directory.
func journals(t *testing.T) []string {
	t.Helper()
	dir, err := journalDir()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	return m
}

// planYAML is a scenario against the sandbox; extra is spliced in at the
// top level and fault is the single fault's mapping.
func planYAML(title, target, extra, fault string) string {
	return "title: " + title + `
hypothesis: the service keeps serving
blast_radius: some replicas
rollback: abort
target: ` + target + `
load: { rate: 20 }
steady_state:
  running: { min: 1 }
phases: { baseline: 1s, fault: 2s, recovery: 1s }
` + extra + `
faults:
  - ` + fault + "\n"
}

const prodTarget = "{ provider: sandbox, name: payments-prod, environment: production }"

// TestSafetyRails drives `gameday run` against a real sandbox: dry run,
// blast radius caps and the production guard. None of the refused runs,
// and no dry run, applies a hook or writes a journal.
func TestSafetyRails(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a sandbox")
	}
	sb := startTestSandbox(t)
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		writeScenario(t, p, data)
		return p
	}
	stop := write("stop.yaml", planYAML("Stop one", prodTarget, "max_percent: 25", "{ kind: instance-stop, selection: { percent: 10 } }"))
	allLatency := write("all.yaml", planYAML("Delay all", prodTarget, "max_count: 2", "{ kind: latency, params: { delay: 10ms } }"))
	overPercent := write("percent.yaml", planYAML("One is too many", "{ provider: sandbox }", "max_percent: 20", "{ kind: instance-stop, selection: { count: 1 } }"))
	before := hookIDs(t, sb)

	t.Run("dry run changes nothing", func(t *testing.T) {
		out, errOut, code := execRoot(ctx, "run", stop, "--dry-run")
		if code != ExitOK {
			t.Fatalf("exit %d; stdout %q; stderr %q", code, out, errOut)
		}
		for _, want := range []string{
			`dry run of "Stop one"`,
			"blast    f1 instance-stop: will stop 1 of 4 replicas, chosen at inject time, e.g. replica-",
			"calls    f1 instance-stop at +0s, ttl 32s:",
			"POST http://127.0.0.1:", "{kind: kill, percent: 10, ttl: 32s}",
			"DELETE http://127.0.0.1:",
			"production: a real run needs --confirm payments-prod",
			"dry run: nothing was changed",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q:\n%s", want, out)
			}
		}
	})

	refusals := map[string]struct {
		args   []string
		stderr string
	}{
		"selection beyond max_count": {
			args:   []string{"run", allLatency, "--headless", "--confirm", "payments-prod"},
			stderr: "blast radius refused: refusing to start: f1 latency would hit 4 targets, beyond the plan's max_count of 2",
		},
		"selection beyond max_percent": {
			args:   []string{"run", overPercent, "--headless"},
			stderr: "f1 instance-stop would hit 1 of 4 targets (25%), beyond the plan's max_percent of 20% (0 of 4)",
		},
		"dry run of a refused plan": {
			args:   []string{"run", allLatency, "--dry-run"},
			stderr: "beyond the plan's max_count of 2",
		},
		"production without --confirm": {
			args:   []string{"run", stop, "--headless"},
			stderr: `target "payments-prod" is marked environment: production; pass --confirm payments-prod to run against it`,
		},
		"production with the wrong name": {
			args:   []string{"run", stop, "--headless", "--confirm", "payments"},
			stderr: `"payments" is not the target's name; pass --confirm payments-prod`,
		},
	}
	for name, tc := range refusals {
		t.Run(name, func(t *testing.T) {
			out, errOut, code := execRoot(ctx, tc.args...)
			if code != ExitInvalid || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q (stdout %q)", code, errOut, ExitInvalid, tc.stderr, out)
			}
		})
	}

	if after := hookIDs(t, sb); len(after) != len(before) {
		t.Errorf("dry runs and refused runs applied hooks: %d before, %d after", len(before), len(after))
	}
	if j := journals(t); len(j) != 0 {
		t.Errorf("dry runs and refused runs wrote journals: %v", j)
	}

	// The console's dry run: the plan card lists the calls, and a run goes
	// through its phases, journaling each fault as a dry run, never
	// applying a hook.
	t.Run("console dry run", func(t *testing.T) {
		plan, err := findPlan(stop, nil)
		if err != nil {
			t.Fatal(err)
		}
		tg := &conn{provider: sb.Client(), running: sb.Client(), loadBase: sb.State().LB}
		pv, err := previewFaults(ctx, tg, plan, true)
		if err != nil || len(pv) != 1 || !strings.HasPrefix(pv[0].Summary, "will stop 1 of 4 replicas") ||
			len(pv[0].Calls) != 2 || !strings.HasPrefix(pv[0].Calls[0], "POST http://") {
			t.Fatalf("preview = %+v, %v; want the blast radius and the calls", pv, err)
		}
		s, err := startSession(ctx, tg, plan, sessionOptions{DryRun: true, JournalPath: filepath.Join(t.TempDir(), "dry.jsonl")})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		select {
		case <-s.Done():
		case <-time.After(60 * time.Second):
			t.Fatal("the dry run did not end")
		}
		if o := s.Outcome(); !strings.HasPrefix(o.Reason, "dry run, nothing injected") {
			t.Errorf("outcome %s %q, want a reason that says dry run", o.Verdict, o.Reason)
		}
		recs := readRecords(t, s.JournalPath())
		if env := recs[0].Env; env == nil || !env.DryRun || len(env.Targets) != 1 {
			t.Errorf("environment = %+v, want a dry run with the resolved target", env)
		}
		var dry *engine.FaultStatus
		for _, r := range recs {
			if r.Type == engine.RecFault && r.Fault != nil {
				if r.Fault.State != engine.FaultDryRun {
					t.Errorf("fault record in state %s in a dry run", r.Fault.State)
				}
				dry = r.Fault
			}
		}
		if dry == nil || len(dry.Calls) != 2 || !strings.Contains(dry.Calls[0], "kind: kill") {
			t.Errorf("dry-run fault record = %+v, want the calls", dry)
		}
		report, err := s.Report()
		if err != nil || !strings.Contains(report, "(dry run: nothing was injected)") || !strings.Contains(report, "**Dry run:** yes") {
			t.Errorf("report (%v) does not say dry run:\n%s", err, report)
		}
		if after := hookIDs(t, sb); len(after) != len(before) {
			t.Errorf("the console's dry run applied a hook")
		}
	})
}

// TestSecretsNeverReachJournalOrReport is issue 5's planted-secrets test:
// an AWS access key ID, an aws_secret_access_key=…, a bearer token and a
// user:pass@ URL planted in the scenario file (description, hypothesis,
// blast radius, rollback, target name), in a flag value (--confirm, the
// scenario's path) and in the process environment never appear in the
// journal or the report of a real headless run, nor in what it prints.
func TestSecretsNeverReachJournalOrReport(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a sandbox")
	}
	startTestSandbox(t)
	env := map[string]string{
		"AWS_ACCESS_KEY_ID":     "AKIAI44QH8DHBENVKEY1",
		"AWS_SECRET_ACCESS_KEY": "zV9qEnvSecretAccessKeyValue0123456789abc",
		"GAMEDAY_API_TOKEN":     "gdtok-9f8e7d6c5b4a",
		"DATABASE_URL":          "postgres://app:envpa55word@db.internal/app",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	secrets := []string{
		"AKIAIOSFODNN7EXAMPLE",
		"wJalrXUtnFEMI/K7MDENG",
		"eyJhbGciOiJIUzI1NiJ9",
		"hunter2pass",
		"s3cr3tT0k3nPath",
		"AKIAI44QH8DHBENVKEY1",
		"zV9qEnvSecretAccessKeyValue",
		"gdtok-9f8e7d6c5b4a",
		"envpa55word",
	}
	const name = "ops-AKIAIOSFODNN7EXAMPLE"
	scenario := `title: Secrets everywhere
description: "rotate with aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
hypothesis: "latency holds for key AKIAIOSFODNN7EXAMPLE"
blast_radius: "one replica; call with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.cGF5bG9hZA.c2ln"
rollback: "abort; runbook at https://deploy:hunter2pass@git.internal/ops"
target: { provider: sandbox, name: ` + name + `, environment: production }
load: { rate: 20 }
steady_state:
  running: { min: 1 }
phases: { baseline: 1s, fault: 2s, recovery: 1s }
faults:
  - kind: latency
    selection: { count: 1 }
    params: { delay: 10ms }
`
	dir := filepath.Join(t.TempDir(), "token=s3cr3tT0k3nPath")
	path := filepath.Join(dir, "plan.yaml")
	writeScenario(t, path, scenario)
	out := t.TempDir()
	journal, report := filepath.Join(out, "run.jsonl"), filepath.Join(out, "run.md")

	stdout, stderr, code := execRoot(context.Background(), "run", path, "--headless", "--confirm", name, "--journal", journal, "--report", report)
	if code != ExitOK && code != ExitViolated {
		t.Fatalf("exit %d; stdout %q; stderr %q", code, stdout, stderr)
	}
	jb, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	// The run really ran, and the planted values were really there to leak.
	if !bytes.Contains(jb, []byte(`"type":"verdict"`)) || !bytes.Contains(jb, []byte(engine.Redacted)) {
		t.Fatalf("the journal has no verdict or nothing redacted:\n%s", jb)
	}
	// The report escapes what it quotes for markdown: [REDACTED] shows as
	// \[REDACTED\] in the file and as [REDACTED] on GitHub.
	redacted := `\[REDACTED\]`
	for _, want := range []string{"latency holds for key " + redacted, "ops-" + redacted + " (production)", "deploy:" + redacted + "@git.internal"} {
		if !bytes.Contains(rb, []byte(want)) {
			t.Errorf("report lacks %q (the test wants the planted fields rendered)", want)
		}
	}
	for _, s := range secrets {
		for what, text := range map[string][]byte{"journal": jb, "report": rb, "stdout": []byte(stdout)} {
			if bytes.Contains(bytes.ToLower(text), []byte(strings.ToLower(s))) {
				t.Errorf("secret %q found in the %s", s, what)
			}
		}
	}
}
