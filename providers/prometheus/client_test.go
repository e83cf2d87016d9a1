package prometheus

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/gameday-tui/gameday/providers"
)

// promStub is a Prometheus HTTP API on httptest that answers /api/v1/query
// and /api/v1/query_range with fixed bodies, records the Authorization
// header of every request, and fails the test for an endpoint never asked.
type promStub struct {
	mu    sync.Mutex
	auth  []string
	forms []string
	hits  map[string]int
}

func (p *promStub) handler(t *testing.T) http.Handler {
	p.hits = map[string]int{}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.hits["/api/v1/query"] == 0 {
			t.Error("the stub's /api/v1/query was never asked")
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		p.mu.Lock()
		p.auth = append(p.auth, r.Header.Get("Authorization"))
		p.forms = append(p.forms, r.Form.Encode())
		p.hits[r.URL.Path]++
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/query":
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[%s,"42.5"]}]}}`, r.Form.Get("time"))
		case "/api/v1/query_range":
			fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1700000000,"1"],[1700000001,"2"]]}]}}`)
		default:
			http.NotFound(w, r)
		}
	})
}

func env(m map[string]string) Getenv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestNewAPICredentials(t *testing.T) {
	cases := map[string]struct {
		cfg  Config
		env  map[string]string
		want string
	}{
		"none":   {Config{}, nil, ""},
		"bearer": {Config{TokenEnv: "PROM_TOKEN"}, map[string]string{"PROM_TOKEN": "s3cret"}, "Bearer s3cret"},
		"basic":  {Config{BasicAuthUser: "gameday", PasswordEnv: "PROM_PASSWORD"}, map[string]string{"PROM_PASSWORD": "pw"}, "Basic Z2FtZWRheTpwdw=="},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			stub := &promStub{}
			srv := httptest.NewServer(stub.handler(t))
			defer srv.Close()
			tc.cfg.URL = srv.URL
			a, err := NewAPI(tc.cfg, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			ts := time.Date(2026, 3, 1, 10, 0, 3, 0, time.UTC)
			v, _, _, err := a.Query(context.Background(), "up", ts)
			if err != nil {
				t.Fatal(err)
			}
			got, at, problem := instant(v)
			if problem != "" || got != 42.5 || !at.Equal(ts) {
				t.Errorf("answer = %v at %s (%s)", got, at, problem)
			}
			if _, _, _, err := a.QueryRange(context.Background(), "up", v1.Range{Start: ts, End: ts.Add(time.Second), Step: time.Second}); err != nil {
				t.Fatal(err)
			}
			stub.mu.Lock()
			defer stub.mu.Unlock()
			for _, h := range stub.auth {
				if h != tc.want {
					t.Errorf("Authorization = %q, want %q", h, tc.want)
				}
			}
		})
	}
}

func TestNewAPIMissingSecret(t *testing.T) {
	for name, cfg := range map[string]Config{
		"token":    {URL: "http://127.0.0.1:1", TokenEnv: "PROM_TOKEN"},
		"password": {URL: "http://127.0.0.1:1", BasicAuthUser: "u", PasswordEnv: "PROM_TOKEN"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewAPI(cfg, env(map[string]string{"PROM_TOKEN": ""}))
			if err == nil || !strings.Contains(err.Error(), "PROM_TOKEN, which is not set") {
				t.Errorf("err = %v, want it to name the unset variable", err)
			}
		})
	}
}

// TestNewAPITLS checks that ca_file is trusted, and that without it the
// same server's certificate is refused.
func TestNewAPITLS(t *testing.T) {
	stub := &promStub{}
	srv := httptest.NewTLSServer(stub.handler(t))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := NewAPI(Config{URL: srv.URL, CAFile: ca}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := a.Query(context.Background(), "up", time.Now()); err != nil {
		t.Errorf("with ca_file: %v", err)
	}
	plain, err := NewAPI(Config{URL: srv.URL}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := plain.Query(context.Background(), "up", time.Now()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without ca_file: err = %v, want a certificate error", err)
	}
	if _, err := NewAPI(Config{URL: srv.URL, CAFile: filepath.Join(t.TempDir(), "missing.pem")}, env(nil)); err == nil {
		t.Error("a missing ca_file should be an error")
	}
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	_ = os.WriteFile(notPEM, []byte("hello"), 0o600)
	if _, err := NewAPI(Config{URL: srv.URL, CAFile: notPEM}, env(nil)); err == nil || !strings.Contains(err.Error(), "no PEM certificate") {
		t.Errorf("a ca_file without certificates: err = %v", err)
	}
}

// TestSourceOverHTTP runs a source over the real client against the stub:
// the query text and time reach the server, and the answer's timestamp is
// the sample's.
func TestSourceOverHTTP(t *testing.T) {
	stub := &promStub{}
	srv := httptest.NewServer(stub.handler(t))
	defer srv.Close()
	cfg, err := ConfigFrom(providers.Fields{FieldURL: srv.URL, FieldJob: "api", FieldScrapeInterval: "1s", FieldHistory: "0s"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAPI(cfg, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	s := NewSource(a, cfg)
	ts := time.Date(2026, 3, 1, 10, 0, 3, 0, time.UTC)
	smp, ok := s.sampleAt(context.Background(), ts)
	if !ok || !smp.At.Equal(ts) || len(smp.Values) != 4 {
		t.Fatalf("sample = %+v, %t", smp, ok)
	}
	stub.mu.Lock()
	defer stub.mu.Unlock()
	joined := strings.Join(stub.forms, "\n")
	for _, want := range []string{"job%3D%22api%22", "time=" + fmt.Sprint(model.TimeFromUnixNano(ts.UnixNano()).Unix())} {
		if !strings.Contains(joined, want) {
			t.Errorf("requests lack %q:\n%s", want, joined)
		}
	}
}
