// ngram_lm: train an n-gram language model on a text file and measure it on
// another, or measure an ARPA model from any toolkit.
//
//   ngram_lm --train train.txt --test test.txt --order 3 --smoothing mkn
//   ngram_lm --train train.txt --tokenizer word --order 4 --arpa-out model.arpa
//   ngram_lm --arpa-in model.arpa --test test.txt --tokenizer word
//
// Evaluation convention (docs in include/tinylm/lm/lm_eval.hpp): each token
// is scored given the tokens before it in its sequence; the first token of a
// sequence (the file's first character, or <s> of each line in word mode)
// only gives context. Unknown tokens are scored as <unk> and counted.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>

#include "flags.hpp"

namespace {

namespace lm = tinylm::lm;
using tinylm::data::CharTokenizer;
using tinylm::data::WordTokenizer;

struct Options {
  std::string train, test, smoothing = "mkn", tokenizer = "char", arpa_out, arpa_in;
  int64_t order = 3, sample = 0, seed = 1;
  double k = 1.0, discount = 0.0;
};

/// Test text as sequences of the model's ids, for either tokenizer.
struct Encoded {
  std::vector<std::vector<int32_t>> seqs;
  int64_t oov = 0;
};

/// Char mode: a vocabulary of the training text's characters plus <unk>.
struct CharVocab {
  CharTokenizer tok;
  lm::NGramVocab vocab;
  explicit CharVocab(const std::string& text) : tok(CharTokenizer::from_text(text)) {
    for (int32_t i = 0; i < tok.vocab_size(); ++i)
      vocab.tokens.push_back(lm::arpa_char_name(tok.decode(std::vector<int32_t>{i})));
    vocab.unk = static_cast<int32_t>(vocab.tokens.size());
    vocab.tokens.push_back("<unk>");
  }
  Encoded encode(const std::string& text) const {
    Encoded e;
    e.seqs.emplace_back();
    for (char32_t c : tinylm::data::utf8_decode(text, "ngram_lm")) {
      const int32_t id = tok.id(c);
      e.oov += id < 0;
      e.seqs[0].push_back(id < 0 ? vocab.unk : id);
    }
    return e;
  }
};

lm::NGramVocab word_vocab(const WordTokenizer& t) {
  return {t.words(), WordTokenizer::kBos, WordTokenizer::kEos, WordTokenizer::kUnk};
}

/// Test text encoded with an ARPA model's own vocabulary.
Encoded encode_for_arpa(const lm::ArpaLM& m, const std::string& text, bool words) {
  Encoded e;
  if (words) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream ws(line);
      std::vector<std::string> w{"<s>"};
      for (std::string x; ws >> x;) w.push_back(x);
      if (w.size() == 1) continue;
      w.push_back("</s>");
      e.seqs.push_back(m.ids(w, &e.oov));
    }
  } else {
    std::vector<std::string> chars;
    for (char32_t c : tinylm::data::utf8_decode(text)) {
      std::string s;
      tinylm::utf8_append(s, c);
      chars.push_back(lm::arpa_char_name(s));
    }
    e.seqs.push_back(m.ids(chars, &e.oov));
  }
  return e;
}

void report(const char* what, const lm::LMScore& s) {
  std::printf(
      "%s: %lld tokens scored (%lld out of vocabulary, as <unk>): cross-entropy %.4f nats/token (%.4f bits), "
      "perplexity %.3f\n",
      what, (long long)s.tokens, (long long)s.oov, s.nats_per_token(), s.nats_per_token() / std::log(2.0),
      s.perplexity());
}

int run(int argc, char** argv) {
  Options o;
  examples::Flags f("ngram_lm", "Trains an n-gram language model and measures its cross-entropy and perplexity.");
  f.add("train", &o.train, "training text file");
  f.add("test", &o.test, "test text file");
  f.add("order", &o.order, "n-gram order (1 to 8)");
  f.add("smoothing", &o.smoothing, "addk, kn (interpolated Kneser-Ney) or mkn (modified Kneser-Ney)");
  f.add("k", &o.k, "add-k's k (1: Laplace)");
  f.add("discount", &o.discount, "kn's fixed discount (0: estimated per order)");
  f.add("tokenizer", &o.tokenizer, "char (one token per character) or word (whitespace words, one sentence per line)");
  f.add("arpa-out", &o.arpa_out, "write the trained model as an ARPA file");
  f.add("arpa-in", &o.arpa_in, "measure this ARPA model on --test instead of training one");
  f.add("sample", &o.sample, "print this many tokens sampled from the model");
  f.add("seed", &o.seed, "seed for sampling");
  if (!f.parse(argc, argv)) return 0;
  if (o.tokenizer != "char" && o.tokenizer != "word")
    throw examples::UsageError("--tokenizer must be char or word, got '" + o.tokenizer + "'");
  const bool words = o.tokenizer == "word";

  if (!o.arpa_in.empty()) {
    if (o.test.empty()) throw examples::UsageError("--arpa-in needs --test");
    const auto m = lm::ArpaLM::read(o.arpa_in);
    std::printf("ARPA model %s: order %d, %zu words\n", o.arpa_in.c_str(), m.order(), m.words().size());
    const Encoded e = encode_for_arpa(m, tinylm::data::read_text_file(o.test), words);
    auto s = m.evaluate(e.seqs);
    s.oov = e.oov;
    report(o.test.c_str(), s);
    return 0;
  }
  if (o.train.empty()) throw examples::UsageError("give --train (or --arpa-in with --test)");
  if (o.order < 1 || o.order > 8) throw examples::UsageError("--order must be 1 to 8, got " + std::to_string(o.order));
  const lm::NGramOptions opt{static_cast<int>(o.order), lm::parse_smoothing(o.smoothing), o.k, o.discount};

  const std::string text = tinylm::data::read_text_file(o.train);
  std::optional<CharVocab> chars;
  std::optional<WordTokenizer> wtok;
  std::vector<std::vector<int32_t>> train;
  lm::NGramVocab vocab;
  if (words) {
    wtok = WordTokenizer::from_text(text);
    train = wtok->encode(text);
    vocab = word_vocab(*wtok);
  } else {
    chars.emplace(text);
    train = chars->encode(text).seqs;
    vocab = chars->vocab;
  }
  int64_t n_tokens = 0;
  for (const auto& s : train) n_tokens += static_cast<int64_t>(s.size());
  const auto t0 = std::chrono::steady_clock::now();
  const auto m = lm::NGramLM::train(train, vocab, opt);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("trained an order-%lld %s model on %lld tokens (%lld types) in %.2f s (%.3g tokens/s): %lld n-grams\n",
              (long long)o.order, o.smoothing.c_str(), (long long)n_tokens, (long long)vocab.size(), secs,
              double(n_tokens) / secs, (long long)m.num_ngrams());
  if (!o.test.empty()) {
    const std::string test = tinylm::data::read_text_file(o.test);
    Encoded e;
    if (words) e.seqs = wtok->encode(test, &e.oov);
    else e = chars->encode(test);
    auto s = m.evaluate(e.seqs);
    report(o.test.c_str(), s);
  }
  if (!o.arpa_out.empty()) {
    lm::write_arpa(o.arpa_out, m);
    std::printf("wrote %s\n", o.arpa_out.c_str());
  }
  if (o.sample > 0) {
    tinylm::Generator gen(static_cast<uint64_t>(o.seed));
    std::printf("--- sample ---\n");
    if (words) {
      int64_t produced = 0;
      while (produced < o.sample) {
        const auto s = m.sample({WordTokenizer::kBos}, o.sample - produced + 1, gen, true);
        for (std::size_t i = 1; i < s.size() && s[i] != WordTokenizer::kEos; ++i)
          std::printf("%s ", wtok->word(s[i]).c_str());
        std::printf("\n");
        produced += static_cast<int64_t>(s.size()) - 1;
      }
    } else {
      const auto s = m.sample({train[0][0]}, o.sample, gen);
      std::vector<int32_t> ids;
      for (int32_t t : s)
        if (t != vocab.unk) ids.push_back(t);
      std::printf("%s\n", chars->tok.decode(ids).c_str());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return examples::run_main("ngram_lm", argc, argv, run); }
