# Runs one tutorial command and checks how it ends: cmake -DCMD="prog|arg|arg" -DCODE=2 -DOUTPUT=regex -P this.
# CMD's words are separated by '|'; the test fails unless the exit code is CODE and stdout + stderr match
# OUTPUT (a message, not a crash: "terminate called" and signals fail it too).
string(REPLACE "|" ";" command "${CMD}")
execute_process(COMMAND ${command} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
set(all "${out}${err}")
if(NOT "${code}" STREQUAL "${CODE}")
  message(FATAL_ERROR "expected exit code ${CODE}, got '${code}' from: ${CMD}\n${all}")
endif()
if(all MATCHES "terminate called")
  message(FATAL_ERROR "an uncaught exception: ${CMD}\n${all}")
endif()
if(NOT all MATCHES "${OUTPUT}")
  message(FATAL_ERROR "the output of ${CMD} does not match '${OUTPUT}':\n${all}")
endif()
message(STATUS "exit ${code}: ${all}")
