#!/usr/bin/env bash
# Container smoke test: builds kws-serve's image and the NGINX image with compose.yaml under
# podman-compose, starts both, and checks through NGINX that the service answers (smoke_checks.py:
# /api/model, classify and detect on the bundled recordings, a streaming session, the body limit,
# the page), that both run as non-root users, that kws-serve is reachable only through NGINX and
# that its HEALTHCHECK passes. Containers and the project's network are removed however it ends.
#
#   examples/kws-serve/container/smoke_test.sh      (root; ./setup.sh test runs it)
#
# Exit status: 0 passed, 1 failed, 77 skipped (no podman or podman-compose, podman cannot run
# containers here, or Debian's mirror is out of reach for the base image).
# The base image (make_base_image.sh, debootstrap) is made once and reused, and podman's layer
# cache keeps the Debian packages of both images; a change under the source tree rebuilds
# libkws only.
#   KWS_CONTAINER_BASE   base image (default localhost/kws-debian:bookworm, made if absent)
#   KWS_CONTAINER_FRESH  1: make the base image again and build without the layer cache
#   KWS_CONTAINER_JOBS   parallel compile jobs in the build stage (default 2)
#   CONTAINERS_CONF      podman configuration (default: containers.conf beside this script)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
base=${KWS_CONTAINER_BASE:-localhost/kws-debian:bookworm}
fresh=${KWS_CONTAINER_FRESH:-0}
tag=smoke  # the images this test builds; a user's :latest is left alone
limit_mb=3 # not kws-serve's default, so the checks see the one value reach both containers
project=kws-smoke-$$
logs=$(mktemp -d "${TMPDIR:-/tmp}/kws-container-smoke.XXXXXX")
compose=(podman-compose --no-ansi -p "$project" -f "$here/compose.yaml")
started=$SECONDS
trap 'rm -rf "$logs"' EXIT

step() { printf '[container] %s (%d s)\n' "$*" $((SECONDS - started)); }
skip() { echo "SKIP: container smoke test: $*" >&2; exit 77; }
fail() { echo "FAIL: container smoke test: $*" >&2; exit 1; }
# Runs a command with its output in $logs/NAME.log, shown only when it fails.
quietly() {
  local name=$1
  shift
  if ! "$@" >"$logs/$name.log" 2>&1; then
    tail -40 "$logs/$name.log" >&2
    return 1
  fi
}

for tool in podman podman-compose python3 curl; do
  command -v "$tool" >/dev/null || skip "$tool not found (Debian: podman, podman-compose, python3, curl)"
done
quietly podman-info podman info || skip "podman does not work here (podman info failed, above)"
# compose.yaml's services find each other by name: with podman's CNI networks that takes the
# dnsname plugin (netavark has its own DNS).
dnsname=false
for dir in /usr/lib/cni /usr/libexec/cni /opt/cni/bin; do [ ! -x "$dir/dnsname" ] || dnsname=true; done
if [ "$(podman info --format '{{.Host.NetworkBackend}}')" = cni ] && ! $dnsname; then
  skip "podman's CNI networks have no dnsname plugin (Debian: golang-github-containernetworking-plugin-dnsname)"
fi

# ---- the base image --------------------------------------------------------------------------
if [ "$fresh" = 1 ] || ! podman image exists "$base"; then
  step "base image $base from debootstrap"
  status=0
  "$here/make_base_image.sh" "$base" || status=$?
  [ "$status" -ne 77 ] || skip "no base image (make_base_image.sh skipped, above)"
  [ "$status" -eq 0 ] || fail "make_base_image.sh failed"
else
  step "base image $base present (KWS_CONTAINER_FRESH=1 makes it again)"
fi
quietly podman-run podman run --rm --network none "$base" true ||
  skip "podman cannot start a container here (above; on hybrid cgroups see containers.conf)"

# ---- cleanup, however the test ends ------------------------------------------------------------
containers() { podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}'; }
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
    for name in $(containers); do
      echo "---- podman logs $name (last 30 lines)" >&2
      podman logs --tail 30 "$name" >&2 || true
    done
  fi
  "${compose[@]}" down >"$logs/down.log" 2>&1 || true
  local left
  mapfile -t left < <(containers)
  [ ${#left[@]} -eq 0 ] || podman rm -f "${left[@]}" >/dev/null 2>&1 || true
  podman network rm -f "${project}_default" >/dev/null 2>&1 || true
  [ -z "$(containers)" ] || echo "WARNING: containers of $project left behind" >&2
  rm -rf "$logs"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the images, as compose.yaml builds them ---------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export BASE_IMAGE=$base KWS_IMAGE_TAG=$tag KWS_MAX_BODY_MB=$limit_mb KWS_HTTP_PORT=127.0.0.1:$port
build_args="--network host --format docker"  # RUN steps reach Debian; docker format keeps HEALTHCHECK
[ "$fresh" != 1 ] || build_args+=" --no-cache"
# podman-compose 1.0.3 exits 0 whatever podman build did: the tags are removed first, so an image
# is there afterwards only if its build succeeded.
for image in kws-serve kws-serve-nginx; do
  ! podman image exists "localhost/$image:$tag" || podman untag "localhost/$image:$tag" "localhost/$image:$tag"
done
step "building localhost/kws-serve:$tag and localhost/kws-serve-nginx:$tag (podman-compose build)"
quietly build "${compose[@]}" --podman-build-args "$build_args" build \
  --build-arg "JOBS=${KWS_CONTAINER_JOBS:-2}" || fail "podman-compose build failed"
for image in kws-serve kws-serve-nginx; do
  podman image exists "localhost/$image:$tag" || {
    tail -40 "$logs/build.log" >&2
    fail "localhost/$image:$tag was not built (build log above)"
  }
done
podman image ls --format '[container] {{.Repository}}:{{.Tag}} {{.Size}}' --filter "reference=localhost/kws-serve*:$tag"

# ---- the stack ---------------------------------------------------------------------------------
step "starting kws-serve and NGINX (podman-compose up, NGINX on 127.0.0.1:$port)"
quietly up "${compose[@]}" up -d --no-build || fail "podman-compose up failed"
serve=$(containers | grep -- '_kws-serve_' || true)
nginx=$(containers | grep -- '_nginx_' || true)
if [ -z "$serve" ] || [ -z "$nginx" ]; then
  fail "podman-compose up started: $(containers | tr '\n' ' ')"
fi
url=http://127.0.0.1:$port
for _ in $(seq 60); do
  curl -fsS -o /dev/null "$url/api/model" 2>/dev/null && break
  sleep 1
done
curl -fsS -o /dev/null "$url/api/model" || fail "no answer from NGINX at $url/api/model within 60 s"
step "answering at $url"

# Who runs what, and what is published.
for pair in "$serve:kws:kws-serve" "$nginx:www-data:nginx"; do
  IFS=: read -r name user command <<<"$pair"
  processes=$(podman top "$name" user comm | tail -n +2)
  echo "$processes" | awk -v user="$user" -v command="$command" '
    $2 == command { seen = 1; if ($1 != user) bad = 1 }
    END { exit !(seen && !bad) }' || fail "$name: expected $command as $user, got: $processes"
  echo "$processes" | awk '$1 == "root" { found = 1 } END { exit found }' ||
    fail "$name runs a process as root: $processes"
  echo "ok: $name runs $command as $user (uid $(podman exec "$name" id -u)), no process as root"
done
[ -z "$(podman port "$serve")" ] || fail "kws-serve is published: $(podman port "$serve")"
echo "ok: kws-serve has no published port (only NGINX: $(podman port "$nginx" | tr '\n' ' '))"
quietly healthcheck podman healthcheck run "$serve" || fail "$serve: HEALTHCHECK failed"
echo "ok: kws-serve's HEALTHCHECK passes"

# What kws-classify says of the recording inside the image (the reference for /api/classify),
# and on this machine's build if there is one.
expected=$(podman exec "$serve" kws-classify --json data/yes_no_up_down.wav)
host_classify=$repo/build/release/examples/kws-classify
if [ -x "$host_classify" ]; then
  host=$("$host_classify" --model "$repo/examples/models/commands_en.kws" --json "$repo/examples/data/yes_no_up_down.wav")
  python3 - "$expected" "$host" <<'EOF' || fail "the image's kws-classify disagrees with build/release's"
import json, sys
image, host = (json.loads(arg) for arg in sys.argv[1:])
assert image["label"] == host["label"] and abs(image["score"] - host["score"]) < 1e-3, (image, host)
print(f"ok: kws-classify in the image (KWS_NATIVE=OFF) gives build/release's {host['label']} "
      f"({image['score']} vs {host['score']})")
EOF
fi

# ---- through NGINX -----------------------------------------------------------------------------
step "checks through NGINX"
python3 "$here/smoke_checks.py" "$url" "$limit_mb" "$repo/examples/data" "$expected" || fail "smoke_checks.py"
podman logs "$serve" >"$logs/serve.log" 2>&1
grep -q 'POST /api/classify -> 200' "$logs/serve.log" || fail "kws-serve logged no classify request"
echo "ok: kws-serve logged the requests NGINX passed on"
step "passed"
