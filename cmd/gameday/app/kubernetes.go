package app

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/client-go/dynamic"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/gameday-tui/gameday/providers"
	"github.com/gameday-tui/gameday/providers/kubernetes"
	"github.com/gameday-tui/gameday/scenarios"
)

// kubeFlags are the flags that say how to reach a Kubernetes cluster;
// empty for kubectl's defaults.
type kubeFlags struct {
	kubeconfig string
	context    string
}

func addKubeFlags(fl *pflag.FlagSet, f *kubeFlags) {
	fl.StringVar(&f.kubeconfig, "kubeconfig", "", "Kubernetes: the kubeconfig `FILE` (default: $KUBECONFIG, then ~/.kube/config; in a pod without one, the in-cluster config)")
	fl.StringVar(&f.context, "context", "", "Kubernetes: the kubeconfig context `NAME` (default: the scenario target's context, else the current one)")
}

// kubernetesBackend is the Kubernetes provider: a cluster reached through a
// kubeconfig (or the in-cluster config), with Chaos Mesh for most faults.
func kubernetesBackend() backend {
	return backend{
		spec: kubernetes.Spec(),
		open: func(ctx context.Context, plan *scenarios.Plan, o connectOptions) (*conn, error) {
			return openKube(plan, o, "")
		},
		reach: func(ctx context.Context, id providers.Identity, plan *scenarios.Plan, o connectOptions) (*conn, error) {
			c, err := openKube(plan, o, id.Fields["context"])
			if err != nil {
				return nil, err
			}
			got, err := c.provider.(providers.Identifier).Identity(ctx)
			if err != nil {
				return nil, fmt.Errorf("identify the cluster: %w", err)
			}
			if id.ID != "" && got.ID != id.ID {
				return nil, fmt.Errorf("the cluster reached (%s) is not the one the run acted on (%s): pass the --kubeconfig and --context of that cluster", got, id)
			}
			return c, nil
		},
	}
}

// openKube builds the clients of plan's cluster: the context is --context,
// else the scenario target's context, else (recover) the one the journal
// names, else the kubeconfig's current one.
func openKube(plan *scenarios.Plan, o connectOptions, journaled string) (*conn, error) {
	name := o.kube.context
	if name == "" {
		name = plan.Target.Fields.String("context")
	}
	if name == "" && journaled != "in-cluster" {
		name = journaled
	}
	cfg, name, err := kubernetes.LoadConfig(o.kube.kubeconfig, name)
	if err != nil {
		return nil, invalid(fmt.Errorf("%s: %w", plan.Path, err))
	}
	kube, err := k8s.NewForConfig(cfg)
	if err != nil {
		return nil, invalid(fmt.Errorf("context %s: %w", name, err))
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, invalid(fmt.Errorf("context %s: %w", name, err))
	}
	var namespaces []string
	for _, f := range plan.Faults {
		if ns := f.Target.String("namespace"); ns != "" {
			namespaces = append(namespaces, ns)
		}
	}
	p := kubernetes.New(kube, dyn,
		kubernetes.WithScope(plan.Target.Fields),
		kubernetes.WithNamespaces(namespaces...),
		kubernetes.WithKubeContext(name),
		kubernetes.WithServer(cfg.Host))
	if o.logf != nil {
		o.logf("Kubernetes: context %s, server %s, namespace %s", name, cfg.Host, plan.Target.Fields.String("namespace"))
	}
	// The running count comes from the provider's own watch, not from a
	// call per load window: no running counter for the built-in load.
	return &conn{provider: p, sources: []providers.MetricSource{p.RunningSource()}}, nil
}
