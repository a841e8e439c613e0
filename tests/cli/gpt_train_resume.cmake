# gpt_train's --resume continues a run exactly: 6 steps in one go, and the same
# run stopped after step 3 (--stop-at) then resumed, give byte-identical
# checkpoints. A run
# that fails (a checkpoint of another shape) must not touch an existing one.
set(common --n-layer 2 --n-head 2 --n-embd 16 --block-size 16 --batch-size 4 --eval-every 3 --eval-iters 2
           --sample-tokens 0 --synthetic-chars 20000 --threads 2 --dropout 0.1)
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
endfunction()
file(REMOVE_RECURSE ${WORK})
run(${EXE} ${common} --steps 6 --out ${WORK}/once)
run(${EXE} ${common} --steps 6 --stop-at 3 --out ${WORK}/twice)
run(${EXE} ${common} --steps 6 --resume ${WORK}/twice/model.safetensors --out ${WORK}/twice)
foreach(f model.safetensors model.train.safetensors)
  file(SHA256 ${WORK}/once/${f} a)
  file(SHA256 ${WORK}/twice/${f} b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "${f} differs between a straight run and a resumed run")
  endif()
endforeach()
# A failing run leaves the existing checkpoint as it was.
file(SHA256 ${WORK}/once/model.safetensors before)
execute_process(COMMAND ${EXE} ${common} --n-embd 32 --steps 9 --init ${WORK}/once/model.safetensors --out ${WORK}/once
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "holds a model with n-embd 16, but --n-embd is 32")
  message(FATAL_ERROR "expected a clear error for a mismatched checkpoint, got ${rc}: ${err}")
endif()
file(SHA256 ${WORK}/once/model.safetensors after)
if(NOT before STREQUAL after)
  message(FATAL_ERROR "a failed run modified the checkpoint")
endif()
