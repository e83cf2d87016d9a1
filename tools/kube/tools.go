//go:build tools

// Package kube pins the tools the Kubernetes integration tests build:
// kube-apiserver from k8s.io/kubernetes at a released version. It is a
// module of its own so the product's go.mod stays lean; scripts/kube-tools.sh
// builds from it.
package kube

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
