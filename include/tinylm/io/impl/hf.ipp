#pragma once
// The bodies of io/hf.hpp's functions: included by that header in a header-only
// build, compiled once into tinylm_compiled otherwise (core/config.hpp).

#include "tinylm/io/hf.hpp"

namespace tinylm::io {

TINYLM_DECL nn::GPTConfig gpt_config_from_hf(const Json& j, const std::string& what) {
  auto get = [&](std::initializer_list<const char*> keys) -> int64_t {
    for (const char* k : keys)
      if (const Json* v = j.find(k)) return v->as_int(what + " " + k);
    throw Error(tinylm::detail::str_cat(what, " has no '", *keys.begin(), "'"));
  };
  if (const Json* t = j.find("model_type"))
    TINYLM_CHECK(t->as_string() == "gpt2", what, ": model_type is '", t->as_string(), "', not 'gpt2'");
  if (const Json* a = j.find("activation_function"))
    TINYLM_CHECK(a->as_string() == "gelu_new" || a->as_string() == "gelu_pytorch_tanh", what, ": activation_function '",
                 a->as_string(), "' is not GPT-2's tanh GELU (gelu_new), which tinylm computes");
  if (const Json* e = j.find("layer_norm_epsilon"))
    TINYLM_CHECK(std::fabs(e->as_number() - 1e-5) < 1e-12, what, ": layer_norm_epsilon ", e->as_number(),
                 " is not 1e-5, which tinylm's GPT uses");
  if (const Json* tie = j.find("tie_word_embeddings"))
    TINYLM_CHECK(tie->as_bool(), what, ": tie_word_embeddings is false; tinylm's GPT ties its output head");
  nn::GPTConfig c;
  c.vocab_size = get({"vocab_size"});
  c.block_size = get({"n_positions", "n_ctx"});
  c.n_layer = get({"n_layer"});
  c.n_head = get({"n_head"});
  c.n_embd = get({"n_embd"});
  c.dropout = 0.0;
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(tinylm::detail::str_cat(what, ": ", e.what()));
  }
  return c;
}

TINYLM_DECL Json hf_config(const nn::GPTConfig& c, int64_t eos_token_id) {
  Json j = Json::object();
  Json arch = Json::array();
  arch.push_back("GPT2LMHeadModel");
  j.set("architectures", arch);
  j.set("model_type", "gpt2");
  j.set("vocab_size", c.vocab_size);
  j.set("n_positions", c.block_size);
  j.set("n_ctx", c.block_size);
  j.set("n_embd", c.n_embd);
  j.set("n_layer", c.n_layer);
  j.set("n_head", c.n_head);
  j.set("n_inner", nullptr);
  j.set("activation_function", "gelu_new");
  j.set("layer_norm_epsilon", 1e-5);
  j.set("resid_pdrop", c.dropout);
  j.set("embd_pdrop", c.dropout);
  j.set("attn_pdrop", c.dropout);
  j.set("initializer_range", 0.02);
  j.set("tie_word_embeddings", true);
  if (eos_token_id >= 0) {
    j.set("bos_token_id", eos_token_id);
    j.set("eos_token_id", eos_token_id);
  }
  return j;
}

}  // namespace tinylm::io
