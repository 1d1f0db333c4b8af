#!/usr/bin/env bash
# libkws set-up: installs what is needed from Debian's packages, builds, and runs the demo or the
# whole test suite. Idempotent; safe to run again.
#
#   ./setup.sh demo    install, build, run the examples and the bundled models on the bundled audio
#   ./setup.sh test    install, build, run every test (C++, examples, install, Python, Node, the
#                      WebAssembly page, Rust, Go, arm64 under qemu, kws-serve's container behind
#                      NGINX, then ASan+UBSan, TSan and 60 s of each fuzzer; KWS_SKIP_ARM64=1,
#                      KWS_SKIP_CONTAINER=1, KWS_SKIP_SANITIZERS=1 skip those)
#   ./setup.sh deps    install the Debian packages only
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake pkg-config git
  libeigen3-dev libkissfft-dev libdnnl-dev ocl-icd-opencl-dev doctest-dev nlohmann-json3-dev
  libsndfile1-dev libsoxr-dev libespeak-ng-dev libpng-dev libcpp-httplib-dev
  python3 python3-torch python3-torchaudio python3-numpy python3-pytest python3-onnx
  clang libclang-rt-14-dev  # libFuzzer targets (tests/fuzz)
  python3-scipy python3-matplotlib espeak-ng
  flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts  # more TTS voices (recipe.synth)
  chromium  # the kws-serve page's end-to-end test (headless, via playwright-core from npm)
  emscripten  # the WebAssembly build and its page (examples/kws-web)
  golang-go  # the Go binding (bindings/go); Rust's cargo: see rust_toolchain
  podman runc podman-compose golang-github-containernetworking-plugin-dnsname iptables  # kws-serve's container
  debootstrap debian-archive-keyring curl  # its base image where no registry is reachable
)
# The arm64 stage (arm64_tests): Debian's cross toolchain, qemu-user, and the arm64 builds of the
# libraries libkws links, installed beside the amd64 ones (multiarch). oneDNN's -dev package is not
# co-installable (its dnnl_config.h differs per architecture), so only its runtime is installed and
# its headers and CMake files are unpacked into build/arm64-deps.
ARM64_PACKAGES=(
  crossbuild-essential-arm64 qemu-user libc6:arm64
  libkissfft-dev:arm64 libsndfile1-dev:arm64 libsoxr-dev:arm64 libdnnl2:arm64 ocl-icd-opencl-dev:arm64
)
PRESET=release
JOBS=$(nproc 2>/dev/null || echo 2)

log() { printf '\033[1m[setup] %s\033[0m\n' "$*"; }

# Rust for the Rust binding (bindings/rust): the cargo on PATH, else a rustup toolchain in
# ~/.cargo/bin (an environment may lack it on PATH), else Debian's cargo, which deps installs.
rust_toolchain() {
  if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
}
rust_toolchain

deps() {
  local wanted=("${PACKAGES[@]}")
  command -v cargo >/dev/null || wanted+=(cargo)
  install_packages "${wanted[@]}"
}

install_packages() {
  local wanted=("$@")
  local missing=()
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all ${#wanted[@]} present"
    return
  fi
  log "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if printf '%s\n' "${missing[@]}" | grep -q ':arm64$' && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
  fi
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
  log "kws-classify: which keyword is in the recording (bundled English commands model)"
  ./build/$PRESET/examples/kws-classify examples/data/yes_no_up_down.wav
  log "kws-spot: keyword events over time in a longer recording"
  ./build/$PRESET/examples/kws-spot --no-progress examples/data/stream_commands.wav
  log "kws-spot with the larger English model (BC-ResNet-2)"
  ./build/$PRESET/examples/kws-spot --no-progress --model examples/models/commands_en_large.kws examples/data/stream_commands.wav
  log "kws-spot with the bundled wake-word model (trained from text only)"
  ./build/$PRESET/examples/kws-spot --no-progress --model examples/models/computer.kws examples/data/hey_computer.wav
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
  log "npm packages in examples/kws-serve/test (playwright-core, drives the system chromium)"
  (cd examples/kws-serve/test && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
}

# ---- Node binding (bindings/node) -------------------------------------------------------------
node_binding_tests() {
  # koffi's native module ships prebuilt in an npm optional dependency (@koromix/koffi-<os>-<cpu>),
  # so --ignore-scripts loses nothing: koffi's install script only re-checks that prebuild (and
  # compiles koffi from source where none exists).
  if ! command -v npm >/dev/null || [ ! -f bindings/node/package.json ]; then
    log "npm not found: Node binding tests skipped"
    return
  fi
  log "Node binding tests (node --test)"
  (cd bindings/node && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && node --test test/)
}
# ---- end Node binding ---------------------------------------------------------------------------

# ---- WebAssembly (examples/kws-web) -----------------------------------------------------------
wasm_tests() {
  # Debian's emscripten needs no set-up of its own: its config (/usr/share/emscripten/.emscripten)
  # names Debian's clang-14, lld and binaryen, and its system libraries come prebuilt. Its
  # JavaScript optimiser needs acorn (Debian: node-acorn, in /usr/share/nodejs), which a node not
  # from Debian does not search, hence NODE_PATH. The test compares with build/$PRESET.
  if ! command -v emcmake >/dev/null; then
    log "emcmake not found (Debian: emscripten): WebAssembly build and page tests skipped"
    return
  fi
  log "WebAssembly build (emcmake, build/wasm) and its page in headless Chromium"
  export NODE_PATH="/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}"
  emcmake cmake -S examples/kws-web -B build/wasm -Wno-dev -DKWS_WEB_NATIVE_BUILD="$PWD/build/$PRESET"
  cmake --build build/wasm -j "$JOBS"
  ctest --test-dir build/wasm --output-on-failure
}
# ---- end WebAssembly ----------------------------------------------------------------------------

# ---- Rust binding (bindings/rust) -------------------------------------------------------------
rust_binding_tests() {
  # No crates (--offline: no registry is reachable); the tests load build/$PRESET/capi/libkws.so.0
  # from the build tree, as the other bindings do, and compile small C programs with cc.
  if ! command -v cargo >/dev/null; then
    log "cargo not found (Debian: cargo): Rust binding tests skipped"
    return
  fi
  # clippy and rustfmt where the toolchain has them (rustup's does; Debian's cargo does not).
  local clippy=false rustfmt=false
  cargo clippy --version >/dev/null 2>&1 && clippy=true
  cargo fmt --version >/dev/null 2>&1 && rustfmt=true
  log "Rust binding tests ($(cargo --version); cargo test --offline, clippy: $clippy, rustfmt --check: $rustfmt)"
  (
    cd bindings/rust
    cargo test --offline
    if $clippy; then cargo clippy --offline --all-targets -- -D warnings; fi
    if $rustfmt; then cargo fmt --check; fi
  )
}
# ---- end Rust binding ---------------------------------------------------------------------------

# ---- Go binding (bindings/go) -----------------------------------------------------------------
go_binding_tests() {
  # Nothing is downloaded: the module has no dependencies, the proxy is off and the installed Go
  # is the toolchain. -race: 8 goroutines share one model (concurrency_test.go).
  if ! command -v go >/dev/null; then
    log "go not found (Debian: golang-go): Go binding tests skipped"
    return
  fi
  log "Go binding tests (gofmt, go vet, go test -race)"
  (
    cd bindings/go
    export GOPROXY=off GOTOOLCHAIN=local
    local unformatted
    unformatted=$(gofmt -l .)
    if [ -n "$unformatted" ]; then
      echo "not gofmt-formatted: $unformatted" >&2
      exit 1
    fi
    go vet ./...
    go test -race -count=1 ./...
  )
}
# ---- end Go binding -----------------------------------------------------------------------------

# ---- arm64 (aarch64) under qemu-user --------------------------------------------------------
arm64_tests() {
  # The C++ tests that prove numerics and behaviour (features against torchaudio's golden data,
  # every backend against PyTorch's logits, kernels against reference, streaming, the C API),
  # cross-built and run under qemu-user as a Cortex-A72 (Raspberry Pi 4; NEON, no SVE).
  # KWS_SKIP_ARM64=1 skips the stage.
  if [ "${KWS_SKIP_ARM64:-0}" = 1 ]; then
    log "arm64 stage skipped (KWS_SKIP_ARM64=1)"
    return
  fi
  if ! install_packages "${ARM64_PACKAGES[@]}"; then
    log "arm64 packages could not be installed: arm64 tests skipped"
    return
  fi
  local deps=build/arm64-deps
  if [ ! -f "$deps/usr/lib/aarch64-linux-gnu/cmake/dnnl/dnnl-config.cmake" ]; then
    log "unpacking libdnnl-dev:arm64 into $deps (headers and CMake files of the arm64 oneDNN)"
    rm -rf "$deps" && mkdir -p "$deps"
    (cd "$deps" && apt-get download -q libdnnl-dev:arm64 && dpkg-deb -x libdnnl-dev_*_arm64.deb . && rm libdnnl-dev_*_arm64.deb)
    local runtime
    runtime=$(basename "$(readlink -f /usr/lib/aarch64-linux-gnu/libdnnl.so.2)")
    ln -sf "/usr/lib/aarch64-linux-gnu/$runtime" "$deps/usr/lib/aarch64-linux-gnu/$runtime"
  fi
  log "arm64: cross-building libkws and its tests (preset arm64)"
  cmake --preset arm64
  cmake --build --preset arm64 -j "$JOBS"
  log "arm64: C++ tests under qemu-aarch64 (ctest --preset arm64)"
  ctest --preset arm64 -j "$JOBS"
}
# ---- end arm64 ----------------------------------------------------------------------------------
# ---- kws-serve container (examples/kws-serve/container) ---------------------------------------
container_tests() {
  # Builds the kws-serve and NGINX images with compose.yaml (podman-compose; the base image from
  # debootstrap, made once and reused), runs them, and checks kws-serve through NGINX. Skipped
  # (exit 77) where podman cannot run containers or Debian's mirror is out of reach;
  # KWS_SKIP_CONTAINER=1 skips it locally.
  if [ "${KWS_SKIP_CONTAINER:-0}" = 1 ]; then
    log "container smoke test skipped (KWS_SKIP_CONTAINER=1)"
    return
  fi
  log "kws-serve container behind NGINX (examples/kws-serve/container/smoke_test.sh)"
  local status=0
  KWS_CONTAINER_JOBS="$JOBS" examples/kws-serve/container/smoke_test.sh || status=$?
  if [ "$status" -eq 77 ]; then
    log "container smoke test skipped (reason above)"
  elif [ "$status" -ne 0 ]; then
    return "$status"
  fi
}
# ---- end kws-serve container --------------------------------------------------------------------

run_tests() {
  deps
  node_packages
  build
  log "C++ tests, examples and the installed-package consumer (ctest)"
  ctest --preset "$PRESET" -j "$JOBS"
  log "Python binding tests (pytest bindings/python/tests)"
  (cd bindings/python && /usr/bin/python3 -m pytest -q tests)
  log "Model toolchain tests (pytest training/tests)"
  (cd training && /usr/bin/python3 -m pytest -q tests)
  node_binding_tests
  wasm_tests
  rust_binding_tests
  go_binding_tests
  arm64_tests
  container_tests
  sanitizer_tests
}

sanitizer_tests() {
  # ASan + UBSan over the whole C++ suite; TSan over the concurrency tests; each libFuzzer target
  # for KWS_FUZZ_SECONDS (60 s) over its seed corpus. Set KWS_SKIP_SANITIZERS=1 to skip locally.
  if [ "${KWS_SKIP_SANITIZERS:-0}" = 1 ]; then
    log "sanitizer and fuzz stages skipped (KWS_SKIP_SANITIZERS=1)"
    return
  fi
  log "AddressSanitizer + UndefinedBehaviorSanitizer: whole C++ suite"
  cmake --preset asan
  cmake --build --preset asan -j "$JOBS"
  ctest --preset asan -j "$JOBS" -LE slow  # the hour-long soak runs in the release stage
  log "ThreadSanitizer: 8 threads over one model, concurrent create/free"
  cmake --preset tsan
  cmake --build --preset tsan -j "$JOBS" --target test_capi_threads test_model
  ctest --preset tsan -R "test_capi_threads|threads"
  log "libFuzzer: model loader, audio reader, C API buffers (${KWS_FUZZ_SECONDS:-60} s each)"
  cmake --preset fuzz -DKWS_FUZZ_SECONDS="${KWS_FUZZ_SECONDS:-60}"
  cmake --build --preset fuzz -j "$JOBS"
  ctest --preset fuzz
}

case "${1:-}" in
  demo) demo ;;
  test) run_tests ;;
  deps) deps ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
