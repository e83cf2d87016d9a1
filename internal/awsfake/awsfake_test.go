package awsfake

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestPolicyEvaluation(t *testing.T) {
	p, err := ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["ecs:Describe*","fis:*"],"Resource":"*"},
		{"Effect":"Deny","Action":"fis:DeleteExperimentTemplate","Resource":"*"},
		{"Effect":"Allow","NotAction":["ecs:*","fis:*","iam:*"],"Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]bool{
		"ecs:DescribeServices": true, "ECS:describetasks": true, "ecs:StopTask": false,
		"fis:StartExperiment": true, "fis:DeleteExperimentTemplate": false,
		"rds:FailoverDBCluster": true, "iam:PassRole": false,
	}
	for action, want := range tests {
		if got := p.Allows(action); got != want {
			t.Errorf("%s: allowed %v, want %v", action, got, want)
		}
	}
	for _, bad := range []string{`{`, `{"Statement":[{"Effect":"Maybe","Action":"x:y"}]}`, `{"Statement":[{"Effect":"Allow"}]}`} {
		if _, err := ParsePolicy([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

// TestRejectsWhatNoSDKClientSends: unsigned requests, unknown services and
// calls in the wrong protocol are refused, and recorded only when they
// reach a service.
func TestRejectsWhatNoSDKClientSends(t *testing.T) {
	s := New()
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()
	do := func(service, ct, target string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader("{}"))
		if service != "" {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/"+service+"/aws4_request, SignedHeaders=host, Signature=abc")
			req.Header.Set("X-Amz-Date", "20260101T000000Z")
		}
		req.Header.Set("Content-Type", ct)
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := do("", "application/x-amz-json-1.1", ecsTargetPrefix+"ListTasks"); c != http.StatusForbidden {
		t.Errorf("unsigned: %d", c)
	}
	if c := do("s3", "application/xml", ""); c != http.StatusNotFound {
		t.Errorf("unknown service: %d", c)
	}
	if c := do("ecs", "application/json", ecsTargetPrefix+"ListTasks"); c != http.StatusBadRequest {
		t.Errorf("ECS call as plain JSON: %d", c)
	}
	if c := do("monitoring", "application/x-www-form-urlencoded", ""); c != http.StatusNotFound {
		t.Errorf("CloudWatch as awsQuery (what the SDK no longer sends): %d", c)
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("%d requests recorded", n)
	}
}

// TestExperimentLifecycle follows an experiment on a fake clock: pending,
// initiating, running, completed at its action duration; a stop goes
// through stopping to stopped; a stop of an ended one conflicts.
func TestExperimentLifecycle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(WithClock(func() time.Time { return now }), WithTimings(Timings{ExperimentPending: time.Second, ExperimentInitiating: time.Second, ExperimentStopping: time.Second}))
	s.AddService(ServiceSpec{Cluster: "c", Service: "s", Desired: 4})
	tid := s.AddTemplate(TemplateSpec{RoleArn: "arn:aws:iam::123456789012:role/r",
		Targets: map[string]any{"T": map[string]any{"resourceType": "aws:ecs:task", "selectionMode": "COUNT(2)", "parameters": map[string]any{"cluster": "c", "service": "s"}}},
		Actions: map[string]any{"A": map[string]any{"actionId": "aws:ecs:task-cpu-stress", "parameters": map[string]any{"duration": "PT1M"}, "targets": map[string]any{"T": "T"}}},
	})
	start := func() string {
		s.mu.Lock()
		defer s.mu.Unlock()
		out, err := s.fisCall(call{op: "StartExperiment", params: map[string]any{"experimentTemplateId": tid}}, now)
		if err != nil {
			t.Fatal(err)
		}
		return out.(map[string]any)["experiment"].(map[string]any)["id"].(string)
	}
	status := func(id string) string {
		for _, x := range s.Experiments() {
			if x.ID == id {
				return x.Status
			}
		}
		return ""
	}
	id := start()
	for _, step := range []struct {
		d    time.Duration
		want string
	}{{0, "pending"}, {time.Second, "initiating"}, {time.Second, "running"}, {59 * time.Second, "running"}, {time.Second, "completed"}} {
		now = now.Add(step.d)
		if got := status(id); got != step.want {
			t.Fatalf("at +%s: %s, want %s", step.d, got, step.want)
		}
	}
	if st, _ := s.Service("c", "s"); len(st.Faulted) != 2 {
		t.Errorf("%d tasks stressed, want COUNT(2)", len(st.Faulted))
	}
	s.mu.Lock()
	_, err := s.fisCall(call{op: "StopExperiment", params: map[string]any{"id": id}}, now)
	s.mu.Unlock()
	if err == nil || err.code != "ConflictException" {
		t.Errorf("stopping a completed experiment: %v", err)
	}

	id2 := start()
	now = now.Add(3 * time.Second)
	s.mu.Lock()
	s.fisCall(call{op: "StopExperiment", params: map[string]any{"id": id2}}, now)
	s.mu.Unlock()
	if got := status(id2); got != "stopping" {
		t.Fatalf("after stop: %s", got)
	}
	now = now.Add(time.Second)
	if got := status(id2); got != "stopped" {
		t.Fatalf("a second after stop: %s", got)
	}
}

func TestServeOnlyOnLoopback(t *testing.T) {
	if err := New().Serve(context.Background(), "0.0.0.0:0", nil); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("Serve on 0.0.0.0: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- New().Serve(ctx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	u := <-urls
	if !strings.HasPrefix(u, "http://127.0.0.1:") {
		t.Errorf("url %s", u)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
