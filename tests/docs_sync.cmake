# Fails unless docs/getting-started.md quotes examples/mlp_fit.cpp verbatim,
# so the program the docs show is the one the tests build and run.
file(READ ${TINYLM_SOURCE}/examples/mlp_fit.cpp code)
file(READ ${TINYLM_SOURCE}/docs/getting-started.md doc)
string(FIND "${doc}" "${code}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "docs/getting-started.md does not contain examples/mlp_fit.cpp verbatim")
endif()
