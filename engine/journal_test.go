package engine

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/scenarios"
)

func sampleRecords() []Record {
	t0 := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	plan := testPlan(fault("f1", providers.InstanceStop))
	inj := &providers.Injection{FaultID: "f1", Provider: "fake", Kind: providers.InstanceStop, Targets: []providers.Target{{ID: "r1", Name: "replica-1"}}, Handles: []string{"h1"}, ExpiresAt: t0.Add(time.Minute)}
	return []Record{
		{Seq: 1, At: t0, Type: RecPlan, Plan: plan, Env: &Environment{Provider: "fake", Version: "v1", Targets: []providers.Target{{ID: "r1"}}}},
		{Seq: 2, At: t0.Add(time.Millisecond), Type: RecPhase, Phase: "baseline"},
		{Seq: 3, At: t0.Add(time.Second), Type: RecSample, Sample: &providers.Sample{At: t0.Add(time.Second), P50: 1.5, P95: 120.25, P99: 200, Requests: 10, Errors: 1, ErrorRate: 0.1, Throughput: 10, Running: 3, ErrorsBy: map[string]int64{"timeout": 1}}},
		{Seq: 4, At: t0.Add(2 * time.Second), Type: RecFault, Fault: &FaultStatus{Fault: plan.Faults[0], State: FaultActive, Targets: inj.Targets, Injection: inj, InjectedAt: t0.Add(2 * time.Second), EndsAt: t0.Add(time.Minute)}},
		{Seq: 5, At: t0.Add(3 * time.Second), Type: RecNote, Note: &Note{Kind: Success, Text: "fine & <dandy>"}},
		{Seq: 6, At: t0.Add(4 * time.Second), Type: RecAbort, Reason: "stop condition"},
		{Seq: 7, At: t0.Add(5 * time.Second), Type: RecFault, Fault: &FaultStatus{Fault: plan.Faults[0], State: FaultRolledBack, Injection: inj, Verification: &providers.Verification{Clean: true, Details: []string{"ok"}}}},
		{Seq: 8, At: t0.Add(6 * time.Second), Type: RecVerdict, Outcome: &Outcome{Verdict: VerdictAborted, Reason: "stop condition", Checks: []Check{{Phase: "baseline", Metric: scenarios.P95, Value: 120, Bound: scenarios.Bound{Max: fp(200)}, Holds: true, Samples: 1}}}},
	}
}

func TestJournalRoundTrip(t *testing.T) {
	t.Parallel()
	recs := sampleRecords()
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != len(recs) {
		t.Errorf("%d lines for %d records", n, len(recs))
	}
	got, err := ReadJournal(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", got, recs)
	}
}

func TestEncoderSyncsEachRecord(t *testing.T) {
	t.Parallel()
	var b syncBuffer
	enc := NewEncoder(&b)
	for i, r := range sampleRecords()[:3] {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b.Synced(), []byte("\n")); n != i+1 {
			t.Fatalf("after record %d, %d lines synced", i+1, n)
		}
	}
}

func TestTornLastLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	recs := sampleRecords()
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	full := buf.Bytes()
	lastStart := bytes.LastIndexByte(full[:len(full)-1], '\n') + 1
	torn := full[:lastStart+20] // the last record cut mid-write

	got, err := ReadJournal(bytes.NewReader(torn))
	var te *TornRecordError
	if !errors.As(err, &te) {
		t.Fatalf("error = %v, want a *TornRecordError", err)
	}
	if te.Line != len(recs) {
		t.Errorf("torn line = %d, want %d", te.Line, len(recs))
	}
	if len(got) != len(recs)-1 {
		t.Errorf("got %d records before the torn line, want %d", len(got), len(recs)-1)
	}

	// A bad line in the middle is not a torn write: it is an error naming
	// the line.
	lines := strings.Split(string(full), "\n")
	lines[2] = lines[2][:10]
	_, err = ReadJournal(strings.NewReader(strings.Join(lines, "\n")))
	if err == nil || errors.As(err, &te) || !strings.Contains(err.Error(), "journal line 3") {
		t.Errorf("middle corruption: error = %v, want a plain error naming line 3", err)
	}

	// A complete last line without its newline is fine.
	got, err = ReadJournal(bytes.NewReader(full[:len(full)-1]))
	if err != nil || len(got) != len(recs) {
		t.Errorf("no final newline: %d records, err %v", len(got), err)
	}
	// Decode says io.EOF at the end.
	d := NewDecoder(bytes.NewReader(nil))
	if _, err := d.Decode(); !errors.Is(err, io.EOF) {
		t.Errorf("Decode on empty = %v, want io.EOF", err)
	}
}

func TestUnfinishedFromCrashedJournal(t *testing.T) {
	t.Parallel()
	recs := sampleRecords()[:5] // active, then the crash
	u := Unfinished(recs)
	if len(u) != 1 || u[0].Fault.ID != "f1" || u[0].State != FaultActive || u[0].Injection == nil || u[0].Injection.Handles[0] != "h1" {
		t.Errorf("Unfinished = %+v, want f1 active with its injection", u)
	}
	snap := Replay(recs)
	if snap.Phase != Baseline || snap.Outcome != nil || len(snap.Samples) != 1 {
		t.Errorf("Replay = phase %s, outcome %v, %d samples", snap.Phase, snap.Outcome, len(snap.Samples))
	}
	if len(Unfinished(sampleRecords())) != 0 {
		t.Error("a rolled back fault is reported unfinished")
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in     string
		want   string
		secret string
	}{
		"aws key id":        {in: "key AKIAIOSFODNN7EXAMPLE in use", want: "key [REDACTED] in use", secret: "AKIAIOSFODNN7EXAMPLE"},
		"aws secret":        {in: "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", want: "aws_secret_access_key=[REDACTED]", secret: "wJalrXUtnFEMI"},
		"aws secret env":    {in: "AWS_SECRET_ACCESS_KEY: abc123xyz", want: "AWS_SECRET_ACCESS_KEY: [REDACTED]", secret: "abc123xyz"},
		"bearer":            {in: "sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig to the API", want: "sent Bearer [REDACTED] to the API", secret: "eyJhbGci"},
		"authorization":     {in: "Authorization: Basic dXNlcjpwYXNz", want: "Authorization: [REDACTED]", secret: "dXNlcjpwYXNz"},
		"header in quotes":  {in: `curl -H 'Authorization: token abc' x`, want: `curl -H 'Authorization: [REDACTED]' x`, secret: "abc"},
		"url credentials":   {in: "postgres://admin:hunter2@db:5432/app", want: "postgres://admin:[REDACTED]@db:5432/app", secret: "hunter2"},
		"query token":       {in: "https://api/x?a=1&token=s3cr3t&b=2", want: "https://api/x?a=1&token=[REDACTED]&b=2", secret: "s3cr3t"},
		"password pair":     {in: "password=pa55 user=bob", want: "password=[REDACTED] user=bob", secret: "pa55"},
		"secret colon":      {in: `client_secret: "xyz789"`, want: `client_secret: "[REDACTED]"`, secret: "xyz789"},
		"flag":              {in: "tool --api-token abc123 --region eu", want: "tool --api-token [REDACTED] --region eu", secret: "abc123"},
		"github token":      {in: "ghp_0123456789abcdefghijABCDEFGHIJ", want: "[REDACTED]", secret: "ghp_0123"},
		"nothing secret":    {in: "p95_ms 312 ms > 200 ms during baseline", want: "p95_ms 312 ms > 200 ms during baseline"},
		"url without creds": {in: "http://127.0.0.1:8080/path@v1", want: "http://127.0.0.1:8080/path@v1"},
		"json secret":       {in: `{"db_password":"pa55w0rd","user":"bob"}`, want: `{"db_password":"[REDACTED]","user":"bob"}`, secret: "pa55w0rd"},
		"yaml token":        {in: "token: abc.def", want: "token: [REDACTED]", secret: "abc.def"},
		"env secret":        {in: "GITLAB_TOKEN=glpat-xyz", want: "GITLAB_TOKEN=[REDACTED]", secret: "glpat-xyz"},
		// Identifiers survive: an ARN of a Secrets Manager secret, a Chaos
		// Mesh resource, a hook id, an owner label, a target name; and
		// prose about tokens is prose.
		"secrets manager arn": {in: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-password-AbCdEf", want: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-password-AbCdEf"},
		"chaos mesh name":     {in: "networkchaos.chaos-mesh.org/gd-20261129t095413-1a2b3c4d-f1-token-service deleted", want: "networkchaos.chaos-mesh.org/gd-20261129t095413-1a2b3c4d-f1-token-service deleted"},
		"kubectl resource":    {in: "kubectl delete podchaos -n shop password-reset-f1", want: "kubectl delete podchaos -n shop password-reset-f1"},
		"hook and owner":      {in: "hook h-7f3a (owner 20261129t095413-1a2b3c4d.f1) on secret-store-2", want: "hook h-7f3a (owner 20261129t095413-1a2b3c4d.f1) on secret-store-2"},
		"prose tokens":        {in: "tokens: 5 refreshed, secrets: none rotated", want: "tokens: 5 refreshed, secrets: none rotated"},
		"path component":      {in: "/tmp/x/token=s3cr3tT0k3nPath/plan.yaml", want: "/tmp/x/token=[REDACTED]", secret: "s3cr3tT0k3nPath"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := Redact(tc.in)
			if got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if tc.secret != "" && strings.Contains(got, tc.secret) {
				t.Errorf("secret %q survived", tc.secret)
			}
			if again := Redact(got); again != got {
				t.Errorf("Redact is not stable: %q → %q", got, again)
			}
		})
	}
}

func TestRedactJSONKeepsValidJSON(t *testing.T) {
	t.Parallel()
	rec := Record{Seq: 1, Type: RecNote, Note: &Note{Kind: Observation, Text: "a \"quoted\" token=abc&x=1 <b> \\ back"}}
	line, err := marshalRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadJournal(bytes.NewReader(line))
	if err != nil {
		t.Fatalf("redacted line does not parse: %v\n%s", err, line)
	}
	if want := "a \"quoted\" token=[REDACTED]&x=1 <b> \\ back"; got[0].Note.Text != want {
		t.Errorf("note = %q, want %q", got[0].Note.Text, want)
	}
}
