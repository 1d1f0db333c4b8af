# kws-spot --json on the bundled WAV, read as a file and as raw s16 PCM on stdin: every line is a
# JSON object with label, score, start_s and end_s, there is at least one event (the threshold is
# low: the test model has random weights), and both inputs give the same events.
#   cmake -DSPOT=kws-spot -DMODEL=model.kws -DWAV=file.wav -P check_spot_json.cmake
set(options --model "${MODEL}" --json --threshold 0.05 --no-progress)

execute_process(COMMAND "${SPOT}" ${options} "${WAV}" RESULT_VARIABLE rc OUTPUT_VARIABLE from_file ERROR_VARIABLE err)
message(STATUS "file:\n${from_file}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kws-spot FILE failed: ${rc}")
endif()

# The raw PCM is the WAV's data chunk (16-bit mono 16 kHz): find it, and stream it with tail.
file(READ "${WAV}" header LIMIT 4096 HEX)
string(FIND "${header}" "64617461" at)  # "data"
math(EXPR odd "${at} % 2")
if(at LESS 0 OR odd)
  message(FATAL_ERROR "no data chunk in ${WAV}")
endif()
math(EXPR first_byte "${at} / 2 + 8 + 1")  # tail -c +N counts from 1
execute_process(COMMAND tail -c +${first_byte} "${WAV}"
                COMMAND "${SPOT}" ${options} --rate 16000 --format s16 -
                RESULT_VARIABLE rc OUTPUT_VARIABLE from_stdin ERROR_VARIABLE err)
message(STATUS "stdin:\n${from_stdin}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kws-spot - failed: ${rc}")
endif()

string(STRIP "${from_file}" stripped)
if(stripped STREQUAL "")
  message(FATAL_ERROR "no events")
endif()
string(REPLACE "\n" ";" lines "${stripped}")
foreach(line IN LISTS lines)
  foreach(field label score start_s end_s)
    string(JSON value ERROR_VARIABLE json_error GET "${line}" ${field})
    if(json_error)
      message(FATAL_ERROR "line '${line}': ${json_error}")
    endif()
  endforeach()
endforeach()
if(NOT from_file STREQUAL from_stdin)
  message(FATAL_ERROR "the file and the stdin stream gave different events")
endif()
