# kws-classify --json: one JSON object per file and line, with the documented fields.
#   cmake -DCLASSIFY=kws-classify -DMODEL=model.kws -DDATA=examples/data -P check_classify_json.cmake
set(wav "${DATA}/yes_no_up_down.wav")
execute_process(COMMAND "${CLASSIFY}" --model "${MODEL}" --json "${wav}" "${wav}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "kws-classify failed: ${rc}")
endif()
string(STRIP "${out}" out)
string(REPLACE "\n" ";" lines "${out}")
list(LENGTH lines count)
if(NOT count EQUAL 2)
  message(FATAL_ERROR "expected 2 JSON lines (one per file), got ${count}")
endif()
foreach(line IN LISTS lines)
  string(JSON file GET "${line}" file)
  string(JSON label GET "${line}" label)
  string(JSON score GET "${line}" score)
  string(JSON n LENGTH "${line}" scores)
  string(JSON best_score GET "${line}" scores "${label}")  # the best label is among "scores"
  if(NOT file STREQUAL wav OR n LESS 2 OR NOT best_score STREQUAL score OR NOT score MATCHES "^[0-9.eE+-]+$")
    message(FATAL_ERROR "unexpected line: ${line}")
  endif()
endforeach()
# --top limits "scores".
execute_process(COMMAND "${CLASSIFY}" --model "${MODEL}" --json --top 2 "${wav}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out)
string(JSON n LENGTH "${out}" scores)
if(NOT rc EQUAL 0 OR NOT n EQUAL 2)
  message(FATAL_ERROR "--top 2: expected 2 scores: ${out}")
endif()
