package kubernetes

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gameday-tui/gameday/providers"
)

// Identity identifies the cluster by the UID of its kube-system namespace,
// which lives as long as the cluster does and differs from any other
// cluster's, with the server, context and namespace for people. Reading
// it needs get on that one namespace (the ClusterRole in rbac.yaml).
func (p *Provider) Identity(ctx context.Context) (providers.Identity, error) {
	ns, err := p.kube.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
	if err != nil {
		return providers.Identity{}, callError(err, "get", schema.GroupResource{Resource: "namespaces"}, "", "identify the cluster by the UID of namespace kube-system")
	}
	fields := map[string]string{}
	if ns := p.scope.String(fieldNamespace); ns != "" {
		fields["namespace"] = ns
	}
	if p.server != "" {
		fields["server"] = p.server
	}
	if p.kubeContext != "" {
		fields["context"] = p.kubeContext
	}
	return providers.Identity{Provider: ProviderName, ID: string(ns.UID), Fields: fields}, nil
}
