#pragma once
// The bodies of nn/lora.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include <regex>

#include "tinylm/nn/lora.hpp"

namespace tinylm::nn {

TINYLM_DECL bool LoRAConfig::targets(const std::string& name) const {
  if (!target_regex.empty()) {
    try {
      return std::regex_match(name, std::regex(target_regex));
    } catch (const std::regex_error& e) {
      throw Error("LoRAConfig: target_regex '" + target_regex + "' is not a regular expression: " + e.what());
    }
  }
  for (const auto& t : target_modules)
    if (name == t || (name.size() > t.size() && name.ends_with(t) && name[name.size() - t.size() - 1] == '.'))
      return true;
  return false;
}

}  // namespace tinylm::nn
