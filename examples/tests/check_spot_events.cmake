# kws-spot on a bundled recording with the bundled model at its shipped thresholds must report
# exactly the expected keywords, in order: every word heard, nothing else fired.
#   cmake -DSPOT=kws-spot -DMODEL=model.kws -DWAV=file.wav "-DEXPECT=yes;no;up;down" -P check_spot_events.cmake
execute_process(COMMAND "${SPOT}" --model "${MODEL}" --json --no-progress "${WAV}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kws-spot failed: ${rc}")
endif()
string(REGEX MATCHALL "\"label\": *\"[^\"]+\"" found "${out}")
list(TRANSFORM found REPLACE "\"label\": *\"([^\"]+)\"" "\\1")
if(NOT "${found}" STREQUAL "${EXPECT}")
  message(FATAL_ERROR "${WAV}: heard [${found}], expected [${EXPECT}]")
endif()
message(STATUS "${WAV}: heard [${found}] as expected")
