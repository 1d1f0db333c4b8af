#!/usr/bin/env bash
# libkws set-up: installs what is needed from Debian's packages, builds, and runs the demo or the
# whole test suite. Idempotent; safe to run again.
#
#   ./setup.sh demo    install, build, run the main example on the bundled audio
#   ./setup.sh test    install, build, run every test (C++, examples, install, Python)
#   ./setup.sh deps    install the Debian packages only
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake pkg-config git
  libeigen3-dev libkissfft-dev libdnnl-dev ocl-icd-opencl-dev doctest-dev nlohmann-json3-dev
  libsndfile1-dev libsoxr-dev libpng-dev
  python3 python3-torch python3-torchaudio python3-numpy python3-pytest python3-onnx
)
PRESET=release
JOBS=$(nproc 2>/dev/null || echo 2)

log() { printf '\033[1m[setup] %s\033[0m\n' "$*"; }

deps() {
  local missing=()
  for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all ${#PACKAGES[@]} present"
    return
  fi
  log "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  log "configuring and building (preset $PRESET)"
  cmake --preset "$PRESET"
  cmake --build --preset "$PRESET" -j "$JOBS"
}

demo() {
  deps
  build
  log "log-mel of the bundled recording -> yes_no_up_down.png"
  ./build/$PRESET/examples/kws-features examples/data/yes_no_up_down.wav --png yes_no_up_down.png
}

node_packages() {
  # ONNX Runtime (the peer runtime of the benchmarks, and the ONNX export check), from npm with
  # --ignore-scripts: its bundled linux-x64 CPU library is used as shipped.
  if ! command -v npm >/dev/null; then
    log "npm not found: ONNX Runtime checks and benchmarks will be skipped"
    return
  fi
  log "npm packages in benchmarks/ (onnxruntime-node)"
  (cd benchmarks && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
}

run_tests() {
  deps
  node_packages
  build
  log "C++ tests, examples and the installed-package consumer (ctest)"
  ctest --preset "$PRESET" -j "$JOBS"
  if [ -d bindings/python/tests ]; then
    log "Python tests (pytest)"
    (cd bindings/python && /usr/bin/python3 -m pytest -q tests)
  fi
}

case "${1:-}" in
  demo) demo ;;
  test) run_tests ;;
  deps) deps ;;
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
