#pragma once
// Command-line flags for tinylm's example programs: --name value or
// --name=value, typed targets, --help, and errors that name the flag.

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <new>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <unistd.h>

#include <tinylm/core/error.hpp>

namespace examples {

/// A bad command line: the program prints it with the usage hint and exits 2.
struct UsageError : tinylm::Error {
  using tinylm::Error::Error;
};

class Flags {
 public:
  Flags(std::string program, std::string summary) : program_(std::move(program)), summary_(std::move(summary)) {}

  void add(const std::string& name, std::string* target, const std::string& help) { add_flag(name, target, help); }
  void add(const std::string& name, int64_t* target, const std::string& help) { add_flag(name, target, help); }
  void add(const std::string& name, double* target, const std::string& help) { add_flag(name, target, help); }
  /// A switch: --name alone sets it; --name=true|false also works.
  void add(const std::string& name, bool* target, const std::string& help) { add_flag(name, target, help); }
  /// A flag that may be given many times: each value is appended.
  void add(const std::string& name, std::vector<std::string>* target, const std::string& help) {
    add_flag(name, target, help);
  }

  /// Parses argv; returns false when --help was asked for (usage printed).
  bool parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--help" || arg == "-h") {
        std::fputs(usage().c_str(), stdout);
        return false;
      }
      if (arg.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + arg + "' (flags start with --)");
      std::string name = arg.substr(2), value;
      bool has_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      auto it = flags_.find(name);
      if (it == flags_.end()) throw UsageError("unknown flag --" + name);
      Flag& f = it->second;
      if (std::holds_alternative<bool*>(f.target) && !has_value) {
        *std::get<bool*>(f.target) = true;
        given_[name] = true;
        continue;
      }
      if (!has_value) {
        if (i + 1 >= argc) throw UsageError("--" + name + " needs a value");
        value = argv[++i];
      }
      set(name, f, value);
      given_[name] = true;
    }
    return true;
  }

  bool given(const std::string& name) const { return given_.count(name) > 0; }

  std::string usage() const {
    std::ostringstream os;
    os << "usage: " << program_ << " [flags]\n\n" << summary_ << "\n\nflags:\n";
    for (const auto& name : order_) {
      const Flag& f = flags_.at(name);
      os << "  --" << name << " " << f.kind << "\n      " << f.help << " (default: " << f.default_text << ")\n";
    }
    return os.str();
  }

 private:
  using Target = std::variant<std::string*, int64_t*, double*, bool*, std::vector<std::string>*>;
  struct Flag {
    Target target;
    std::string help, kind, default_text;
  };

  template <class P>
  void add_flag(const std::string& name, P target, const std::string& help) {
    std::ostringstream d;
    if constexpr (std::is_same_v<P, bool*>) d << (*target ? "true" : "false");
    else if constexpr (std::is_same_v<P, std::string*>) d << (target->empty() ? "none" : "'" + *target + "'");
    else if constexpr (std::is_same_v<P, std::vector<std::string>*>) d << "none; may be given more than once";
    else d << *target;
    const char* kind = std::is_same_v<P, std::string*> || std::is_same_v<P, std::vector<std::string>*> ? "TEXT"
                       : std::is_same_v<P, int64_t*>                                                   ? "INT"
                       : std::is_same_v<P, double*>                                                    ? "NUMBER"
                                                                                                       : "";
    flags_[name] = {target, help, kind, d.str()};
    order_.push_back(name);
  }

  static void set(const std::string& name, Flag& f, const std::string& value) {
    std::visit(
        [&](auto* t) {
          using V = std::remove_pointer_t<decltype(t)>;
          if constexpr (std::is_same_v<V, std::string>) {
            *t = value;
          } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
            t->push_back(value);
          } else if constexpr (std::is_same_v<V, bool>) {
            if (value == "true" || value == "1") *t = true;
            else if (value == "false" || value == "0") *t = false;
            else throw UsageError("--" + name + ": expected true or false, got '" + value + "'");
          } else if constexpr (std::is_same_v<V, int64_t>) {
            char* end = nullptr;
            errno = 0;
            const long long v = std::strtoll(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || errno != 0)
              throw UsageError("--" + name + ": expected an integer, got '" + value + "'");
            *t = v;
          } else {
            char* end = nullptr;
            const double v = std::strtod(value.c_str(), &end);
            if (value.empty() || *end != '\0' || !std::isfinite(v))
              throw UsageError("--" + name + ": expected a number, got '" + value + "'");
            *t = v;
          }
        },
        f.target);
  }

  std::string program_, summary_;
  std::map<std::string, Flag> flags_;
  std::vector<std::string> order_;
  std::map<std::string, bool> given_;
};

/// A duration as "4m07s" (or "1h02m" from an hour on), for progress lines.
inline std::string format_duration(double s) {
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", int(s / 3600), int(s / 60) % 60);
  else std::snprintf(buf, sizeof buf, "%dm%02ds", int(s / 60), int(s) % 60);
  return buf;
}

/// Makes sure `dir` is a directory this process can write into (creating it
/// and its parents if needed), so a run finds an unwritable --out before it
/// trains, not after; `flag` names the flag in the error.
inline void ensure_writable_dir(const std::string& dir, const std::string& flag) {
  namespace fs = std::filesystem;
  const fs::path p = dir.empty() ? fs::path(".") : fs::path(dir);
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec || !fs::is_directory(p))
    throw tinylm::Error(flag + " '" + dir + "': cannot create the directory" + (ec ? ": " + ec.message() : ""));
  if (::access(p.c_str(), W_OK) != 0)
    throw tinylm::Error(flag + " '" + dir + "': the directory is not writable: " + std::strerror(errno));
}

/// The main() of an example program: runs run(argc, argv); a UsageError is
/// printed with the usage hint (exit 2), any other error as "error:" (exit 1).
template <class Run>
int run_main(const char* program, int argc, char** argv, Run run) {
  try {
    return run(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\n(%s --help lists the flags)\n", program, e.what(), program);
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: error: out of memory: the model, the data or a batch needs more than this machine has\n",
                 program);
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace examples
