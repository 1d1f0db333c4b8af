# ctest script: install, then build and run the consumer both ways. EXTRA_FLAGS carries the
# sanitizer flags of a sanitizer build, whose static libkws needs the sanitizer runtime.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed: ${ARGV}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

run(${CMAKE_COMMAND} --install ${KWS_BUILD_DIR} --prefix ${prefix})

# The installed C++ headers are exactly the public ones of include/kws plus the generated
# version.h: no test or example helper ships as API.
file(GLOB public RELATIVE ${SOURCE_DIR}/include/kws ${SOURCE_DIR}/include/kws/*)
file(GLOB installed RELATIVE ${prefix}/include/kws ${prefix}/include/kws/*)
list(APPEND public version.h)
list(SORT public)
list(SORT installed)
if(NOT installed STREQUAL public)
  message(FATAL_ERROR "installed include/kws holds ${installed}, expected ${public}")
endif()

# 1. CMake: find_package(kws CONFIG)
string(REPLACE ";" " " extra_flags "${EXTRA_FLAGS}")
run(${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/cmake-build -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS=${extra_flags}" "-DCMAKE_C_FLAGS=${extra_flags}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-build)
run(${WORK_DIR}/cmake-build/consumer)
run(${WORK_DIR}/cmake-build/consumer_c)
run(${WORK_DIR}/cmake-build/consumer_old_name)

# 2. pkg-config and the compiler alone: kws-cpp (C++ API, static) with c++, kws (C API) with cc
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig:${prefix}/lib/x86_64-linux-gnu/pkgconfig)
function(pkg_flags package out)
  execute_process(COMMAND pkg-config --cflags --libs ${package} OUTPUT_VARIABLE flags RESULT_VARIABLE result
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "pkg-config does not know ${package}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  set(${out} ${flags} PARENT_SCOPE)
endfunction()
pkg_flags(kws-cpp cpp_flags)
run(${CXX} -std=c++17 ${EXTRA_FLAGS} ${CONSUMER_DIR}/consumer.cpp -o ${WORK_DIR}/consumer-pkgconfig ${cpp_flags})
run(${WORK_DIR}/consumer-pkgconfig)
pkg_flags(kws c_flags)
execute_process(COMMAND pkg-config --variable=libdir kws OUTPUT_VARIABLE libdir OUTPUT_STRIP_TRAILING_WHITESPACE)
run(${CC} -std=c99 ${EXTRA_FLAGS} ${CONSUMER_DIR}/consumer.c -o ${WORK_DIR}/consumer-c-pkgconfig ${c_flags}
    -Wl,-rpath,${libdir})
run(${WORK_DIR}/consumer-c-pkgconfig)
