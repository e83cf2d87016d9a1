package kubernetes

import _ "embed"

//go:embed rbac.yaml
var rbacYAML string

// RBAC returns the permissions the provider needs, as the YAML that
// docs/kubernetes.md shows: a ServiceAccount "gameday", a Role in the
// target namespace ("shop" in the YAML), a ClusterRole that may read the
// kube-system namespace (the cluster's identity), and their bindings to
// the ServiceAccount.
// The integration tests bind exactly this and nothing else.
func RBAC() string { return rbacYAML }
