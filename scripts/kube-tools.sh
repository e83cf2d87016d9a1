#!/usr/bin/env bash
# Builds the tools the Kubernetes integration tests run against: a real
# kube-apiserver, built from k8s.io/kubernetes at the version pinned in
# tools/kube/go.mod, and the Chaos Mesh CRDs (manifests/crd.yaml of the
# github.com/chaos-mesh/chaos-mesh module, pinned below).
#
# Both land in a cache outside the clone,
#   ${GAMEDAY_TOOLS_CACHE:-$HOME/.cache/gameday-tools}/kube/<version>/
# and the build is skipped when the cached binary's --version matches (a cold
# build took 405 s on two shared cores, 2.3 GB peak RSS; a warm run, 0.06 s).
#
# stdout: the lines to eval, nothing else:
#   export GAMEDAY_KUBE_APISERVER=…
#   export GAMEDAY_CHAOS_MESH_CRDS=…
# With --env-file FILE the same lines are written to FILE instead.
#
#   eval "$(scripts/kube-tools.sh)"
#   go test ./providers/kubernetes/ ./internal/kubetest/
set -euo pipefail

# The Chaos Mesh module version the proxy serves (its tagged v2.x releases
# are refused by the proxy); its manifests/crd.yaml holds the 23 CRDs.
chaos_mesh_module=github.com/chaos-mesh/chaos-mesh
chaos_mesh_version=v0.9.1-0.20260902003049-47411975a8cb

env_file=
case "${1:-}" in
--env-file) env_file=${2:?--env-file needs a path} ;;
"") ;;
*) echo "usage: $0 [--env-file FILE]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/tools/kube
export GOWORK=off GOFLAGS=-mod=readonly

kube_version=$(cd "$tools" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
cache=${GAMEDAY_TOOLS_CACHE:-$HOME/.cache/gameday-tools}/kube/$kube_version
bin=$cache/kube-apiserver
crds=$cache/chaos-mesh-crd.yaml
mkdir -p "$cache"

# One build at a time per cache, even when two clones run this together.
exec 9>"$cache/.lock"
flock 9

if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "Kubernetes $kube_version" ]; then
	echo "kube-tools: $bin is $kube_version (cached)" >&2
else
	major=${kube_version#v}; major=${major%%.*}
	minor=${kube_version#v"$major".}; minor=${minor%%.*}
	pkg=k8s.io/component-base/version
	echo "kube-tools: building kube-apiserver $kube_version into $cache (about 7 min cold)" >&2
	start=$(date +%s)
	(cd "$tools" && CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean" \
		-o "$bin.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
	mv "$bin.tmp" "$bin"
	got=$("$bin" --version)
	if [ "$got" != "Kubernetes $kube_version" ]; then
		echo "kube-tools: built binary reports '$got', want 'Kubernetes $kube_version'" >&2
		exit 1
	fi
	echo "kube-tools: built in $(($(date +%s) - start)) s" >&2
fi

if [ ! -s "$crds" ]; then
	dir=$(cd "$tools" && go mod download -json "$chaos_mesh_module@$chaos_mesh_version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	if [ -z "$dir" ] || [ ! -f "$dir/manifests/crd.yaml" ]; then
		echo "kube-tools: $chaos_mesh_module@$chaos_mesh_version has no manifests/crd.yaml" >&2
		exit 1
	fi
	cp "$dir/manifests/crd.yaml" "$crds.tmp"
	chmod 0644 "$crds.tmp"
	mv "$crds.tmp" "$crds"
	echo "kube-tools: Chaos Mesh CRDs from $chaos_mesh_module@$chaos_mesh_version" >&2
fi

lines="export GAMEDAY_KUBE_APISERVER=$bin
export GAMEDAY_CHAOS_MESH_CRDS=$crds"
if [ -n "$env_file" ]; then
	printf '%s\n' "$lines" >"$env_file"
else
	printf '%s\n' "$lines"
fi
