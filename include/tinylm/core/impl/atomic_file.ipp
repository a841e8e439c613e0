#pragma once
// The bodies of core/atomic_file.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/core/atomic_file.hpp"

namespace tinylm::detail {

TINYLM_DECL void remove_stale_temporaries(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  const std::string prefix = p.filename().string() + ".tmp.";
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string pid = name.substr(prefix.size());
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto id = static_cast<pid_t>(std::stol(pid));
    if (id == ::getpid() || ::kill(id, 0) == 0 || errno != ESRCH) continue;  // its writer may still be writing
    std::error_code ignored;
    fs::remove(it->path(), ignored);
  }
}

TINYLM_DECL void sync_directory_of(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

TINYLM_DECL bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t k = ::write(fd, p, n);
    if (k < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return true;
}

}  // namespace tinylm::detail

namespace tinylm {

TINYLM_DECL void write_file_atomic(const std::string& path, std::initializer_list<std::string_view> parts) {
  detail::remove_stale_temporaries(path);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  TINYLM_CHECK(fd >= 0, "write_file_atomic: cannot create '", tmp, "': ", std::strerror(errno));
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    throw Error(detail::str_cat("write_file_atomic: ", what, " '", tmp, "': ", reason));
  };
  for (std::string_view part : parts)
    if (!detail::write_all(fd, part.data(), part.size())) fail("cannot write");
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
  detail::sync_directory_of(path);
}

}  // namespace tinylm
