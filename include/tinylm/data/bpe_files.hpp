#pragma once
// BPE tokenizer files, read and written:
//
//   tokenizer.json   Hugging Face tokenizers' file (a byte-level BPE model:
//                    vocab and merges in GPT-2's byte-to-unicode map, the
//                    special tokens as added_tokens); read and written
//   .tiktoken        tiktoken's rank file: "<base64 token> <rank>" per line;
//                    read and written (special tokens are not in it)
//   encoder.json +   OpenAI's GPT-2 files (BPETokenizer::from_gpt2_files);
//   vocab.bpe        a directory holding both loads with load_bpe()
//   tokenizer .bin   llm.c's (magic 20240328, version 2): every token's bytes,
//                    for its C sampler to print with; written
//
// load_bpe(path) picks the reader from what `path` is. Errors name the
// file, and the line or entry, and what was wrong. Writes are atomic.

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tinylm/core/atomic_file.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/data/bpe.hpp"

namespace tinylm::data {

namespace detail {

TINYLM_DECL std::string base64_encode(std::string_view bytes);

/// Decodes standard base64 with padding; false if `text` is not that.
TINYLM_DECL bool base64_decode(std::string_view text, std::string& out);

}  // namespace detail

// ---- tiktoken ---------------------------------------------------------------

/// A .tiktoken rank file: the rank of each token is its id. Special tokens
/// and the split pattern are not in the file; they are given.
TINYLM_DECL BPETokenizer load_tiktoken(const std::string& path, SplitPattern pattern = SplitPattern::GPT2,
                                       std::vector<std::pair<std::string, int32_t>> specials = {});

/// Writes the ordinary tokens as a .tiktoken rank file (rank = id).
TINYLM_DECL void save_tiktoken(const BPETokenizer& tok, const std::string& path);

// ---- Hugging Face tokenizer.json --------------------------------------------

/// tokenizer.json for Hugging Face tokenizers: a byte-level BPE with `tok`'s
/// vocabulary, merges (tok.merges(), or for a tokenizer without them, each
/// token's best split by rank), special tokens and split pattern.
TINYLM_DECL io::Json to_hf_json(const BPETokenizer& tok);

TINYLM_DECL void save_hf_json(const BPETokenizer& tok, const std::string& path);

/// Reads a Hugging Face tokenizer.json holding a byte-level BPE model with
/// GPT-2's or GPT-4's pre-tokenizer.
TINYLM_DECL BPETokenizer load_hf_json(const std::string& path);

// ---- llm.c ------------------------------------------------------------------

/// llm.c's tokenizer file (version 2): a header of 256 int32 (20240328, 2,
/// the vocabulary size, the end-of-text id), then each token's length (one
/// byte) and bytes, in id order. `eot` is the end-of-text token's id.
TINYLM_DECL void save_llmc_tokenizer(const BPETokenizer& tok, int32_t eot, const std::string& path);

// ---- any of them ------------------------------------------------------------

/// Whether directory `dir` holds a tokenizer load_bpe reads: tokenizer.json,
/// vocab.json + merges.txt, or encoder.json + vocab.bpe.
TINYLM_DECL bool has_bpe_files(const std::filesystem::path& dir);

/// A tokenizer from a tokenizer.json, a .tiktoken file (GPT-2's pattern,
/// no special tokens) or a directory with tokenizer.json, Hugging Face's
/// vocab.json and merges.txt, or GPT-2's encoder.json and vocab.bpe (the
/// same two files under OpenAI's names).
TINYLM_DECL BPETokenizer load_bpe(const std::string& path);

}  // namespace tinylm::data

#if !defined(TINYLM_SEPARATE_COMPILATION)
#include "tinylm/data/impl/bpe_files.ipp"
#endif
