#pragma once
// ARPA backoff language models: writing tinylm's Kneser-Ney models, and
// reading ARPA files from any toolkit (KenLM, SRILM, tinylm).
//
// The format: a \data\ section with "ngram n=count" lines, then one
// \n-grams: section per order whose lines are
//
//   log10 p(w_n | w_1..w_{n-1})   w_1 ... w_n   [log10 backoff(w_1..w_n)]
//
// and \end\. ArpaLM follows the standard backoff semantics exactly:
//
//   p(w | h) = p*(h w)                       if "h w" is listed
//            = bo(h) * p(w | h without its first token)   otherwise,
//   bo(h) = the listed backoff of h, or 1 if h is not listed or has none.
//
// An interpolated Kneser-Ney model is a backoff model in disguise: its
// probability for a listed n-gram is the interpolated value, and its
// backoff weight is gamma(h). write_arpa() lists every n-gram the model
// counted with those values, so the file reproduces the model's
// probabilities for every context and word.

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "tinylm/core/atomic_file.hpp"
#include "tinylm/lm/lm_eval.hpp"
#include "tinylm/lm/ngram.hpp"

namespace tinylm::lm {

namespace detail {

inline std::string log10_text(double p) {
  char buf[32];
  if (p <= 0) return "-99";
  std::snprintf(buf, sizeof buf, "%.10g", std::log10(p));
  return buf;
}

}  // namespace detail

/// An ARPA-safe name for one character (ARPA separates words by
/// whitespace): "<sp>", "<nl>", "<tab>", "<cr>", "<U+XXXX>" for other
/// control characters, the character itself otherwise.
inline std::string arpa_char_name(const std::string& ch) {
  if (ch == " ") return "<sp>";
  if (ch == "\n") return "<nl>";
  if (ch == "\t") return "<tab>";
  if (ch == "\r") return "<cr>";
  if (ch.size() == 1 && (static_cast<unsigned char>(ch[0]) < 0x20 || ch[0] == 0x7F)) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "<U+%04X>", static_cast<unsigned>(static_cast<unsigned char>(ch[0])));
    return buf;
  }
  return ch;
}

/// Writes a Kneser-Ney model (plain or modified) as an ARPA file, atomically.
inline void write_arpa(const std::string& path, const NGramLM& m) {
  TINYLM_CHECK(m.options().smoothing != Smoothing::AddK,
               "write_arpa: ARPA holds backoff models; add-k smoothing is not one (use kn or mkn)");
  const NGramVocab& v = m.vocab();
  for (const auto& t : v.tokens)
    TINYLM_CHECK(!t.empty() && t.find_first_of(" \t\n\r") == std::string::npos, "write_arpa: token '", t,
                 "' is empty or holds whitespace; give ARPA-safe names");
  const int N = m.order();
  std::string body;
  std::vector<int64_t> counts(static_cast<std::size_t>(N), 0);
  for (int n = 1; n <= N; ++n) {
    body += "\n\\" + std::to_string(n) + "-grams:\n";
    auto line = [&](const std::vector<int32_t>& g) {
      const int32_t w = g.back();
      std::string s = detail::log10_text(m.prob(g.data(), n - 1, w));
      for (int32_t t : g) s += " " + v.tokens[static_cast<std::size_t>(t)];
      if (n < N) {
        const double bo = m.backoff(g.data(), n);
        if (bo != 1.0) s += " " + detail::log10_text(bo);
      }
      body += s + "\n";
      ++counts[static_cast<std::size_t>(n - 1)];
    };
    if (n == 1) {  // every token of the vocabulary, seen or not
      for (int32_t w = 0; w < v.size(); ++w) line({w});
    } else {
      for (const auto& key : m.level(n).keys) line(m.unpack(key, n));
    }
  }
  std::string head = "\\data\\\n";
  for (int n = 1; n <= N; ++n)
    head += "ngram " + std::to_string(n) + "=" + std::to_string(counts[static_cast<std::size_t>(n - 1)]) + "\n";
  write_file_atomic(path, {head, body, "\n\\end\\\n"});
}

/// A backoff model read from an ARPA file.
class ArpaLM {
 public:
  static ArpaLM read(const std::string& path) {
    std::ifstream in(path);
    TINYLM_CHECK(in.good(), "arpa: cannot open '", path, "'");
    ArpaLM m;
    std::string line;
    int64_t lineno = 0;
    auto fail = [&](const std::string& why) {
      throw Error(tinylm::detail::str_cat("arpa: '", path, "' line ", lineno, ": ", why));
    };
    auto next = [&]() -> bool {
      while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") != std::string::npos) return true;
      }
      return false;
    };
    // header: anything before \data\ is ignored, as toolkits do
    while (true) {
      if (!next()) fail("no \\data\\ section");
      if (line == "\\data\\") break;
    }
    std::vector<int64_t> declared;
    while (next() && line.rfind("ngram ", 0) == 0) {
      const auto eq = line.find('=');
      int n = 0;
      long long c = -1;
      if (eq == std::string::npos || std::sscanf(line.c_str() + 6, "%d", &n) != 1 ||
          std::sscanf(line.c_str() + eq + 1, "%lld", &c) != 1 || n != static_cast<int>(declared.size()) + 1 || c < 0)
        fail("malformed count line '" + line + "' (expected 'ngram " + std::to_string(declared.size() + 1) +
             "=COUNT')");
      declared.push_back(c);
    }
    if (declared.empty()) fail("\\data\\ declares no n-gram counts");
    m.order_ = static_cast<int>(declared.size());
    m.tables_.resize(declared.size());
    std::vector<std::vector<std::vector<std::string>>> raw(declared.size());
    std::vector<std::vector<std::pair<double, double>>> vals(declared.size());
    for (int n = 1; n <= m.order_; ++n) {
      if (line != "\\" + std::to_string(n) + "-grams:")
        fail("expected \\" + std::to_string(n) + "-grams:, got '" + line + "'");
      int64_t seen = 0;
      while (next() && line[0] != '\\') {
        std::istringstream fields(line);
        std::vector<std::string> f;
        for (std::string x; fields >> x;) f.push_back(x);
        if (f.size() != static_cast<std::size_t>(n + 1) && f.size() != static_cast<std::size_t>(n + 2))
          fail("expected " + std::to_string(n + 1) + " or " + std::to_string(n + 2) + " fields for a " +
               std::to_string(n) + "-gram, got " + std::to_string(f.size()));
        const double lp = number(f[0], fail),
                     bo = f.size() == static_cast<std::size_t>(n + 2) ? number(f.back(), fail) : 0.0;
        if (n == m.order_ && f.size() == static_cast<std::size_t>(n + 2))
          fail("a highest-order n-gram cannot have a backoff weight");
        raw[static_cast<std::size_t>(n - 1)].emplace_back(f.begin() + 1, f.begin() + 1 + n);
        vals[static_cast<std::size_t>(n - 1)].emplace_back(lp, bo);
        ++seen;
      }
      if (seen != declared[static_cast<std::size_t>(n - 1)])
        fail("the \\" + std::to_string(n) + "-grams: section lists " + std::to_string(seen) +
             " entries, \\data\\ declared " + std::to_string(declared[static_cast<std::size_t>(n - 1)]));
      if (in.eof() && line[0] != '\\') fail("unexpected end of file (no \\end\\)");
    }
    if (line != "\\end\\") fail("expected \\end\\, got '" + line + "'");
    // Vocabulary from the unigrams, then every table keyed by ids.
    for (const auto& g : raw[0]) {
      if (m.index_.count(g[0])) {
        lineno = 0;
        fail("unigram '" + g[0] + "' is listed twice");
      }
      m.index_[g[0]] = static_cast<int32_t>(m.words_.size());
      m.words_.push_back(g[0]);
    }
    m.bits_ = std::max(1, static_cast<int>(std::bit_width(static_cast<uint64_t>(m.words_.size()))));
    TINYLM_CHECK(m.bits_ * m.order_ <= 128, "arpa: '", path, "': order ", m.order_, " over ", m.words_.size(),
                 " words does not fit 128-bit keys");
    for (int n = 1; n <= m.order_; ++n)
      for (std::size_t i = 0; i < raw[static_cast<std::size_t>(n - 1)].size(); ++i) {
        std::vector<int32_t> ids;
        for (const auto& w : raw[static_cast<std::size_t>(n - 1)][i]) {
          auto it = m.index_.find(w);
          TINYLM_CHECK(it != m.index_.end(), "arpa: '", path, "': ", n, "-gram entry ", i + 1, " uses '", w,
                       "', which is not a unigram");
          ids.push_back(it->second);
        }
        m.tables_[static_cast<std::size_t>(n - 1)][m.pack(ids.data(), n)] = vals[static_cast<std::size_t>(n - 1)][i];
      }
    m.unk_ = m.id("<unk>");
    m.bos_ = m.id("<s>");
    m.eos_ = m.id("</s>");
    return m;
  }

  int order() const { return order_; }
  const std::vector<std::string>& words() const { return words_; }
  /// The id of a word, or -1.
  int32_t id(const std::string& w) const {
    auto it = index_.find(w);
    return it == index_.end() ? -1 : it->second;
  }
  int32_t unk() const { return unk_; }
  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }

  /// p(w | context) by the backoff rule (see the file comment).
  double prob(const int32_t* context, int64_t len, int32_t w) const {
    const int m = static_cast<int>(std::min<int64_t>(len, order_ - 1));
    double log_bo = 0;
    for (int c = m; c >= 0; --c) {  // c context tokens
      const int32_t* h = context + (len - c);
      std::vector<int32_t> g(h, h + c);
      g.push_back(w);
      const auto& table = tables_[static_cast<std::size_t>(c)];
      auto it = table.find(pack(g.data(), c + 1));
      if (it != table.end()) return std::pow(10.0, it->second.first + log_bo);
      if (c > 0) {
        auto ctx = tables_[static_cast<std::size_t>(c - 1)].find(pack(h, c));
        if (ctx != tables_[static_cast<std::size_t>(c - 1)].end()) log_bo += ctx->second.second;
      }
    }
    return 0.0;  // w is not even a unigram
  }

  /// Maps words to ids, unknown words to <unk> (counted in *oov).
  std::vector<int32_t> ids(const std::vector<std::string>& ws, int64_t* oov = nullptr) const {
    std::vector<int32_t> out;
    for (const auto& w : ws) {
      int32_t i = id(w);
      if (i < 0) {
        TINYLM_CHECK(unk_ >= 0, "arpa: word '", w, "' is not in the model, which has no <unk>");
        if (oov) ++*oov;
        i = unk_;
      }
      out.push_back(i);
    }
    return out;
  }

  LMScore evaluate(const std::vector<std::vector<int32_t>>& sequences) const {
    return evaluate_lm(*this, sequences, unk_);
  }

 private:
  struct KeyHash {
    std::size_t operator()(lm::detail::NGramKey k) const {
      return std::hash<uint64_t>()(static_cast<uint64_t>(k) ^ static_cast<uint64_t>(k >> 64) * 0x9E3779B97F4A7C15ull);
    }
  };
  template <class Fail>
  static double number(const std::string& s, Fail& fail) {
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !std::isfinite(v)) fail("'" + s + "' is not a finite number");
    return v;
  }
  lm::detail::NGramKey pack(const int32_t* t, int n) const {
    lm::detail::NGramKey k = 0;
    for (int i = 0; i < n; ++i) k = (k << bits_) | static_cast<lm::detail::NGramKey>(t[i]);
    return k;
  }

  int order_ = 0, bits_ = 1;
  int32_t unk_ = -1, bos_ = -1, eos_ = -1;
  std::vector<std::string> words_;
  std::unordered_map<std::string, int32_t> index_;
  std::vector<std::unordered_map<lm::detail::NGramKey, std::pair<double, double>, KeyHash>> tables_;
};

}  // namespace tinylm::lm
