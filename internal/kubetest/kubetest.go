// Package kubetest runs a real Kubernetes API server for tests: Debian's
// etcd and a kube-apiserver built by scripts/kube-tools.sh, both on
// loopback, in a temporary directory, for the life of one test. It installs
// the real Chaos Mesh CRDs (with their full OpenAPI schemas), hands out an
// admin config and token-authenticated configs of ServiceAccounts bound to
// given Roles, and plays the controllers and kubelets a real cluster would
// run (Controllers), since none runs here.
//
// Start skips the test, naming the command to run, when
// GAMEDAY_KUBE_APISERVER is not set, unless GAMEDAY_REQUIRE_INTEGRATION=1,
// when it fails it instead (CI sets it). Nothing it starts outlives the
// test: processes are killed at cleanup, and by the kernel (Pdeathsig) if
// the test binary dies first.
//
// It is used by tests only.
package kubetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The environment variables Start reads. scripts/kube-tools.sh prints the
// first two; .ci/run sets the third.
const (
	EnvAPIServer           = "GAMEDAY_KUBE_APISERVER"
	EnvChaosMeshCRDs       = "GAMEDAY_CHAOS_MESH_CRDS"
	EnvRequireIntegration  = "GAMEDAY_REQUIRE_INTEGRATION"
	EnvEtcd                = "GAMEDAY_ETCD" // optional: the etcd binary (default: etcd on PATH, then /usr/bin/etcd)
	howToGetTheTools       = `eval "$(scripts/kube-tools.sh)"   # builds kube-apiserver into ~/.cache/gameday-tools (about 10 min the first time)` + "\n\tapt-get install etcd-server"
	startTimeout           = 90 * time.Second
	crdEstablishedDeadline = 2 * time.Minute
)

// Cluster is a running API server with etcd behind it.
type Cluster struct {
	// URL is the API server's https URL on 127.0.0.1.
	URL string
	// Dir holds etcd's data, the keys, the certificates and both logs.
	Dir string
	// CRDs is how many Chaos Mesh CRDs were installed and Established.
	CRDs int

	admin *rest.Config
	kube  kubernetes.Interface
	dyn   dynamic.Interface
}

// Start starts etcd and kube-apiserver for t, waits for /readyz, installs
// the Chaos Mesh CRDs and waits until every one is Established. Everything
// is stopped at t's cleanup.
func Start(t testing.TB) *Cluster {
	t.Helper()
	apiserver := os.Getenv(EnvAPIServer)
	crds := os.Getenv(EnvChaosMeshCRDs)
	etcd := etcdBinary()
	switch {
	case apiserver == "" || crds == "":
		unavailable(t, EnvAPIServer+" and "+EnvChaosMeshCRDs+" are not set; run:\n\t"+howToGetTheTools)
	case etcd == "":
		unavailable(t, "no etcd binary (Debian: apt-get install etcd-server; or set "+EnvEtcd+")")
	}
	for _, f := range []string{apiserver, crds} {
		if _, err := os.Stat(f); err != nil {
			unavailable(t, fmt.Sprintf("%v; run:\n\t%s", err, howToGetTheTools))
		}
	}

	c := &Cluster{Dir: t.TempDir()}
	etcdURL := c.startEtcd(t, etcd)
	c.startAPIServer(t, apiserver, etcdURL)
	c.installCRDs(t, crds)
	return c
}

// unavailable skips t, or fails it when the integration tests are required.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(EnvRequireIntegration) == "1" {
		t.Fatalf("the Kubernetes integration tests are required (%s=1), but %s", EnvRequireIntegration, why)
	}
	t.Skipf("no real API server: %s", why)
}

func etcdBinary() string {
	if p := os.Getenv(EnvEtcd); p != "" {
		return p
	}
	if p, err := exec.LookPath("etcd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/etcd"); err == nil {
		return "/usr/bin/etcd"
	}
	return ""
}

// Admin returns a config with the cluster's admin token (system:masters).
func (c *Cluster) Admin() *rest.Config { return rest.CopyConfig(c.admin) }

// Kube returns a typed client with the admin config.
func (c *Cluster) Kube() kubernetes.Interface { return c.kube }

// Dynamic returns a dynamic client with the admin config.
func (c *Cluster) Dynamic() dynamic.Interface { return c.dyn }

// proc is a child process, started from a goroutine locked to its OS
// thread: Pdeathsig is tied to the thread that forked the child, and the
// Go runtime may retire an ordinary goroutine's thread while the test
// binary lives on, which would kill the child early. The goroutine stays
// locked until the child has exited.
type proc struct {
	name   string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
	err    error
}

func (c *Cluster) start(t testing.TB, name string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(c.Dir, filepath.Base(name)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{name: filepath.Base(name), cmd: exec.Command(name, args...), log: logPath, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = sysProcAttr()
	p.cmd.Dir = c.Dir
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the child
		defer close(p.exited)
		defer logFile.Close()
		if err := p.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = p.cmd.Wait()
	}()
	if err := <-started; err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// alive reports an error naming the log's tail when p has exited.
func (p *proc) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s exited (%v); the end of its log:\n%s", p.name, p.err, tail(p.log, 30))
	default:
		return nil
	}
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePort returns a loopback port nobody listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (c *Cluster) startEtcd(t testing.TB, bin string) string {
	t.Helper()
	client := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	peer := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	p := c.start(t, bin,
		"--name=default",
		"--data-dir="+filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls="+client, "--advertise-client-urls="+client,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
		"--initial-cluster=default="+peer,
		"--log-level=warn",
	)
	poll(t, startTimeout, p, "etcd /health", func() bool {
		resp, err := http.Get(client + "/health")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && bytes.Contains(b, []byte(`"true"`))
	})
	return client
}

func (c *Cluster) startAPIServer(t testing.TB, bin, etcdURL string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, pubFile := filepath.Join(c.Dir, "sa.key"), filepath.Join(c.Dir, "sa.pub")
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	writeFile(t, pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	token := randomHex(t, 16)
	tokens := filepath.Join(c.Dir, "tokens.csv")
	writeFile(t, tokens, []byte(token+",admin,admin,system:masters\n"))

	port := freePort(t)
	certDir := filepath.Join(c.Dir, "certs")
	p := c.start(t, bin,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", port),
		// Without it the server refuses a loopback advertise address.
		"--endpoint-reconciler-type=none",
		"--cert-dir="+certDir,
		"--token-auth-file="+tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+pubFile,
		"--service-account-signing-key-file="+keyFile,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--profiling=false",
	)
	c.URL = fmt.Sprintf("https://127.0.0.1:%d", port)
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, Timeout: 5 * time.Second}
	poll(t, startTimeout, p, "kube-apiserver /readyz", func() bool {
		req, _ := http.NewRequest(http.MethodGet, c.URL+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := insecure.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	// The self-signed serving certificate the server wrote (with its CA),
	// so that clients verify it rather than skip verification.
	ca, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
	if err != nil {
		t.Fatalf("the API server's serving certificate: %v", err)
	}
	c.admin = &rest.Config{
		Host:            c.URL,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		QPS:             200,
		Burst:           400,
		UserAgent:       "gameday-kubetest",
	}
	if c.kube, err = kubernetes.NewForConfig(c.admin); err != nil {
		t.Fatal(err)
	}
	if c.dyn, err = dynamic.NewForConfig(c.admin); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// poll calls ok until it is true, failing t at the deadline or as soon as
// p has exited.
func poll(t testing.TB, deadline time.Duration, p *proc, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !ok() {
		if err := p.alive(); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if time.Now().After(end) {
			t.Fatalf("%s not ready after %s; the end of %s:\n%s", what, deadline, p.log, tail(p.log, 30))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installCRDs creates every CustomResourceDefinition of the multi-document
// YAML file at path and waits until each is Established.
func (c *Cluster) installCRDs(t testing.TB, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), crdEstablishedDeadline)
	defer cancel()
	var names []string
	dec := yamlutil.NewYAMLOrJSONDecoder(bufio.NewReader(f), 1<<16)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode %s: %v", path, err)
		}
		if obj == nil {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetKind() != "CustomResourceDefinition" {
			continue
		}
		if _, err := c.dyn.Resource(crdResource).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create CRD %s: %v", u.GetName(), err)
		}
		names = append(names, u.GetName())
	}
	if len(names) == 0 {
		t.Fatalf("%s holds no CustomResourceDefinition", path)
	}
	for _, name := range names {
		err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			u, err := c.dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			for _, cond := range conds {
				m, _ := cond.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Fatalf("CRD %s not Established: %v", name, err)
		}
	}
	c.CRDs = len(names)
}

// Namespace creates the namespace name with its default ServiceAccount (a
// controller-manager would create that one; none runs here) and returns
// name. Namespaces are not deleted: without a controller-manager they
// would stay Terminating, and the whole cluster goes at cleanup anyway.
func (c *Cluster) Namespace(t testing.TB, name string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := c.kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	if _, err := c.kube.CoreV1().ServiceAccounts(name).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create the default ServiceAccount of %s: %v", name, err)
	}
	return name
}

// ServiceAccount creates the ServiceAccount name in namespace ns, creates
// each of roles (a *rbacv1.Role goes in ns, a *rbacv1.ClusterRole is
// cluster-wide) and binds it to the ServiceAccount, waits until the API
// server's authorizer has seen the bindings, and returns a config that
// authenticates as the ServiceAccount with a token from the TokenRequest
// API. The config has no other permission than those of the roles (and
// what every authenticated user may do, such as discovery).
func (c *Cluster) ServiceAccount(t testing.TB, ns, name string, roles ...any) *rest.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sa, err := c.kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create ServiceAccount %s/%s: %v", ns, name, err)
	}
	subject := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: ns}}
	var probes []authorizationv1.ResourceAttributes
	for _, r := range roles {
		switch r := r.(type) {
		case *rbacv1.Role:
			r = r.DeepCopy()
			r.Namespace = ns
			if _, err := c.kube.RbacV1().Roles(ns).Create(ctx, r, metav1.CreateOptions{}); err != nil {
				t.Fatalf("create Role %s/%s: %v", ns, r.Name, err)
			}
			rb := &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: r.Name + "-" + name, Namespace: ns},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: r.Name},
				Subjects:   subject,
			}
			if _, err := c.kube.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
				t.Fatalf("create RoleBinding %s/%s: %v", ns, rb.Name, err)
			}
			probes = append(probes, probe(r.Rules, ns)...)
		case *rbacv1.ClusterRole:
			r = r.DeepCopy()
			if _, err := c.kube.RbacV1().ClusterRoles().Create(ctx, r, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("create ClusterRole %s: %v", r.Name, err)
			}
			crb := &rbacv1.ClusterRoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: r.Name + "-" + ns + "-" + name},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: r.Name},
				Subjects:   subject,
			}
			if _, err := c.kube.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
				t.Fatalf("create ClusterRoleBinding %s: %v", crb.Name, err)
			}
			probes = append(probes, probe(r.Rules, "")...)
		default:
			t.Fatalf("ServiceAccount: %T is neither a *rbacv1.Role nor a *rbacv1.ClusterRole", r)
		}
	}
	user := "system:serviceaccount:" + ns + ":" + name
	for _, attrs := range probes {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:               user,
			Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			ResourceAttributes: &attrs,
		}}
		err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			got, err := c.kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
			return err == nil && got.Status.Allowed, err
		})
		if err != nil {
			t.Fatalf("the binding of %s never took effect for %+v: %v", user, attrs, err)
		}
	}
	return c.Token(t, ns, sa.Name)
}

// Token returns a config that authenticates as the existing ServiceAccount
// name of namespace ns, with a one-hour token from the TokenRequest API.
func (c *Cluster) Token(t testing.TB, ns, name string) *rest.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tr, err := c.kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3600))},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("request a token for ServiceAccount %s/%s: %v", ns, name, err)
	}
	cfg := rest.AnonymousClientConfig(c.admin)
	cfg.BearerToken = tr.Status.Token
	cfg.UserAgent = "gameday-kubetest-" + name
	return cfg
}

// probe returns one access check per rule: its first verb on its first
// resource, which is allowed once the binding is in the authorizer's cache.
func probe(rules []rbacv1.PolicyRule, ns string) []authorizationv1.ResourceAttributes {
	var out []authorizationv1.ResourceAttributes
	for _, r := range rules {
		if len(r.Verbs) == 0 || len(r.Resources) == 0 {
			continue
		}
		a := authorizationv1.ResourceAttributes{Namespace: ns, Verb: r.Verbs[0], Resource: r.Resources[0]}
		if len(r.APIGroups) > 0 {
			a.Group = r.APIGroups[0]
		}
		if len(r.ResourceNames) > 0 {
			a.Name = r.ResourceNames[0]
		}
		out = append(out, a)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
