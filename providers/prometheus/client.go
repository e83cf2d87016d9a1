package prometheus

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// API is the part of the Prometheus HTTP API the source calls, with the
// exact signatures of client_golang's v1.API, so the real client (NewAPI)
// and a test's fake both satisfy it.
type API interface {
	// Query evaluates an instant query at ts.
	Query(ctx context.Context, query string, ts time.Time, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error)
	// QueryRange evaluates a query at every step of r.
	QueryRange(ctx context.Context, query string, r v1.Range, opts ...v1.Option) (model.Value, v1.Warnings, v1.Infos, error)
}

var _ API = v1.API(nil)

// Getenv looks up an environment variable, as os.LookupEnv does.
type Getenv func(name string) (string, bool)

// NewAPI builds the client_golang API client c describes: c.URL, a bearer
// token read from the environment variable c.TokenEnv names, or basic
// auth with c.BasicAuthUser and the password c.PasswordEnv names, and TLS
// trusting c.CAFile's certificates. getenv is os.LookupEnv outside tests.
// A variable that is named but unset or empty is an error: gameday would
// otherwise query without the credentials the scenario asks for.
func NewAPI(c Config, getenv Getenv) (API, error) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if c.CAFile != "" || c.InsecureSkipVerify {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} // only when the scenario asks (insecure_skip_verify)
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("prometheus: read ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("prometheus: ca_file %s holds no PEM certificate", c.CAFile)
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	}
	var rt http.RoundTripper = tr
	switch {
	case c.TokenEnv != "":
		tok, err := secret(getenv, c.TokenEnv, "token_env")
		if err != nil {
			return nil, err
		}
		rt = &authTransport{next: tr, set: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }}
	case c.BasicAuthUser != "":
		pass, err := secret(getenv, c.PasswordEnv, "password_env")
		if err != nil {
			return nil, err
		}
		user := c.BasicAuthUser
		rt = &authTransport{next: tr, set: func(r *http.Request) { r.SetBasicAuth(user, pass) }}
	}
	client, err := api.NewClient(api.Config{Address: c.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("prometheus: %w", err)
	}
	return v1.NewAPI(client), nil
}

// secret reads the environment variable name; field names the scenario
// field that named it, for the error.
func secret(getenv Getenv, name, field string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("prometheus: %s is empty", field)
	}
	v, ok := getenv(name)
	if !ok || v == "" {
		return "", fmt.Errorf("prometheus: %s names the environment variable %s, which is not set", field, name)
	}
	return v, nil
}

// authTransport sets credentials on every request it sends.
type authTransport struct {
	next http.RoundTripper
	set  func(*http.Request)
}

func (t *authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r == nil {
		return nil, errors.New("prometheus: nil request")
	}
	r = r.Clone(r.Context()) // a RoundTripper must not change the caller's request
	t.set(r)
	return t.next.RoundTrip(r)
}
