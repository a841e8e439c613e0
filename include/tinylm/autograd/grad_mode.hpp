#pragma once
// Grad mode: whether ops record the graph. On by default; NoGradGuard turns
// it off for a scope (evaluation, optimizer updates, and backward itself).
// The flag is per thread.

namespace tinylm {

class GradMode {
 public:
  static bool is_enabled() { return flag(); }
  static void set_enabled(bool on) { flag() = on; }

 private:
  static bool& flag() {
    thread_local bool enabled = true;
    return enabled;
  }
};

/// RAII: no graph is recorded while a NoGradGuard is alive.
class NoGradGuard {
 public:
  NoGradGuard() : prev_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace tinylm
