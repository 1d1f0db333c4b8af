# The facts the bindings restate, checked against their one home (cmake -P, run by ctest):
#   version         CMakeLists.txt project(VERSION)  -> pyproject.toml, package.json
#   ABI major       CMakeLists.txt KWS_ABI_VERSION   -> kws/_native.py, lib/ffi.js
#   status values   capi/kws.h kws_status            -> kws/_native.py STATUS_NAMES, lib/index.js Status
#   build presets   kws/_native.py BUILD_PRESETS     -> lib/ffi.js BUILD_PRESETS
#   header cap      src/model/model_file.cpp          -> kws_training/modelfile.py MAX_HEADER_BYTES
#   loader limits   src/model/model_file.cpp          -> kws_training/modelfile.py MAX_INPUT_FRAMES,
#                                                        MAX_WEIGHT_MAGNITUDE
#   sample rates    include/kws/limits.h              -> kws_training/features.py SAMPLE_RATE_RANGE
# Inputs: -DSOURCE=<repository root> -DVERSION=<project version> -DABI=<KWS_ABI_VERSION>.
set(errors "")
function(expect_equal actual expected message)
  if(NOT "${actual}" STREQUAL "${expected}")
    set(errors "${errors}  ${message}\n" PARENT_SCOPE)
  endif()
endfunction()

file(READ "${SOURCE}/bindings/python/pyproject.toml" pyproject)
file(READ "${SOURCE}/bindings/node/package.json" package_json)
file(READ "${SOURCE}/bindings/python/kws/_native.py" native_py)
file(READ "${SOURCE}/bindings/node/lib/ffi.js" ffi_js)
file(READ "${SOURCE}/bindings/node/lib/index.js" index_js)
file(READ "${SOURCE}/capi/kws.h" header)
file(READ "${SOURCE}/training/kws_training/modelfile.py" modelfile_py)
file(READ "${SOURCE}/src/model/model_file.cpp" model_file_cpp)
file(READ "${SOURCE}/training/kws_training/features.py" features_py)
file(READ "${SOURCE}/include/kws/limits.h" limits_h)

string(REGEX MATCH "\nversion = \"([^\"]*)\"" _ "${pyproject}")
expect_equal("${CMAKE_MATCH_1}" "${VERSION}" "pyproject.toml version \"${CMAKE_MATCH_1}\" != project version ${VERSION}")
string(JSON node_version GET "${package_json}" version)
expect_equal("${node_version}" "${VERSION}" "package.json version \"${node_version}\" != project version ${VERSION}")

string(REGEX MATCH "\nABI_MAJOR = ([0-9]+)" _ "${native_py}")
expect_equal("${CMAKE_MATCH_1}" "${ABI}" "_native.py ABI_MAJOR ${CMAKE_MATCH_1} != KWS_ABI_VERSION ${ABI}")
string(REGEX MATCH "export const ABI_MAJOR = ([0-9]+);" _ "${ffi_js}")
expect_equal("${CMAKE_MATCH_1}" "${ABI}" "ffi.js ABI_MAJOR ${CMAKE_MATCH_1} != KWS_ABI_VERSION ${ABI}")

# Every kws_status of kws.h, as "NAME=value".
string(REGEX MATCH "typedef enum kws_status {([^}]*)}" _ "${header}")
string(REGEX MATCHALL "KWS_[A-Z_]+ = [0-9]+" statuses "${CMAKE_MATCH_1}")
list(LENGTH statuses count)
if(count LESS 2)
  string(APPEND errors "  no kws_status values found in kws.h\n")
endif()
foreach(status IN LISTS statuses)
  string(REGEX MATCH "KWS_(ERROR_)?([A-Z_]+) = ([0-9]+)" _ "${status}")
  set(name "${CMAKE_MATCH_2}")
  set(value "${CMAKE_MATCH_3}")
  string(TOLOWER "${name}" lower)
  string(FIND "${native_py}" "${value}: \"${lower}\"" at)
  if(at GREATER -1)
    set(at found)
  endif()
  expect_equal("${at}" "found" "_native.py STATUS_NAMES lacks ${value}: \"${lower}\" (kws.h ${status})")
  string(FIND "${index_js}" "${name}: ${value}," at)
  if(at GREATER -1)
    set(at found)
  endif()
  expect_equal("${at}" "found" "index.js Status lacks ${name}: ${value} (kws.h ${status})")
endforeach()
# ...and no name the header does not have.
string(REGEX MATCH "STATUS_NAMES = {([^}]*)}" _ "${native_py}")
string(REGEX MATCHALL "[0-9]+: \"" python_statuses "${CMAKE_MATCH_1}")
list(LENGTH python_statuses python_count)
expect_equal("${python_count}" "${count}" "_native.py STATUS_NAMES has ${python_count} entries, kws.h ${count}")

string(REGEX MATCH "BUILD_PRESETS = \\(([^)]*)\\)" _ "${native_py}")
string(REPLACE "\"" "'" python_presets "${CMAKE_MATCH_1}")
string(REGEX MATCH "export const BUILD_PRESETS = \\[([^]]*)\\];" _ "${ffi_js}")
expect_equal("${python_presets}" "${CMAKE_MATCH_1}" "build presets differ: _native.py (${python_presets}) vs ffi.js (${CMAKE_MATCH_1})")

string(REGEX MATCH "kMaxHeaderBytes = ([0-9]+)u << ([0-9]+);" _ "${model_file_cpp}")
set(cpp_cap "${CMAKE_MATCH_1} << ${CMAKE_MATCH_2}")
string(REGEX MATCH "\nMAX_HEADER_BYTES = ([0-9]+ << [0-9]+)" _ "${modelfile_py}")
expect_equal("${CMAKE_MATCH_1}" "${cpp_cap}" "modelfile.py MAX_HEADER_BYTES (${CMAKE_MATCH_1}) != model_file.cpp kMaxHeaderBytes (${cpp_cap})")

# A loader limit of model_file.cpp (`CPP_NAME = <value><suffix>;`) and its mirror in modelfile.py
# (`PY_NAME = <value>`): both must be found, and equal.
function(expect_same_limit cpp_name suffix py_name)
  string(REGEX MATCH "${cpp_name} = ([0-9e.]+)${suffix};" _ "${model_file_cpp}")
  set(cpp_value "${CMAKE_MATCH_1}")
  string(REGEX MATCH "\n${py_name} = ([0-9e.]+)" _ "${modelfile_py}")
  if(cpp_value STREQUAL "" OR CMAKE_MATCH_1 STREQUAL "")
    set(errors "${errors}  ${cpp_name} or ${py_name} not found in model_file.cpp / modelfile.py\n" PARENT_SCOPE)
  elseif(NOT CMAKE_MATCH_1 STREQUAL cpp_value)
    set(errors "${errors}  modelfile.py ${py_name} (${CMAKE_MATCH_1}) != model_file.cpp ${cpp_name} (${cpp_value})\n"
        PARENT_SCOPE)
  endif()
endfunction()
expect_same_limit(kMaxInputFrames "" MAX_INPUT_FRAMES)
expect_same_limit(kMaxWeightMagnitude "f" MAX_WEIGHT_MAGNITUDE)

string(REGEX MATCH "#define KWS_MIN_SAMPLE_RATE ([0-9]+)" _ "${limits_h}")
set(rates "(${CMAKE_MATCH_1}, ")
string(REGEX MATCH "#define KWS_MAX_SAMPLE_RATE ([0-9]+)" _ "${limits_h}")
string(APPEND rates "${CMAKE_MATCH_1})")
string(REGEX MATCH "\nSAMPLE_RATE_RANGE = (\\([0-9]+, [0-9]+\\))" _ "${features_py}")
expect_equal("${CMAKE_MATCH_1}" "${rates}" "features.py SAMPLE_RATE_RANGE ${CMAKE_MATCH_1} != kws/limits.h ${rates}")

if(errors)
  message(FATAL_ERROR "the bindings disagree with their source of truth:\n${errors}")
endif()
message(STATUS "bindings agree: version ${VERSION}, ABI ${ABI}, ${count} statuses, presets ${python_presets}")
