// The MPI tests' main: MPI is started before doctest runs the tests on
// every rank, and the program fails if any rank's tests failed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <tinylm/tinylm.hpp>

int main(int argc, char** argv) {
  tinylm::dist::MpiEnvironment mpi(argc, argv);
  int rc = 0;
  {
    doctest::Context context(argc, argv);
    rc = context.run();
  }
  tinylm::dist::MpiCommunicator world;
  int64_t failed = rc != 0 ? 1 : 0;
  world.allreduce_sum(&failed, 1);
  return failed != 0 ? 1 : 0;
}
