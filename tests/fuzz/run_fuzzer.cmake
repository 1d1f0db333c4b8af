# ctest script: seed a fresh corpus, run one fuzzer for SECONDS, fail on any crash (libFuzzer
# exits non-zero and leaves crash-* files, which become regression inputs in tests/fuzz/regressions).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/corpus ${WORK_DIR}/artifacts)
string(REPLACE "|" ";" SEEDS "${SEEDS}")
foreach(seed IN LISTS SEEDS)
  get_filename_component(name ${seed} NAME)
  file(COPY_FILE ${seed} ${WORK_DIR}/corpus/${name})
endforeach()
get_filename_component(source_dir ${CMAKE_CURRENT_LIST_FILE} DIRECTORY)
file(GLOB regressions ${source_dir}/regressions/*)
foreach(input IN LISTS regressions)
  get_filename_component(name ${input} NAME)
  file(COPY_FILE ${input} ${WORK_DIR}/corpus/${name})
endforeach()
execute_process(
  COMMAND ${FUZZER} ${WORK_DIR}/corpus -max_total_time=${SECONDS} -rss_limit_mb=2048 -timeout=20
          -max_len=262144 -print_final_stats=1 -artifact_prefix=${WORK_DIR}/artifacts/
  RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCH "stat::number_of_executed_units: *[0-9]+" executed "${err}")
message(STATUS "${executed}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "fuzzer failed (${result}); artifacts in ${WORK_DIR}/artifacts\n${err}")
endif()
