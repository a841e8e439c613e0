#pragma once
// The bodies of io/json.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/io/json.hpp"

namespace tinylm::io {

TINYLM_DECL Json Json::parse(std::string_view text, std::string_view what) {
  Parser p{text, 0, what};
  p.skip_ws();
  Json v = p.value(0);
  p.skip_ws();
  p.expect(p.pos == text.size(), "unexpected characters after the value");
  return v;
}

TINYLM_DECL void Json::write_string(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

TINYLM_DECL void Json::write(std::string& out) const {
  switch (kind_) {
    case Kind::Null: out += "null"; break;
    case Kind::Bool: out += bool_ ? "true" : "false"; break;
    case Kind::Number: {
      if (is_int_) {
        out += std::to_string(int_);
      } else {
        TINYLM_CHECK(std::isfinite(num_), "json: cannot write a non-finite number");
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", num_);
        out += buf;
        // A double stays a double when read back: "1.0", "-0.0", not "1", "-0".
        if (std::string_view(buf).find_first_of(".e") == std::string_view::npos) out += ".0";
      }
      break;
    }
    case Kind::String: write_string(out, str_); break;
    case Kind::Array: {
      out += '[';
      for (std::size_t i = 0; i < arr_->size(); ++i) {
        if (i) out += ',';
        (*arr_)[i].write(out);
      }
      out += ']';
      break;
    }
    case Kind::Object: {
      out += '{';
      for (std::size_t i = 0; i < obj_->size(); ++i) {
        if (i) out += ',';
        write_string(out, (*obj_)[i].first);
        out += ':';
        (*obj_)[i].second.write(out);
      }
      out += '}';
      break;
    }
  }
}

}  // namespace tinylm::io
