# Installs tinylm into a scratch prefix, then configures, builds and runs a
# separate project that finds it with find_package(tinylm). CUDA=ON installs
# the CUDA build (its kernel library and the CUDA toolkit as a dependency).
file(REMOVE_RECURSE ${WORK})
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}")
  endif()
endfunction()
run(${CMAKE_COMMAND} -S ${TINYLM_SOURCE} -B ${WORK}/tinylm-build -G ${GENERATOR} -DTINYLM_BUILD_TESTS=OFF
    -DTINYLM_BUILD_EXAMPLES=OFF -DTINYLM_BUILD_BENCHMARKS=OFF -DTINYLM_CUDA=${CUDA} -DCMAKE_INSTALL_PREFIX=${WORK}/prefix)
run(${CMAKE_COMMAND} --build ${WORK}/tinylm-build)  # tinylm_compiled (and the CUDA kernels where CUDA=ON)
run(${CMAKE_COMMAND} --install ${WORK}/tinylm-build)
run(${CMAKE_COMMAND} -S ${TINYLM_SOURCE}/tests/consumer -B ${WORK}/consumer-build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${WORK}/prefix -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK}/consumer-build)
run(${WORK}/consumer-build/consumer)
run(${WORK}/consumer-build/consumer_compiled)
