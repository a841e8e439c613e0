// Compiled with the tests' precompiled header, so that the header is built
// (and rebuilt when the library changes) as part of tinylm_test_main.
#include "helpers.hpp"
