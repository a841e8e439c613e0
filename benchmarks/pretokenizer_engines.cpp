// GPT-2's split pattern on one text file, by each engine that could run it:
// tinylm's scanner (utf8proc's categories), PCRE2's JIT, and, when the build
// found ICU (Debian's libicu-dev; tinylm itself does not use it), ICU's
// regular expressions; then the Unicode category lookup alone, utf8proc's
// against ICU's, over the text's non-ASCII code points. Prints MB/s (best of
// 3 passes) and the chunk counts, which must agree.
//
//   pretokenizer_engines FILE

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>
#ifdef TINYLM_BENCH_ICU
#include <unicode/uchar.h>
#include <unicode/uregex.h>
#include <unicode/utext.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

template <class F>
double best_seconds(int passes, F&& f) {
  double best = 1e30;
  for (int p = 0; p < passes; ++p) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pretokenizer_engines FILE\n");
    return 2;
  }
  try {
    namespace d = tinylm::data;
    const std::string text = d::read_text_file(argv[1]);
    const double mb = static_cast<double>(text.size()) / 1e6;
    std::printf("%s: %zu bytes\n", argv[1], text.size());
    for (const auto& [name, engine] : {std::pair{"scanner (utf8proc)", d::Pretokenizer::Engine::Scanner},
                                       std::pair{"PCRE2 JIT", d::Pretokenizer::Engine::Pcre2}}) {
      const d::Pretokenizer pre(d::SplitPattern::GPT2, engine);
      std::size_t chunks = 0;
      const double s = best_seconds(3, [&] {
        chunks = 0;
        pre.split(text, [&](std::string_view) { ++chunks; });
      });
      std::printf("%-20s %8.1f MB/s  %zu chunks\n", name, mb / s, chunks);
    }
    std::vector<char32_t> code_points;  // the non-ASCII ones, of valid UTF-8
    for (std::size_t i = 0; i < text.size();) {
      const auto [cls, len] = d::detail::char_class(text, i);
      if (len > 1) {
        char32_t cp = static_cast<unsigned char>(text[i]) & (0x7F >> len);
        for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        code_points.push_back(cp);
      }
      i += static_cast<std::size_t>(len);
    }
    long sum = 0;
    const double s_utf8proc = best_seconds(5, [&] {
      for (char32_t c : code_points) sum += utf8proc_category(static_cast<utf8proc_int32_t>(c));
    });
    std::printf("%zu non-ASCII code points: utf8proc_category %.2f ns each", code_points.size(),
                s_utf8proc * 1e9 / static_cast<double>(std::max<std::size_t>(1, code_points.size())));
#ifdef TINYLM_BENCH_ICU
    const double s_icu = best_seconds(5, [&] {
      for (char32_t c : code_points) sum += u_charType(static_cast<UChar32>(c));
    });
    std::printf(", ICU u_charType %.2f ns each",
                s_icu * 1e9 / static_cast<double>(std::max<std::size_t>(1, code_points.size())));
#endif
    std::printf(" (checksum %ld)\n", sum);
#ifdef TINYLM_BENCH_ICU
    UErrorCode status = U_ZERO_ERROR;
    UParseError where;
    URegularExpression* re = uregex_openC(d::detail::canonical_pattern(d::SplitPattern::GPT2), 0, &where, &status);
    UText* ut = utext_openUTF8(nullptr, text.data(), static_cast<int64_t>(text.size()), &status);
    std::size_t chunks = 0;
    const double s = best_seconds(2, [&] {
      chunks = 0;
      uregex_setUText(re, ut, &status);
      while (uregex_findNext(re, &status)) ++chunks;
    });
    std::printf("%-20s %8.1f MB/s  %zu chunks (%s)\n", "ICU regex", mb / s, chunks, u_errorName(status));
    utext_close(ut);
    uregex_close(re);
#else
    std::printf("ICU regex: not built (install libicu-dev and reconfigure)\n");
#endif
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pretokenizer_engines: %s\n", e.what());
    return 1;
  }
}
