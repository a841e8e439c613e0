#pragma once
// A small JSON value with a strict parser and a writer: enough for
// safetensors headers and checkpoint metadata. Numbers are kept as doubles
// (and as exact int64 when they are integers, for offsets and shapes).
// Parse errors name the byte offset.

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tinylm/core/config.hpp"
#include "tinylm/core/error.hpp"
#include "tinylm/core/utf8.hpp"

namespace tinylm::io {

class Json {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<Json>;
  using Object = std::vector<std::pair<std::string, Json>>;  // keeps insertion order

  Json() = default;
  Json(std::nullptr_t) {}
  Json(bool b) : kind_(Kind::Bool), bool_(b) {}
  Json(int v) : Json(static_cast<int64_t>(v)) {}
  Json(int64_t v) : kind_(Kind::Number), num_(static_cast<double>(v)), int_(v), is_int_(true) {}
  Json(double v) : kind_(Kind::Number), num_(v) {}
  Json(const char* s) : kind_(Kind::String), str_(s) {}
  Json(std::string s) : kind_(Kind::String), str_(std::move(s)) {}
  static Json array(Array a = {}) {
    Json j;
    j.kind_ = Kind::Array;
    j.arr_ = std::make_shared<Array>(std::move(a));
    return j;
  }
  static Json object(Object o = {}) {
    Json j;
    j.kind_ = Kind::Object;
    j.obj_ = std::make_shared<Object>(std::move(o));
    return j;
  }

  Kind kind() const { return kind_; }
  bool is_object() const { return kind_ == Kind::Object; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_number() const { return kind_ == Kind::Number; }

  const std::string& as_string(std::string_view what = "value") const {
    TINYLM_CHECK(kind_ == Kind::String, "json: ", what, " must be a string");
    return str_;
  }
  bool as_bool(std::string_view what = "value") const {
    TINYLM_CHECK(kind_ == Kind::Bool, "json: ", what, " must be true or false");
    return bool_;
  }
  double as_number(std::string_view what = "value") const {
    TINYLM_CHECK(kind_ == Kind::Number, "json: ", what, " must be a number");
    return num_;
  }
  int64_t as_int(std::string_view what = "value") const {
    TINYLM_CHECK(kind_ == Kind::Number && is_int_, "json: ", what, " must be an integer");
    return int_;
  }
  const Array& as_array(std::string_view what = "value") const {
    TINYLM_CHECK(kind_ == Kind::Array, "json: ", what, " must be an array");
    return *arr_;
  }
  const Object& as_object(std::string_view what = "value") const {
    TINYLM_CHECK(kind_ == Kind::Object, "json: ", what, " must be an object");
    return *obj_;
  }
  /// The member `key` of an object, or nullptr.
  const Json* find(std::string_view key) const {
    if (kind_ != Kind::Object) return nullptr;
    for (const auto& [k, v] : *obj_)
      if (k == key) return &v;
    return nullptr;
  }
  /// The member `key` of an object; an error naming it when there is none.
  const Json& at(std::string_view key) const {
    const Json* v = find(key);
    TINYLM_CHECK(v, "json: no member '", key, "'");
    return *v;
  }
  void set(std::string key, Json value) {
    TINYLM_CHECK(kind_ == Kind::Object, "json: set() on a non-object");
    for (auto& [k, v] : *obj_)
      if (k == key) {
        v = std::move(value);
        return;
      }
    obj_->emplace_back(std::move(key), std::move(value));
  }
  void push_back(Json value) {
    TINYLM_CHECK(kind_ == Kind::Array, "json: push_back() on a non-array");
    arr_->push_back(std::move(value));
  }

  std::string dump() const {
    std::string out;
    write(out);
    return out;
  }

  /// Parses a complete JSON text; `what` names the source in errors.
  static Json parse(std::string_view text, std::string_view what = "json");

 private:
  struct Parser {
    std::string_view s;
    std::size_t pos;
    std::string_view what;

    void expect(bool ok, const char* msg) const { TINYLM_CHECK(ok, what, ": bad JSON at byte ", pos, ": ", msg); }
    void skip_ws() {
      while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n' || s[pos] == '\r')) ++pos;
    }
    bool eat(char c) {
      skip_ws();
      if (pos < s.size() && s[pos] == c) {
        ++pos;
        return true;
      }
      return false;
    }
    Json value(int depth) {
      expect(depth < 64, "nested too deeply");
      skip_ws();
      expect(pos < s.size(), "unexpected end of input");
      const char c = s[pos];
      if (c == '{') return object(depth);
      if (c == '[') return array(depth);
      if (c == '"') return Json(string());
      if (s.substr(pos, 4) == "true") return pos += 4, Json(true);
      if (s.substr(pos, 5) == "false") return pos += 5, Json(false);
      if (s.substr(pos, 4) == "null") return pos += 4, Json();
      return number();
    }
    Json object(int depth) {
      const std::size_t start = pos++;
      Json o = Json::object();
      if (eat('}')) return o;
      do {
        skip_ws();
        expect(pos < s.size() && s[pos] == '"', "expected a string key");
        std::string key = string();
        expect(eat(':'), "expected ':'");
        o.obj_->emplace_back(std::move(key), value(depth + 1));
      } while (eat(','));
      expect(eat('}'), "expected ',' or '}'");
      // A key given twice is an error (RFC 8259 leaves it open; which value
      // would win differs between readers, so a strict reader refuses it).
      std::vector<std::string_view> keys;
      keys.reserve(o.obj_->size());
      for (const auto& [k, v] : *o.obj_) keys.emplace_back(k);
      std::sort(keys.begin(), keys.end());
      const auto dup = std::adjacent_find(keys.begin(), keys.end());
      TINYLM_CHECK(dup == keys.end(), what, ": bad JSON: the object at byte ", start, " has the key '", *dup,
                   "' twice");
      return o;
    }
    Json array(int depth) {
      ++pos;
      Json a = Json::array();
      if (eat(']')) return a;
      do a.arr_->push_back(value(depth + 1));
      while (eat(','));
      expect(eat(']'), "expected ',' or ']'");
      return a;
    }
    unsigned hex4() {
      expect(pos + 4 <= s.size(), "truncated \\u escape");
      unsigned v = 0;
      for (int i = 0; i < 4; ++i) {
        const char h = s[pos++];
        v <<= 4;
        if (h >= '0' && h <= '9') v |= static_cast<unsigned>(h - '0');
        else if (h >= 'a' && h <= 'f') v |= static_cast<unsigned>(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') v |= static_cast<unsigned>(h - 'A' + 10);
        else expect(false, "bad hex digit in \\u escape");
      }
      return v;
    }
    std::string string() {
      ++pos;  // opening quote
      std::string out;
      while (true) {
        expect(pos < s.size(), "unterminated string");
        const char c = s[pos++];
        if (c == '"') return out;
        expect(static_cast<unsigned char>(c) >= 0x20, "control character in string");
        if (static_cast<unsigned char>(c) >= 0x80) {  // raw UTF-8: must be well-formed
          --pos;
          const std::size_t n = utf8_sequence_at(s, pos);
          expect(n > 0, "invalid UTF-8 in string");
          out.append(s.substr(pos, n));
          pos += n;
          continue;
        }
        if (c != '\\') {
          out += c;
          continue;
        }
        expect(pos < s.size(), "unterminated escape");
        const char e = s[pos++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            unsigned cp = hex4();
            expect(cp < 0xDC00 || cp >= 0xE000, "lone low surrogate (not valid Unicode)");
            if (cp >= 0xD800 && cp < 0xDC00) {  // surrogate pair
              expect(s.substr(pos, 2) == "\\u", "lone high surrogate (not valid Unicode)");
              pos += 2;
              const unsigned lo = hex4();
              expect(lo >= 0xDC00 && lo < 0xE000, "a high surrogate not followed by a low one");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            utf8_append(out, static_cast<char32_t>(cp));
            break;
          }
          default: expect(false, "unknown escape");
        }
      }
    }
    /// RFC 8259's number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    /// (no '+', no leading zeros, digits on both sides of the point).
    /// Integers that fit int64 stay exact; others are doubles.
    Json number() {
      const std::size_t start = pos;
      auto digit = [&] { return pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; };
      auto digits = [&](const char* what_is_missing) {
        expect(digit(), what_is_missing);
        while (digit()) ++pos;
      };
      if (pos < s.size() && s[pos] == '-') ++pos;
      expect(digit(), "expected a value");
      if (s[pos] == '0') {
        ++pos;
        expect(!digit(), "a number may not have a leading zero");
      } else {
        digits("expected a digit");
      }
      bool integral = true;
      if (pos < s.size() && s[pos] == '.') {
        ++pos;
        digits("expected a digit after the decimal point");
        integral = false;
      }
      if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
        ++pos;
        if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) ++pos;
        digits("expected a digit in the exponent");
        integral = false;
      }
      const std::string tok(s.substr(start, pos - start));
      if (integral) {
        errno = 0;
        const long long v = std::strtoll(tok.c_str(), nullptr, 10);
        if (errno == 0) return Json(static_cast<int64_t>(v));
      }
      const double d = std::strtod(tok.c_str(), nullptr);
      expect(std::isfinite(d), "number out of range");
      return Json(d);
    }
  };

  static void write_string(std::string& out, const std::string& s);

  void write(std::string& out) const;

  Kind kind_ = Kind::Null;
  bool bool_ = false;
  double num_ = 0;
  int64_t int_ = 0;
  bool is_int_ = false;
  std::string str_;
  std::shared_ptr<Array> arr_;
  std::shared_ptr<Object> obj_;
};

}  // namespace tinylm::io

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/io/impl/json.ipp"
#endif
