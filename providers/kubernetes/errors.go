package kubernetes

import (
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ForbiddenError says that the credentials in use may not make a call, and
// which permission to add. It wraps the API server's own error.
type ForbiddenError struct {
	// Verb and Resource name the missing permission ("delete", "pods");
	// Group is the resource's API group ("" for the core group).
	Verb, Group, Resource string
	// Namespace is where the call was made ("" for a cluster-wide one).
	Namespace string
	Err       error
}

// Error names the missing verb and resource, where to add them, and what
// the API server said (which names the user).
func (e *ForbiddenError) Error() string {
	where := "cluster-wide"
	role := "ClusterRole"
	if e.Namespace != "" {
		where, role = "in namespace "+e.Namespace, "Role"
	}
	group := e.Group
	if group == "" {
		group = `"" (core)`
	}
	return fmt.Sprintf("forbidden: the credentials in use may not %s %s %s; add the verb %q on the resource %q (API group %s) to the %s bound to them (docs/kubernetes.md, RBAC). The API server said: %v",
		e.Verb, e.qualified(), where, e.Verb, e.Resource, group, role, e.Err)
}

func (e *ForbiddenError) qualified() string {
	if e.Group == "" {
		return e.Resource
	}
	return e.Resource + "." + e.Group
}

// Unwrap returns the API server's error.
func (e *ForbiddenError) Unwrap() error { return e.Err }

// CRDMissingError says that Chaos Mesh is not installed: the API server
// serves none of its resources. It names the faults that still work.
type CRDMissingError struct {
	// Resource is the Chaos Mesh resource the fault needs ("networkchaos").
	Resource string
	// Fault says which fault needed it ("f2 latency").
	Fault string
	Err   error
}

// Error says so plainly.
func (e *CRDMissingError) Error() string {
	return fmt.Sprintf("Chaos Mesh is not installed in this cluster: the API server has no %s.%s (%s); %s needs it. Without Chaos Mesh, these faults still work: %s. Install Chaos Mesh (docs/kubernetes.md) or change the fault",
		e.Resource, chaosGroup, chaosVersion, e.Fault, strings.Join(WorksWithoutChaosMesh(), ", "))
}

// Unwrap returns the discovery error.
func (e *CRDMissingError) Unwrap() error { return e.Err }

// WorksWithoutChaosMesh lists the faults that need no Chaos Mesh, as a
// scenario would write them.
func WorksWithoutChaosMesh() []string {
	return []string{"instance-stop (mode: delete)", "db-failure (mode: delete)"}
}

// callError turns an API error of one call into one that names the fix:
// Forbidden names the missing verb and resource; Unauthorized says the
// credentials were refused. Other errors are wrapped with what was being
// done.
func callError(err error, verb string, gr schema.GroupResource, ns, what string) error {
	if err == nil {
		return nil
	}
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%s: %w", what, &ForbiddenError{Verb: verb, Group: gr.Group, Resource: gr.Resource, Namespace: ns, Err: err})
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("%s: the API server refused the credentials (401 Unauthorized): the kubeconfig's token or certificate is invalid or has expired; log in again (or pick another --context): %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isForbidden reports whether err is, or wraps, a Forbidden answer.
func isForbidden(err error) bool {
	var fe *ForbiddenError
	return errors.As(err, &fe) || apierrors.IsForbidden(err)
}
