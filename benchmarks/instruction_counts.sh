#!/usr/bin/env bash
# Instructions per BC-ResNet forward pass (batch 1, 101 frames) for every width, counted by
# callgrind: repeatable whatever else the machine is doing, unlike times. valgrind 3.19 cannot
# run AVX-512, so the counts come from an AVX2+FMA build of libkws in build/avx2 (configured
# here); the backend is the default one (KWS_BACKEND overrides it).
#
#   benchmarks/instruction_counts.sh [TAU ...]      (default: 1 1.5 2 3 6 8)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind not found (Debian: valgrind)" >&2; exit 1; }
cmake -S . -B build/avx2 -DCMAKE_BUILD_TYPE=Release -DKWS_NATIVE=OFF -DCMAKE_CXX_FLAGS="-mavx2 -mfma" \
  -DKWS_BUILD_TESTS=OFF -DKWS_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build/avx2 --target kws-bench -j "$(nproc)" >/dev/null
count() {  # instructions of `kws-bench forward --tau $1 --iterations $2`
  local out
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" build/avx2/benchmarks/kws-bench forward --tau "$1" \
    --iterations "$2" >/dev/null 2>&1
  callgrind_annotate "$out" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
  rm -f "$out"
}
echo "tau  instructions per forward pass (AVX2 build, callgrind)"
for tau in "${@:-1 1.5 2 3 6 8}"; do
  for t in $tau; do
    low=$(count "$t" 2)
    high=$(count "$t" 7)
    printf '%-4s %d\n' "$t" $(((high - low) / 5))
  done
done
