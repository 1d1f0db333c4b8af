# kws-spot on a bundled recording with the bundled model at its shipped thresholds: every event
# must be a keyword that is spoken there, in the spoken order (no false detection, no word twice),
# and at least MIN_HEARD of the spoken keywords must be heard.
#   cmake -DSPOT=kws-spot -DMODEL=model.kws -DWAV=file.wav "-DSPOKEN=yes;no;up;down" -DMIN_HEARD=1
#         -P check_spot_events.cmake
execute_process(COMMAND "${SPOT}" --model "${MODEL}" --json --no-progress "${WAV}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kws-spot failed: ${rc}")
endif()
string(REGEX MATCHALL "\"label\": *\"[^\"]+\"" heard "${out}")
list(TRANSFORM heard REPLACE "\"label\": *\"([^\"]+)\"" "\\1")
set(remaining ${SPOKEN})
foreach(word IN LISTS heard)
  list(FIND remaining "${word}" at)
  if(at LESS 0)
    message(FATAL_ERROR "${WAV}: heard [${heard}]; '${word}' is not (or not next) among the spoken [${SPOKEN}]: a false detection")
  endif()
  math(EXPR after "${at} + 1")
  list(LENGTH remaining left)
  if(after LESS left)
    list(SUBLIST remaining ${after} -1 remaining)
  else()
    set(remaining "")
  endif()
endforeach()
list(LENGTH heard count)
if(count LESS MIN_HEARD)
  message(FATAL_ERROR "${WAV}: heard [${heard}], fewer than ${MIN_HEARD} of the spoken [${SPOKEN}]")
endif()
message(STATUS "${WAV}: heard [${heard}] of the spoken [${SPOKEN}], no false detection")
