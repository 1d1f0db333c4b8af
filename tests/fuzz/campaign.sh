#!/usr/bin/env bash
# A long fuzzing campaign: every libFuzzer target for a number of executions (default 10 million),
# in parallel, on the `fuzz-long` preset (UBSan only: ASan's checks halve the
# executions per second; CI's `fuzz` preset keeps ASan for its 60 s runs). Prints one table row per
# target; a crash stops that target and leaves its input in build/fuzz-long/campaign/TARGET/,
# to be added to tests/fuzz/regressions/ with a test that reproduces it.
#
#   tests/fuzz/campaign.sh [EXECUTIONS] [TARGET...]     e.g. tests/fuzz/campaign.sh 10000000
#
# Seeds are those of the ctests (golden model files, the bundled recording, a few real clips from
# ../shared/data when present, and tests/fuzz/regressions); a corpus left by an earlier campaign
# is kept and grows. KWS_FUZZ_MAX_SECONDS caps each target's time (default: none);
# the seed list comes from the fuzz-long configure (KWS_SHARED_DATA_DIR moves ../shared/data).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-10000000}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_model_loader fuzz_audio_reader fuzz_capi)

cmake --preset fuzz-long >/dev/null
cmake --build --preset fuzz-long -j "$(nproc)" >/dev/null
out=build/fuzz-long/campaign
bin=$PWD/build/fuzz-long/tests/fuzz

seed() {  # seed TARGET: the ctest's seed files (listed by tests/fuzz/CMakeLists.txt) into its corpus
  local corpus=$out/$1/corpus seeds=()
  mkdir -p "$corpus" "$out/$1/artifacts"
  mapfile -t seeds < "$bin/$1.seeds"
  [ ${#seeds[@]} -eq 0 ] || cp -n "${seeds[@]}" "$corpus/"
  [ -d tests/fuzz/regressions ] && cp -n tests/fuzz/regressions/* "$corpus/" 2>/dev/null || true
}

declare -A pids
for target in "${targets[@]}"; do
  seed "$target"
  # Model files need room to mutate (the golden tau 1 file is 60 KB); audio and PCM do not, and
  # short inputs keep each execution cheap.
  max_len=16384
  [ "$target" = fuzz_model_loader ] && max_len=262144
  (cd "$out/$target" &&
   exec "$bin/$target" corpus -runs="$runs" -max_len=$max_len -rss_limit_mb=2048 \
     -timeout=20 -print_final_stats=1 -artifact_prefix=artifacts/ \
     ${KWS_FUZZ_MAX_SECONDS:+-max_total_time=$KWS_FUZZ_MAX_SECONDS} >fuzz.log 2>&1) &
  pids[$target]=$!
done

failed=0
printf '| target | executions | seconds | exec/s | corpus | peak RSS MB | result |\n|---|---|---|---|---|---|---|\n'
for target in "${targets[@]}"; do
  status=0
  wait "${pids[$target]}" || status=$?
  log=$out/$target/fuzz.log
  stat() { grep -o "stat::$1: *[0-9]*" "$log" | tail -1 | grep -o '[0-9]*$' || echo '?'; }
  executed=$(stat number_of_executed_units)
  seconds=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo '?')
  corpus=$(ls "$out/$target/corpus" | wc -l)
  result="no crash"
  if [ "$status" -ne 0 ]; then
    result="FAILED ($status): $(ls "$out/$target/artifacts" | head -3 | tr '\n' ' ')"
    failed=1
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$target" "$executed" "$seconds" \
    "$(stat average_exec_per_sec)" "$corpus" "$(stat peak_rss_mb)" "$result"
done
exit $failed
