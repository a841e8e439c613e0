#pragma once
// A file mapped read-only into memory: its bytes are read from the page
// cache on first touch, and the kernel drops clean pages again under memory
// pressure, so a file larger than RAM can be read at random without being
// loaded. Move-only; the mapping ends with the object.

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tinylm/core/error.hpp"

namespace tinylm {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept { swap(o); }
  MappedFile& operator=(MappedFile&& o) noexcept {
    MappedFile(std::move(o)).swap(*this);
    return *this;
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(data_, size_);
  }

  /// Maps the whole file at `path`.
  static MappedFile open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    TINYLM_CHECK(fd >= 0, "cannot open '", path, "': ", std::strerror(errno));
    MappedFile m;
    try {
      m = from_fd(fd, path);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);  // the mapping keeps the file
    return m;
  }

  /// Maps the whole file open as `fd` (which stays the caller's to close);
  /// `path` names it in errors.
  static MappedFile from_fd(int fd, const std::string& path) {
    struct stat st {};
    TINYLM_CHECK(::fstat(fd, &st) == 0, "cannot stat '", path, "': ", std::strerror(errno));
    TINYLM_CHECK(S_ISREG(st.st_mode), "'", path, "' is not a regular file");
    MappedFile m;
    m.path_ = path;
    m.size_ = static_cast<std::size_t>(st.st_size);
    if (m.size_ == 0) return m;
    void* p = ::mmap(nullptr, m.size_, PROT_READ, MAP_SHARED, fd, 0);
    TINYLM_CHECK(p != MAP_FAILED, "cannot map '", path, "' (", m.size_, " bytes): ", std::strerror(errno));
    m.data_ = p;
    return m;
  }

  const unsigned char* data() const { return static_cast<const unsigned char*>(data_); }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  /// Tells the kernel the pages will be read once, front to back (read ahead, drop behind).
  void advise_sequential() const {
    if (data_ != nullptr) (void)::madvise(data_, size_, MADV_SEQUENTIAL);
  }
  /// Tells the kernel the pages will be read at random (no read-ahead).
  void advise_random() const {
    if (data_ != nullptr) (void)::madvise(data_, size_, MADV_RANDOM);
  }

 private:
  void swap(MappedFile& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(path_, o.path_);
  }

  void* data_ = nullptr;
  std::size_t size_ = 0;
  std::string path_;
};

}  // namespace tinylm
