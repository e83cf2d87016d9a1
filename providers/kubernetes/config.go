package kubernetes

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// LoadConfig returns the client config of a cluster and the name of the
// context it came from, the way kubectl finds them: the kubeconfig file
// given (--kubeconfig), else $KUBECONFIG, else ~/.kube/config; the context
// given (--context), else the kubeconfig's current one. With no kubeconfig
// at all, inside a pod, it returns the in-cluster config (the pod's
// ServiceAccount) and the context name "in-cluster".
//
// A context that does not exist is an error that names those that do. The
// returned config is for cmd to build clients with (kubernetes.NewForConfig,
// dynamic.NewForConfig); New never builds its own.
func LoadConfig(kubeconfig, context string) (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if kubeconfig != "" {
		rules.ExplicitPath = kubeconfig
	}
	raw, err := rules.Load()
	if err != nil {
		return nil, "", fmt.Errorf("read the kubeconfig: %w", err)
	}
	if len(raw.Contexts) == 0 && kubeconfig == "" && context == "" && os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, "", fmt.Errorf("no kubeconfig, and the in-cluster config failed: %w", err)
		}
		return withUserAgent(cfg), inClusterContext, nil
	}
	if len(raw.Contexts) == 0 {
		where := strings.Join(rules.GetLoadingPrecedence(), ", ")
		if kubeconfig != "" {
			where = kubeconfig
		}
		return nil, "", fmt.Errorf("no kubeconfig context found (looked in %s) and not running inside a cluster: pass --kubeconfig FILE", where)
	}
	name := context
	if name == "" {
		name = raw.CurrentContext
	}
	names := slices.Sorted(maps.Keys(raw.Contexts))
	switch _, ok := raw.Contexts[name]; {
	case name == "":
		return nil, "", fmt.Errorf("the kubeconfig has no current context: pass --context, one of %s", strings.Join(names, ", "))
	case !ok:
		return nil, "", fmt.Errorf("the kubeconfig has no context %q: the contexts are %s", name, strings.Join(names, ", "))
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, name, &clientcmd.ConfigOverrides{}, rules).ClientConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			err = errors.New("the context is empty")
		}
		return nil, "", fmt.Errorf("context %q: %w", name, err)
	}
	return withUserAgent(cfg), name, nil
}

func withUserAgent(cfg *rest.Config) *rest.Config {
	cfg.UserAgent = "gameday"
	return cfg
}
