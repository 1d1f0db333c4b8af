#!/usr/bin/env bash
# Instructions per BC-ResNet forward pass (batch 1, 101 frames) for every width: repeatable
# whatever else the machine is doing, unlike times. The backend is the default one (KWS_BACKEND
# overrides it).
#
#   benchmarks/instruction_counts.sh [TAU ...]          x86-64: callgrind on an AVX2+FMA build in
#                                                       build/avx2 (valgrind 3.19 cannot run AVX-512)
#   benchmarks/instruction_counts.sh --arm64 [TAU ...]  AArch64 (NEON): the arm64 preset's build
#                                                       under qemu-aarch64 as a Cortex-A72, every
#                                                       executed translation block logged and its
#                                                       guest instructions summed
#
# Each count is (instructions of N + 5 passes - those of N passes) / 5, so loading and set-up
# cancel out. Default widths: 1 1.5 2 3 6 8.
set -euo pipefail
cd "$(dirname "$0")/.."
arch=avx2
if [ "${1:-}" = --arm64 ]; then
  arch=arm64
  shift
fi

if [ $arch = avx2 ]; then
  command -v valgrind >/dev/null || { echo "valgrind not found (Debian: valgrind)" >&2; exit 1; }
  cmake -S . -B build/avx2 -DCMAKE_BUILD_TYPE=Release -DKWS_NATIVE=OFF -DCMAKE_CXX_FLAGS="-mavx2 -mfma" \
    -DKWS_BUILD_TESTS=OFF -DKWS_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build build/avx2 --target kws-bench -j "$(nproc)" >/dev/null
else
  command -v qemu-aarch64 >/dev/null || { echo "qemu-aarch64 not found: run ./setup.sh test (its arm64 stage installs it)" >&2; exit 1; }
  cmake --preset arm64 -DKWS_BUILD_BENCHMARKS=ON >/dev/null
  cmake --build --preset arm64 --target kws-bench -j "$(nproc)" >/dev/null
fi

count() {  # instructions of `kws-bench forward --tau $1 --iterations $2`
  local out
  out=$(mktemp)
  if [ $arch = avx2 ]; then
    valgrind --tool=callgrind --callgrind-out-file="$out" build/avx2/benchmarks/kws-bench forward --tau "$1" \
      --iterations "$2" >/dev/null 2>&1
    callgrind_annotate "$out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
  else
    # in_asm: each block's guest instructions when it is translated; exec + nochain: a line per
    # execution of a block (chained blocks would not be logged).
    # The log (gigabytes at tau 8) goes through a pipe, not the disk.
    rm -f "$out" && mkfifo "$out"
    qemu-aarch64 -cpu cortex-a72 -L / \
      -d in_asm,exec,nochain -D "$out" build/arm64/benchmarks/kws-bench forward --tau "$1" --iterations "$2" >/dev/null 2>&1 &
    awk '
      /^IN:/ { block = 1; pc = ""; n = 0; next }
      block && /^0x[0-9a-f]+:/ { if (pc == "") pc = substr($1, 1, length($1) - 1); n++; next }
      block && /^$/ { if (pc != "") size[pc] = n; block = 0; next }
      /^Trace / { if (match($0, /\[[0-9a-f]+\/[0-9a-f]+/)) {
                    split(substr($0, RSTART + 1, RLENGTH - 1), f, "/"); p = f[2]; sub(/^0+/, "", p)
                    total += size["0x" p] } }
      END { printf "%d\n", total }' "$out"
    wait
  fi
  rm -f "$out"
}
if [ $arch = avx2 ]; then
  echo "tau  instructions per forward pass (AVX2 build, callgrind)"
else
  echo "tau  instructions per forward pass (AArch64 NEON build, qemu-aarch64 block trace)"
fi
for tau in "${@:-1 1.5 2 3 6 8}"; do
  for t in $tau; do
    low=$(count "$t" 2)
    high=$(count "$t" 7)
    printf '%-4s %d\n' "$t" $(((high - low) / 5))
  done
done
