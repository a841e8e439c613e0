#pragma once
// Writing a file so that readers see either the old file or the complete new
// one, never half of it: write a temporary next to the target, flush it to
// disk, then rename it over the target (rename is atomic on POSIX).

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

#include "tinylm/core/error.hpp"

namespace tinylm {

/// Writes `parts` (concatenated) to `path` atomically; throws tinylm::Error
/// naming the path on failure and leaves any existing file untouched.
inline void write_file_atomic(const std::string& path, std::initializer_list<std::string_view> parts) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  TINYLM_CHECK(fd >= 0, "write_file_atomic: cannot create '", tmp, "': ", std::strerror(errno));
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    throw Error(detail::str_cat("write_file_atomic: ", what, " '", tmp, "': ", reason));
  };
  for (std::string_view part : parts) {
    const char* p = part.data();
    std::size_t left = part.size();
    while (left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail("cannot write");
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  if (::fsync(fd) != 0) fail("cannot flush");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    throw Error(detail::str_cat("write_file_atomic: cannot close '", tmp, "': ", std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw Error(detail::str_cat("write_file_atomic: cannot rename '", tmp, "' to '", path, "': ", reason));
  }
}

}  // namespace tinylm
