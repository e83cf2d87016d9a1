package kubernetes

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/gameday-tui/gameday/providers"
)

// The keys of the scenario's target mapping (target: { provider:
// kubernetes, … }).
const (
	fieldNamespace   = "namespace"
	fieldContext     = "context"
	fieldSelector    = "selector"
	fieldDeployment  = "deployment"
	fieldStatefulSet = "statefulset"
	fieldAllowSystem = "allow_system_namespaces"
)

// The keys of a fault's own target mapping (faults[i].target), beyond
// namespace, deployment and statefulset, which mean what they mean in the
// scenario's target.
const (
	fieldLabels = "labels"
	fieldNames  = "names"
)

// The params the provider adds to the classic ones (params.X).
const (
	paramGracePeriod     = "grace_period"
	paramSeed            = "seed"
	paramCorrelation     = "correlation"
	paramDirection       = "direction"
	paramExternalTargets = "external_targets"
	paramLoss            = "loss"
	paramContainers      = "containers"
	paramManifest        = "manifest"
)

// The modes (params.mode) of the kinds that have variants; the first is
// the default.
const (
	modeDelete      = "delete"
	modePodKill     = "pod-kill"
	modePodFailure  = "pod-failure"
	modePartition   = "partition"
	modeLoss        = "loss"
	directionTo     = "to"
	defaultLossRate = 100.0
)

var modes = map[providers.Kind][]string{
	providers.InstanceStop:     {modeDelete, modePodKill},
	providers.DBFailure:        {modePodFailure, modeDelete},
	providers.DependencyOutage: {modePartition, modeLoss},
}

// Spec is what the Kubernetes provider accepts in a scenario file. It
// needs no connection to a cluster.
//
// The scenario's target is a namespace and, usually, which pods: a label
// selector, a Deployment or a StatefulSet (at most one). A fault may narrow
// or replace that with its own target (namespace, labels, names,
// deployment, statefulset). System namespaces (kube-system, kube-public,
// kube-node-lease, any other kube-*, chaos-mesh) are refused unless the
// scenario's target says allow_system_namespaces: true.
func Spec() providers.Spec {
	seed := providers.FieldSpec{Name: paramSeed, Type: providers.FieldInt, Min: providers.Ptr(1), Max: providers.Ptr(1<<31 - 1),
		Doc: "the seed of the random choice of pods (default: a new one per run, journaled)"}
	grace := providers.FieldSpec{Name: paramGracePeriod, Type: providers.FieldDuration, Min: providers.Ptr(0), Max: providers.Ptr(3600),
		Doc: "the pods' termination grace period (default: each pod's own)"}
	correlation := providers.FieldSpec{Name: paramCorrelation, Type: providers.FieldNumber, Min: providers.Ptr(0), Max: providers.Ptr(100),
		Doc: "how much each packet's fate depends on the previous one's, in percent"}
	direction := providers.FieldSpec{Name: paramDirection, Type: providers.FieldString, OneOf: []string{"to", "from", "both"},
		Doc: "which traffic of the selected pods is affected (default to)"}
	containers := providers.FieldSpec{Name: paramContainers, Type: providers.FieldStrings, Check: checkNames,
		Doc: "the containers to stress (default: all of the pod's)"}
	external := func(required bool) providers.FieldSpec {
		return providers.FieldSpec{Name: paramExternalTargets, Type: providers.FieldStrings, Required: required, Check: checkExternalTargets,
			Doc: "the dependency's hosts, IP addresses or CIDRs"}
	}
	return providers.Spec{
		Name:  ProviderName,
		Kinds: append(slices.Clone(providers.Kinds), ChaosMesh),
		Target: []providers.FieldSpec{
			{Name: fieldNamespace, Type: providers.FieldString, Required: true, Check: checkNamespace,
				Doc: "the namespace of the workload"},
			{Name: fieldContext, Type: providers.FieldString,
				Doc: "the kubeconfig context the scenario is meant for (--context overrides it)"},
			{Name: fieldSelector, Type: providers.FieldStringMap, Check: checkLabels,
				Doc: "the label selector of the workload's pods"},
			{Name: fieldDeployment, Type: providers.FieldString, Check: checkName,
				Doc: "the Deployment whose pods are the target"},
			{Name: fieldStatefulSet, Type: providers.FieldString, Check: checkName,
				Doc: "the StatefulSet whose pods are the target"},
			{Name: fieldAllowSystem, Type: providers.FieldBool,
				Doc: "allow system namespaces such as kube-system (refused by default)"},
		},
		Selector: []providers.FieldSpec{
			{Name: fieldNamespace, Type: providers.FieldString, Check: checkNamespace,
				Doc: "the namespace of this fault's pods (default: the target's)"},
			{Name: fieldLabels, Type: providers.FieldStringMap, Check: checkLabels,
				Doc: "the label selector of this fault's pods"},
			{Name: fieldNames, Type: providers.FieldStrings, Check: checkNames,
				Doc: "pod names: only these pods"},
			{Name: fieldDeployment, Type: providers.FieldString, Check: checkName,
				Doc: "the Deployment whose pods this fault hits"},
			{Name: fieldStatefulSet, Type: providers.FieldString, Check: checkName,
				Doc: "the StatefulSet whose pods this fault hits"},
		},
		Params: map[providers.Kind][]providers.FieldSpec{
			providers.InstanceStop:     {grace, seed},
			providers.Latency:          {correlation, direction, external(false), seed},
			providers.CPUStress:        {containers, seed},
			providers.MemoryStress:     {containers, seed},
			providers.DBFailure:        {grace, seed},
			providers.DependencyOutage: {external(true), {Name: paramLoss, Type: providers.FieldNumber, Min: providers.Ptr(0), Max: providers.Ptr(100), Doc: "the share of packets lost, in percent (mode loss; default 100)"}, correlation, direction, seed},
			ChaosMesh: {{Name: paramManifest, Type: providers.FieldMapping, Required: true,
				Doc: "a Chaos Mesh object (apiVersion chaos-mesh.org/v1alpha1, kind, spec)"}},
		},
		Modes:       modes,
		CheckTarget: checkTarget,
		CheckFault:  checkFault,
	}
}

// systemNamespace reports whether ns belongs to the cluster itself rather
// than to a workload: faults there are refused unless a scenario allows
// them.
func systemNamespace(ns string) bool {
	return strings.HasPrefix(ns, "kube-") || ns == "chaos-mesh" || strings.HasPrefix(ns, "openshift-")
}

func checkTarget(target providers.Fields) []providers.FieldError {
	var errs []providers.FieldError
	if n := countSet(target, fieldSelector, fieldDeployment, fieldStatefulSet); n > 1 {
		errs = append(errs, providers.NewFieldError(fieldSelector, "give at most one of selector, deployment and statefulset"))
	}
	if ns := target.String(fieldNamespace); systemNamespace(ns) && !target.Bool(fieldAllowSystem) {
		errs = append(errs, providers.NewFieldError(fieldNamespace, "%s is a system namespace; faults there are refused unless the target says allow_system_namespaces: true", ns))
	}
	return errs
}

// checkFault checks one fault as a whole. Inject, Targets and Plan run it
// too, so a plan built without the scenario loader is held to the same
// rules.
func checkFault(target providers.Fields, f providers.Fault) []providers.FieldError {
	var errs []providers.FieldError
	add := func(path, format string, args ...any) {
		errs = append(errs, providers.NewFieldError(path, format, args...))
	}
	ns, nsPath := target.String(fieldNamespace), "namespace"
	if f.Target.Has(fieldNamespace) {
		ns, nsPath = f.Target.String(fieldNamespace), "target.namespace"
	}
	if systemNamespace(ns) && !target.Bool(fieldAllowSystem) && f.Target.Has(fieldNamespace) {
		add(nsPath, "%s is a system namespace; faults there are refused unless the scenario's target says allow_system_namespaces: true", ns)
	}
	if countSet(f.Target, fieldLabels, fieldDeployment, fieldStatefulSet) > 1 {
		add("target", "give at most one of labels, deployment and statefulset")
	}
	if f.Kind == ChaosMesh {
		for _, k := range f.Target.Keys() {
			if k != fieldNamespace {
				add("target."+k, "a chaos-mesh fault selects its pods in its manifest (spec.selector); its target may only say the namespace the object goes to")
			}
		}
		if f.Selection != (providers.Selection{}) {
			add("selection", "a chaos-mesh fault's manifest says how many pods it hits (spec.mode and spec.value)")
		}
		if f.Params.Mode != "" {
			add("params.mode", "a chaos-mesh fault has no mode; its manifest says what it does")
		}
		for _, e := range manifestErrors(f.Params.Extra.Map(paramManifest), ns, target.Bool(fieldAllowSystem)) {
			add("params.manifest"+e.Path, "%s", e.Msg)
		}
		return errs
	}
	if countSet(f.Target, fieldLabels, fieldDeployment, fieldStatefulSet, fieldNames) == 0 &&
		countSet(target, fieldSelector, fieldDeployment, fieldStatefulSet) == 0 {
		add("target", "say which pods: selector, deployment or statefulset in the scenario's target, or labels, names, deployment or statefulset in the fault's")
	}
	mode := f.Params.Mode
	if allowed, ok := modes[f.Kind]; ok && mode != "" && !slices.Contains(allowed, mode) {
		add("params.mode", "%s has no mode %q on Kubernetes; one of %s", f.Kind, mode, strings.Join(allowed, ", "))
	}
	if f.Params.Extra.Has(paramGracePeriod) && f.Kind == providers.DBFailure && mode != modeDelete {
		add("params.grace_period", "grace_period applies to mode delete (a pod-failure keeps the pods)")
	}
	if f.Params.Extra.Has(paramLoss) && mode != modeLoss {
		add("params.loss", "loss applies to mode loss")
	}
	if f.Kind == providers.DependencyOutage && f.Params.Extra.Has(paramCorrelation) && mode != modeLoss {
		add("params.correlation", "correlation applies to mode loss (a partition drops every packet)")
	}
	switch f.Kind {
	case providers.Latency:
		if f.Params.Delay <= 0 {
			add("params.delay", "latency needs a delay, like 100ms")
		}
	case providers.CPUStress:
		if f.Params.Load < 0 || f.Params.Load > 100 {
			add("params.load", "load is a percentage of a core, 0 to 100")
		}
	case providers.MemoryStress:
		if f.Params.MemoryMB <= 0 {
			add("params.memory_mb", "memory-stress needs memory_mb, the memory each pod's stressor holds")
		}
	}
	return errs
}

// checkOrErr runs checkFault and turns its findings into an error wrapping
// providers.ErrNotApplied.
func checkOrErr(scope providers.Fields, f providers.Fault) error {
	errs := append(checkTarget(scope), checkFault(scope, f)...)
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return fmt.Errorf("fault %s (%s): %w: %s", f.ID, f.Kind, providers.ErrNotApplied, strings.Join(msgs, "; "))
}

func countSet(f providers.Fields, keys ...string) int {
	n := 0
	for _, k := range keys {
		if f.Has(k) {
			n++
		}
	}
	return n
}

func checkNamespace(v any) error {
	s, _ := v.(string)
	if errs := validation.IsDNS1123Label(s); len(errs) > 0 {
		return fmt.Errorf("not a namespace name: %s", strings.Join(errs, "; "))
	}
	return nil
}

func checkName(v any) error {
	s, _ := v.(string)
	if errs := validation.IsDNS1123Subdomain(s); len(errs) > 0 {
		return fmt.Errorf("not an object name: %s", strings.Join(errs, "; "))
	}
	return nil
}

func checkNames(v any) error {
	for _, s := range (providers.Fields{"v": v}).Strings("v") {
		if err := checkName(s); err != nil {
			return fmt.Errorf("%q: %w", s, err)
		}
	}
	return nil
}

func checkLabels(v any) error {
	m := providers.Fields{"v": v}.StringMap("v")
	if len(m) == 0 {
		return errors.New("give at least one label, like app: web")
	}
	if errs := metav1validation.ValidateLabels(m, field.NewPath("")); len(errs) > 0 {
		return errs.ToAggregate()
	}
	return nil
}

func checkExternalTargets(v any) error {
	list := providers.Fields{"v": v}.Strings("v")
	if len(list) == 0 {
		return errors.New("give at least one host, IP address or CIDR")
	}
	for _, s := range list {
		if _, _, err := net.ParseCIDR(s); err == nil {
			continue
		}
		if net.ParseIP(s) != nil {
			continue
		}
		if errs := validation.IsDNS1123Subdomain(s); len(errs) > 0 {
			return fmt.Errorf("%q is not a host name, an IP address or a CIDR", s)
		}
	}
	return nil
}

// netemDuration renders d the way NetworkChaos's latency and jitter
// fields want it: one number and one unit ("150ms", "1.5s"), never Go's
// "1m30s".
func netemDuration(d time.Duration) string {
	switch {
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	case d%time.Millisecond == 0:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	case d%time.Microsecond == 0:
		return fmt.Sprintf("%dus", d/time.Microsecond)
	}
	return fmt.Sprintf("%dns", d)
}
