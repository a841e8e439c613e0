# Runs every program in PROGRAMS (a ;-list); fails on the first that fails.
foreach(p IN LISTS PROGRAMS)
  execute_process(COMMAND ${p} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${p} failed (${rc}):\n${out}${err}")
  endif()
endforeach()
list(LENGTH PROGRAMS n)
message(STATUS "${n} programs, each using one header alone, ran")
