# The facts the bindings restate, checked against their one home (cmake -P, run by ctest):
#   version         CMakeLists.txt project(VERSION)  -> pyproject.toml, package.json, Cargo.toml
#   ABI major       CMakeLists.txt KWS_ABI_VERSION   -> kws/_native.py, lib/ffi.js, rust src/library.rs,
#                                                        go library.go
#   status values   capi/kws.h kws_status            -> kws/_native.py STATUS_NAMES, lib/index.js Status
#                                                        (Rust's Status: its own test, against the C
#                                                        compiler; Go reads them from kws.h)
#   build presets   kws/_native.py BUILD_PRESETS     -> lib/ffi.js BUILD_PRESETS, rust BUILD_PRESETS,
#                                                        go buildPresets and its cgo include folders
#   header cap      src/model/model_file.cpp          -> kws_training/modelfile.py MAX_HEADER_BYTES
#   loader limits   src/model/model_file.cpp          -> kws_training/modelfile.py MAX_INPUT_FRAMES,
#                                                        MAX_WEIGHT_MAGNITUDE
#   sample rates    include/kws/limits.h              -> kws_training/features.py SAMPLE_RATE_RANGE
#   CTC model       src/model/architecture.hpp        -> kws_training/modelfile.py CTC_ARCHITECTURE,
#                   (kCtcArchitecture, kBlankLabel)       BLANK_LABEL
#   phonemizer      kws_training/recipe/phonetics.py  -> src/spotter/phonemizer.cpp kNotPhonemes
#                   NOT_PHONEMES (the rule)
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
file(READ "${SOURCE}/bindings/rust/Cargo.toml" cargo_toml)
file(READ "${SOURCE}/bindings/rust/src/library.rs" library_rs)
file(READ "${SOURCE}/bindings/go/library.go" library_go)
file(READ "${SOURCE}/capi/kws.h" header)
file(READ "${SOURCE}/training/kws_training/modelfile.py" modelfile_py)
file(READ "${SOURCE}/src/model/model_file.cpp" model_file_cpp)
file(READ "${SOURCE}/training/kws_training/features.py" features_py)
file(READ "${SOURCE}/include/kws/limits.h" limits_h)
file(READ "${SOURCE}/src/model/architecture.hpp" architecture_hpp)
file(READ "${SOURCE}/training/kws_training/recipe/phonetics.py" phonetics_py)
file(READ "${SOURCE}/src/spotter/phonemizer.cpp" phonemizer_cpp)

string(REGEX MATCH "\nversion = \"([^\"]*)\"" _ "${pyproject}")
expect_equal("${CMAKE_MATCH_1}" "${VERSION}" "pyproject.toml version \"${CMAKE_MATCH_1}\" != project version ${VERSION}")
string(JSON node_version GET "${package_json}" version)
expect_equal("${node_version}" "${VERSION}" "package.json version \"${node_version}\" != project version ${VERSION}")
string(REGEX MATCH "\nversion = \"([^\"]*)\"" _ "${cargo_toml}")
expect_equal("${CMAKE_MATCH_1}" "${VERSION}" "Cargo.toml version \"${CMAKE_MATCH_1}\" != project version ${VERSION}")

string(REGEX MATCH "\nABI_MAJOR = ([0-9]+)" _ "${native_py}")
expect_equal("${CMAKE_MATCH_1}" "${ABI}" "_native.py ABI_MAJOR ${CMAKE_MATCH_1} != KWS_ABI_VERSION ${ABI}")
string(REGEX MATCH "export const ABI_MAJOR = ([0-9]+);" _ "${ffi_js}")
expect_equal("${CMAKE_MATCH_1}" "${ABI}" "ffi.js ABI_MAJOR ${CMAKE_MATCH_1} != KWS_ABI_VERSION ${ABI}")
string(REGEX MATCH "const ABI_MAJOR: u32 = ([0-9]+);" _ "${library_rs}")
expect_equal("${CMAKE_MATCH_1}" "${ABI}" "rust library.rs ABI_MAJOR ${CMAKE_MATCH_1} != KWS_ABI_VERSION ${ABI}")
string(REGEX MATCH "\nconst abiMajor = ([0-9]+)" _ "${library_go}")
expect_equal("${CMAKE_MATCH_1}" "${ABI}" "go library.go abiMajor ${CMAKE_MATCH_1} != KWS_ABI_VERSION ${ABI}")
# ...and the file name they load, libkws.so.<ABI major>.
string(REGEX MATCH "const LIBRARY_NAME: &str = \"libkws\\.so\\.([0-9]+)\";" _ "${library_rs}")
expect_equal("${CMAKE_MATCH_1}" "${ABI}" "rust library.rs LIBRARY_NAME is not libkws.so.${ABI}")
string(REGEX MATCH "\nconst libraryName = \"libkws\\.so\\.([0-9]+)\"" _ "${library_go}")
expect_equal("${CMAKE_MATCH_1}" "${ABI}" "go library.go libraryName is not libkws.so.${ABI}")

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
string(REGEX MATCH "const BUILD_PRESETS: \\[&str; [0-9]+\\] = \\[([^]]*)\\];" _ "${library_rs}")
string(REPLACE "\"" "'" rust_presets "${CMAKE_MATCH_1}")
expect_equal("${rust_presets}" "${python_presets}" "build presets differ: _native.py (${python_presets}) vs rust library.rs (${rust_presets})")
string(REGEX MATCH "\nvar buildPresets = \\[\\]string{([^}]*)}" _ "${library_go}")
string(REPLACE "\"" "'" go_presets "${CMAKE_MATCH_1}")
expect_equal("${go_presets}" "${python_presets}" "build presets differ: _native.py (${python_presets}) vs go library.go (${go_presets})")
# Go's cgo include folders for the generated kws/version.h: one per preset, in that order.
string(REGEX MATCHALL "SRCDIR}/\\.\\./\\.\\./build/[a-z]+/include" go_includes "${library_go}")
set(go_include_presets "")
foreach(include IN LISTS go_includes)
  string(REGEX MATCH "build/([a-z]+)/include" _ "${include}")
  list(APPEND go_include_presets "'${CMAKE_MATCH_1}'")
endforeach()
list(JOIN go_include_presets ", " go_include_presets)
expect_equal("${go_include_presets}" "${python_presets}" "library.go's cgo include folders (${go_include_presets}) are not the build presets (${python_presets})")

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

foreach(pair "kCtcArchitecture|CTC_ARCHITECTURE" "kBlankLabel|BLANK_LABEL")
  string(REPLACE "|" ";" names "${pair}")
  list(GET names 0 cpp_name)
  list(GET names 1 python_name)
  string(REGEX MATCH "${cpp_name} = \"([^\"]*)\"" _ "${architecture_hpp}")
  set(cpp_value "${CMAKE_MATCH_1}")
  string(REGEX MATCH "\n${python_name} = \"([^\"]*)\"" _ "${modelfile_py}")
  expect_equal("${CMAKE_MATCH_1}" "${cpp_value}"
               "modelfile.py ${python_name} \"${CMAKE_MATCH_1}\" != architecture.hpp ${cpp_name} \"${cpp_value}\"")
  if(cpp_value STREQUAL "")
    set(errors "${errors}  architecture.hpp has no ${cpp_name}\n")
  endif()
endforeach()

string(REGEX MATCH "\nNOT_PHONEMES = frozenset\\({([^}]*)}\\)" _ "${phonetics_py}")
string(REGEX MATCHALL "\"[^\"]*\"" python_marks "${CMAKE_MATCH_1}")
string(REGEX MATCH "kNotPhonemes = {([^}]*)}" _ "${phonemizer_cpp}")
string(REGEX MATCHALL "\"[^\"]*\"" cpp_marks "${CMAKE_MATCH_1}")
list(SORT python_marks)
list(SORT cpp_marks)
expect_equal("${cpp_marks}" "${python_marks}"
             "phonemizer.cpp kNotPhonemes ${cpp_marks} != phonetics.py NOT_PHONEMES ${python_marks}")
if(python_marks STREQUAL "")
  set(errors "${errors}  phonetics.py has no NOT_PHONEMES\n")
endif()

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
