# Runs COMMAND (a ;-list) and requires a clean failure: a non-zero exit status (not a signal or
# a crash) and a message on stderr matching EXPECT_STDERR.
#   cmake -DCOMMAND="prog;arg..." -DEXPECT_STDERR=regex -P expect_failure.cmake
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "exit status: ${rc}\nstdout:\n${out}\nstderr:\n${err}")
if(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "the command did not exit normally: ${rc}")
endif()
if(rc EQUAL 0)
  message(FATAL_ERROR "the command succeeded; it should have failed")
endif()
if(NOT err MATCHES "${EXPECT_STDERR}")
  message(FATAL_ERROR "stderr does not match '${EXPECT_STDERR}'")
endif()
