# translate --model MODEL < INPUT prints one line per input line.
execute_process(COMMAND ${EXE} --model ${MODEL} --threads 2 INPUT_FILE ${INPUT} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "translate --model exited ${rc}: ${err}")
endif()
string(REGEX MATCHALL "\n" newlines "${out}")
list(LENGTH newlines n)
if(NOT n EQUAL 2)
  message(FATAL_ERROR "expected 2 lines of translation, got ${n}:\n${out}")
endif()
