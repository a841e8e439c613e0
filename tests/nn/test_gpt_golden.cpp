// tinylm's GPT against PyTorch: tests/golden/make_gpt_golden.py computed the
// loss, logits, every gradient and two AdamW steps of a tiny GPT-2 in
// float64 with an independent implementation.

#include "helpers.hpp"

using tinylm::Tensor;
namespace io = tinylm::io;
namespace nn = tinylm::nn;

namespace {

const io::SafetensorsFile& golden() {
  static const io::SafetensorsFile f = io::SafetensorsFile::read(TINYLM_GOLDEN_DIR "/gpt_tiny.safetensors");
  return f;
}

std::unique_ptr<nn::GPT<double>> golden_model(bool fused) {
  auto m = std::make_unique<nn::GPT<double>>(nn::GPTConfig{11, 8, 2, 2, 8, 0.0}, 123);
  nn::StateDict<double> state;
  for (const auto& name : golden().names())
    if (name.rfind("transformer.", 0) == 0) state.emplace_back(name, golden().get<double>(name));
  m->load_state_dict(state);
  m->set_fused_attention(fused);
  return m;
}

}  // namespace

TEST_CASE("GPT loss, logits and every gradient match PyTorch (fused and reference attention)") {
  for (bool fused : {true, false}) {
    INFO("fused attention: " << fused);
    auto model = golden_model(fused);
    const auto idx = golden().get_int<int64_t>("idx"), targets = golden().get_int<int64_t>("targets");
    const auto out = model->forward(idx, targets);
    CHECK(out.loss.item() == doctest::Approx(golden().get<double>("loss").item()).epsilon(1e-13));
    th::check_close(out.logits.to_vector(), golden().get<double>("logits").to_vector(), 1e-12);
    out.loss.backward();
    for (const auto& p : model->named_parameters()) {
      INFO(p.name);
      th::check_close(p.tensor.grad().to_vector(), golden().get<double>("grad." + p.name).to_vector(), 1e-12);
    }
  }
}

TEST_CASE("two AdamW steps with decay groups match PyTorch's AdamW") {
  auto model = golden_model(true);
  const auto idx = golden().get_int<int64_t>("idx"), targets = golden().get_int<int64_t>("targets");
  tinylm::optim::AdamW<double> opt(tinylm::optim::decay_groups(model->named_parameters(), 1e-2, 0.1),
                                   {1e-2, 0.9, 0.95, 1e-8, 0.1});
  for (int i = 0; i < 2; ++i) {
    opt.zero_grad();
    model->forward(idx, targets).loss.backward();
    opt.step();
  }
  // Adam divides by sqrt(v): a gradient element near zero turns rounding
  // differences in it (FMA contraction, summation order) into visible ones,
  // so the bound is looser than for the gradients above.
  for (const auto& p : model->named_parameters()) {
    INFO(p.name);
    th::check_close(p.tensor.to_vector(), golden().get<double>("step2." + p.name).to_vector(), 1e-10);
  }
}
