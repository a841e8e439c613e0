#pragma once
// Writing a file so that readers see either the old file or the complete new
// one, never half of it: write a temporary next to the target, flush it to
// disk, then rename it over the target (rename is atomic on POSIX) and
// flush the directory. A writer killed mid-write leaves its temporary
// (PATH.tmp.PID), which no reader takes for the file; the next write of
// PATH removes those whose process is gone.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "tinylm/core/config.hpp"
#include "tinylm/core/error.hpp"

namespace tinylm {

namespace detail {

/// Removes the temporaries (PATH.tmp.PID) of earlier writes of `path` whose
/// process no longer runs: what a writer killed mid-write left.
TINYLM_DECL void remove_stale_temporaries(const std::string& path);

/// Flushes the directory holding `path`, so that a rename in it survives a crash.
TINYLM_DECL void sync_directory_of(const std::string& path);

/// Writes n bytes at p to fd, through short writes and EINTR; false (errno says why) on an error.
TINYLM_DECL bool write_all(int fd, const char* p, std::size_t n);

}  // namespace detail

/// Writes `parts` (concatenated) to `path` atomically; throws tinylm::Error
/// naming the path on failure (a full disk, a file-size limit, no
/// permission) and leaves any existing file untouched.
TINYLM_DECL void write_file_atomic(const std::string& path, std::initializer_list<std::string_view> parts);

}  // namespace tinylm

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/core/impl/atomic_file.ipp"
#endif
