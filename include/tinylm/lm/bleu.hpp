#pragma once
// Corpus BLEU and chrF, as sacreBLEU computes them with its defaults, so
// that a figure tinylm prints is the figure a paper would quote.
//
// BLEU (Papineni et al. 2002): each hypothesis and reference is tokenized
// by sacreBLEU's "13a" rules (mteval-v13a: punctuation and symbols split
// off, periods and commas unless between digits, a dash after a digit),
// after its trailing whitespace is removed. Over the corpus, for n = 1..4,
// correct_n counts the hypothesis n-grams that a reference also has
// (each clipped to the most any one reference has), total_n all hypothesis
// n-grams; the reference length of a segment is the one closest to the
// hypothesis' length (the shorter on a tie). Then
//
//   p_n  = 100 * correct_n / total_n      ("exp" smoothing: when correct_n = 0,
//                                          p_n = 100 / (2^k * total_n) for the k-th such n)
//   BP   = exp(1 - ref_len / sys_len) when sys_len < ref_len, else 1
//   BLEU = BP * exp(mean_n log p_n)       (0 when nothing matches at all)
//
// chrF (Popovic 2015), sacreBLEU's default chrF2: character n-grams of
// n = 1..6 of each segment with its whitespace removed; per segment the
// reference with the best F-score counts; over the corpus, per order,
// precision = matches / hypothesis n-grams and recall = matches /
// reference n-grams, averaged over the orders both sides have, and
//
//   chrF = 100 * (1 + beta^2) P R / (beta^2 P + R),  beta = 2
//
// Characters are Unicode code points and whitespace is what Python's
// str.split() splits on; bytes that are not UTF-8 count one each.
// The tests hold both to sacreBLEU's own outputs (its README example gives
// BLEU 48.530827) to 1e-6.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tinylm/core/error.hpp"
#include "tinylm/core/utf8.hpp"

namespace tinylm::lm {

namespace detail {

/// Code points of UTF-8 text; a byte that starts no valid sequence is one
/// code point of its own (in U+DC80..U+DCFF, as Python's surrogateescape).
inline std::u32string code_points(std::string_view s) {
  std::u32string out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out += b;
      ++i;
      continue;
    }
    const std::size_t need = (b >= 0xC2 && b <= 0xDF)   ? 1
                             : (b >= 0xE0 && b <= 0xEF) ? 2
                             : (b >= 0xF0 && b <= 0xF4) ? 3
                                                        : 0;
    char32_t cp = need == 1 ? (b & 0x1F) : need == 2 ? (b & 0x0F) : (b & 0x07);
    bool ok = need > 0 && i + need < s.size();
    for (std::size_t k = 1; ok && k <= need; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      ok = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3F);
    }
    // no overlong forms, surrogates or values past U+10FFFF
    if (ok && need == 2) ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
    if (ok && need == 3) ok = cp >= 0x10000 && cp <= 0x10FFFF;
    if (!ok) {
      out += static_cast<char32_t>(0xDC00 + b);
      ++i;
      continue;
    }
    out += cp;
    i += need + 1;
  }
  return out;
}

inline std::string to_utf8(std::u32string_view cps) {
  std::string out;
  for (char32_t c : cps) {
    if (c >= 0xDC80 && c <= 0xDCFF) out += static_cast<char>(c - 0xDC00);  // a byte that was not UTF-8
    else utf8_append(out, c);
  }
  return out;
}

/// Python's str.isspace(): what str.split() and str.rstrip() remove.
inline bool is_py_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

inline std::vector<std::u32string> py_split(std::u32string_view s) {
  std::vector<std::u32string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_py_space(s[i])) ++i;
    std::size_t j = i;
    while (j < s.size() && !is_py_space(s[j])) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

inline void replace_all(std::u32string& s, std::u32string_view from, std::u32string_view to) {
  std::size_t at = 0;
  while ((at = s.find(from, at)) != std::u32string::npos) {
    s.replace(at, from.size(), to);
    at += to.size();
  }
}

inline bool is_digit(char32_t c) { return c >= U'0' && c <= U'9'; }

/// One pass of a two-character rule left to right, as Python's re.sub
/// scans: where first(s[i]) and second(s[i+1]) hold, the pair becomes
/// pre + s[i] + mid + s[i+1] + post and the scan goes on after it.
template <class A, class B>
std::u32string sub_pairs(const std::u32string& s, A first, B second, std::u32string_view pre, std::u32string_view mid,
                         std::u32string_view post) {
  std::u32string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (i + 1 < s.size() && first(s[i]) && second(s[i + 1])) {
      out.append(pre);
      out += s[i];
      out.append(mid);
      out += s[i + 1];
      out.append(post);
      i += 2;
    } else {
      out += s[i++];
    }
  }
  return out;
}

}  // namespace detail

/// sacreBLEU's 13a tokenization of one line (see the file comment).
inline std::string tokenize_13a(std::string_view line) {
  using namespace detail;
  std::u32string s = code_points(line);
  replace_all(s, U"<skipped>", U"");
  replace_all(s, U"-\n", U"");
  replace_all(s, U"\n", U" ");
  if (s.find(U'&') != std::u32string::npos) {
    replace_all(s, U"&quot;", U"\"");
    replace_all(s, U"&amp;", U"&");
    replace_all(s, U"&lt;", U"<");
    replace_all(s, U"&gt;", U">");
  }
  s = U" " + s + U" ";
  // Symbols and ASCII punctuation other than ' , - . stand alone.
  std::u32string spaced;
  for (char32_t c : s) {
    const bool symbol = (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26) ||
                        (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == U'/';
    if (symbol) spaced += U' ', spaced += c, spaced += U' ';
    else spaced += c;
  }
  auto period_comma = [](char32_t c) { return c == U'.' || c == U','; };
  auto not_digit = [](char32_t c) { return !is_digit(c); };
  spaced = sub_pairs(spaced, not_digit, period_comma, U"", U" ", U" ");  // x. -> x .   unless x is a digit
  spaced = sub_pairs(spaced, period_comma, not_digit, U" ", U" ", U"");  // .x -> . x   unless x is a digit
  spaced = sub_pairs(
      spaced, is_digit, [](char32_t c) { return c == U'-'; }, U"", U" ", U" ");  // 5- -> 5 -
  std::string out;
  for (const auto& w : py_split(spaced)) {
    if (!out.empty()) out += ' ';
    out += to_utf8(w);
  }
  return out;
}

enum class BleuSmoothing { Exp, None, Floor, AddK };

struct BleuOptions {
  bool tokenize_13a = true;  // false: split on whitespace only (sacreBLEU's tokenize="none")
  BleuSmoothing smoothing = BleuSmoothing::Exp;
  double smooth_value = -1;  // floor: 0.1 and add-k: 1 when < 0
  int max_order = 4;
  bool effective_order = false;  // leave out orders with no n-gram (for sentence-level BLEU)
};

struct BleuScore {
  double score = 0;                    // 0..100
  std::vector<double> counts, totals;  // correct and total n-grams per order
  std::vector<double> precisions;      // percent, per order
  double brevity_penalty = 0;
  int64_t sys_len = 0, ref_len = 0;
};

/// Corpus BLEU of hypotheses against references: references[k][i] is the
/// k-th reference of segment i (sacreBLEU's layout: one stream per
/// reference set). An empty reference string counts as no reference.
inline BleuScore corpus_bleu(const std::vector<std::string>& hypotheses,
                             const std::vector<std::vector<std::string>>& references, const BleuOptions& o = {}) {
  using namespace detail;
  TINYLM_CHECK(!references.empty(), "corpus_bleu: no references");
  TINYLM_CHECK(o.max_order >= 1, "corpus_bleu: max_order must be >= 1, got ", o.max_order);
  for (std::size_t k = 0; k < references.size(); ++k)
    TINYLM_CHECK(references[k].size() == hypotheses.size(), "corpus_bleu: reference stream ", k, " has ",
                 references[k].size(), " segments, the hypotheses ", hypotheses.size());
  const auto N = static_cast<std::size_t>(o.max_order);
  auto words = [&](const std::string& line) {
    std::u32string s = code_points(line);
    while (!s.empty() && is_py_space(s.back())) s.pop_back();  // rstrip
    const std::string text = to_utf8(s);
    return py_split(code_points(o.tokenize_13a ? tokenize_13a(text) : text));
  };
  using Counts = std::unordered_map<std::u32string, int64_t>;
  auto ngrams = [&](const std::vector<std::u32string>& w) {
    std::vector<Counts> c(N);
    for (std::size_t n = 1; n <= N; ++n)
      for (std::size_t i = 0; i + n <= w.size(); ++i) {
        std::u32string key = w[i];
        for (std::size_t j = i + 1; j < i + n; ++j) key += U' ', key += w[j];
        ++c[n - 1][key];
      }
    return c;
  };
  std::vector<double> correct(N, 0), total(N, 0);
  int64_t sys_len = 0, ref_len = 0;
  for (std::size_t i = 0; i < hypotheses.size(); ++i) {
    std::vector<Counts> ref_max(N);
    int64_t closest = -1, closest_diff = -1;
    const auto hyp = words(hypotheses[i]);
    const auto hyp_len = static_cast<int64_t>(hyp.size());
    for (const auto& stream : references) {
      const auto ref = words(stream[i]);
      const auto len = static_cast<int64_t>(ref.size());
      const int64_t diff = std::abs(hyp_len - len);
      if (closest_diff == -1 || diff < closest_diff || (diff == closest_diff && len < closest)) {
        closest_diff = diff;
        closest = len;
      }
      const auto c = ngrams(ref);
      for (std::size_t n = 0; n < N; ++n)
        for (const auto& [g, k] : c[n]) ref_max[n][g] = std::max(ref_max[n][g], k);
    }
    const auto h = ngrams(hyp);
    for (std::size_t n = 0; n < N; ++n)
      for (const auto& [g, k] : h[n]) {
        total[n] += static_cast<double>(k);
        const auto it = ref_max[n].find(g);
        if (it != ref_max[n].end()) correct[n] += static_cast<double>(std::min(k, it->second));
      }
    sys_len += hyp_len;
    ref_len += closest;
  }
  BleuScore s;
  s.sys_len = sys_len;
  s.ref_len = ref_len;
  s.brevity_penalty =
      sys_len < ref_len
          ? (sys_len > 0 ? std::exp(1.0 - static_cast<double>(ref_len) / static_cast<double>(sys_len)) : 0.0)
          : 1.0;
  s.precisions.assign(N, 0.0);
  s.counts = correct;
  s.totals = total;
  if (std::all_of(correct.begin(), correct.end(), [](double c) { return c == 0; })) return s;
  const double value = o.smooth_value >= 0 ? o.smooth_value : o.smoothing == BleuSmoothing::Floor ? 0.1 : 1.0;
  double smooth_mteval = 1.0;
  std::size_t eff_order = N;
  for (std::size_t n = 1; n <= N; ++n) {
    double c = correct[n - 1], t = total[n - 1];
    if (o.smoothing == BleuSmoothing::AddK && n > 1) c += value, t += value;
    if (t == 0) break;
    if (o.effective_order) eff_order = n;
    if (c == 0) {
      if (o.smoothing == BleuSmoothing::Exp) {
        smooth_mteval *= 2;
        s.precisions[n - 1] = 100.0 / (smooth_mteval * t);
      } else if (o.smoothing == BleuSmoothing::Floor) {
        s.precisions[n - 1] = 100.0 * value / t;
      }
    } else {
      s.precisions[n - 1] = 100.0 * c / t;
    }
  }
  double log_sum = 0;
  for (std::size_t n = 0; n < eff_order; ++n)
    log_sum += s.precisions[n] == 0 ? -9999999999.0 : std::log(s.precisions[n]);
  s.score = s.brevity_penalty * std::exp(log_sum / static_cast<double>(eff_order));
  return s;
}

struct ChrfOptions {
  int char_order = 6;
  double beta = 2;
  bool whitespace = false;  // keep whitespace inside the character n-grams
};

/// Corpus chrF (see the file comment), references laid out as for corpus_bleu.
inline double corpus_chrf(const std::vector<std::string>& hypotheses,
                          const std::vector<std::vector<std::string>>& references, const ChrfOptions& o = {}) {
  using namespace detail;
  TINYLM_CHECK(!references.empty(), "corpus_chrf: no references");
  TINYLM_CHECK(o.char_order >= 1, "corpus_chrf: char_order must be >= 1, got ", o.char_order);
  for (std::size_t k = 0; k < references.size(); ++k)
    TINYLM_CHECK(references[k].size() == hypotheses.size(), "corpus_chrf: reference stream ", k, " has ",
                 references[k].size(), " segments, the hypotheses ", hypotheses.size());
  const auto N = static_cast<std::size_t>(o.char_order);
  using Counts = std::unordered_map<std::u32string, int64_t>;
  auto ngrams = [&](const std::string& line) {
    std::u32string s = code_points(line);
    if (!o.whitespace) {
      std::u32string joined;
      for (const auto& w : py_split(s)) joined += w;
      s = joined;
    }
    std::vector<Counts> c(N);
    for (std::size_t n = 1; n <= N; ++n)
      for (std::size_t i = 0; i + n <= s.size(); ++i) ++c[n - 1][s.substr(i, n)];
    return c;
  };
  const double factor = o.beta * o.beta;
  auto f_score = [&](const std::vector<double>& stats) {  // [hyp, ref, match] per order
    double avg_prec = 0, avg_rec = 0;
    int effective = 0;
    for (std::size_t n = 0; n < N; ++n) {
      const double h = stats[3 * n], r = stats[3 * n + 1], m = stats[3 * n + 2];
      if (h > 0 && r > 0) {
        avg_prec += m / h;
        avg_rec += m / r;
        ++effective;
      }
    }
    if (effective == 0) return 0.0;
    avg_prec /= effective;
    avg_rec /= effective;
    if (avg_prec + avg_rec == 0) return 0.0;
    return 100 * (1 + factor) * avg_prec * avg_rec / (factor * avg_prec + avg_rec);
  };
  std::vector<double> corpus(3 * N, 0.0);
  for (std::size_t i = 0; i < hypotheses.size(); ++i) {
    const auto hyp = ngrams(hypotheses[i]);
    std::vector<double> best;
    double best_f = -1;
    for (const auto& stream : references) {
      const auto ref = ngrams(stream[i]);
      std::vector<double> stats;
      for (std::size_t n = 0; n < N; ++n) {
        int64_t h = 0, r = 0, m = 0;
        for (const auto& [g, k] : hyp[n]) {
          h += k;
          const auto it = ref[n].find(g);
          if (it != ref[n].end()) m += std::min(k, it->second);
        }
        for (const auto& [g, k] : ref[n]) r += k;
        stats.insert(stats.end(),
                     {ref[n].empty() ? 0.0 : static_cast<double>(h), static_cast<double>(r), static_cast<double>(m)});
      }
      const double f = f_score(stats);
      if (f > best_f) best_f = f, best = stats;
    }
    for (std::size_t j = 0; j < corpus.size(); ++j) corpus[j] += best[j];
  }
  return f_score(corpus);
}

}  // namespace tinylm::lm
