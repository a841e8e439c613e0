#include "helpers.hpp"

using tinylm::Tensor;
namespace nn = tinylm::nn;
namespace io = tinylm::io;

TEST_CASE("LSTM outputs, final state and every gradient match torch.nn.LSTM") {
  const auto f = io::SafetensorsFile::read(TINYLM_GOLDEN_DIR "/lstm_small.safetensors");
  tinylm::Generator gen(1);
  nn::LSTM<double> lstm(3, 4, 2, gen);
  nn::StateDict<double> state;
  for (const auto& p : lstm.named_parameters()) state.emplace_back(p.name, f.get<double>(p.name));
  lstm.load_state_dict(state);
  auto x = f.get<double>("x").requires_grad_();
  auto h0 = f.get<double>("h0").requires_grad_(), c0 = f.get<double>("c0").requires_grad_();
  nn::LSTMState<double> s0{{h0.select(0, 0), h0.select(0, 1)}, {c0.select(0, 0), c0.select(0, 1)}};
  auto [out, s] = lstm.forward(x, s0);
  th::check_close(out.to_vector(), f.get<double>("out").to_vector(), 1e-14);
  th::check_close(tinylm::stack(s.h, 0).to_vector(), f.get<double>("hn").to_vector(), 1e-14);
  th::check_close(tinylm::stack(s.c, 0).to_vector(), f.get<double>("cn").to_vector(), 1e-14);
  const auto loss = (out * f.get<double>("R")).sum() + (tinylm::stack(s.h, 0) * f.get<double>("Rh")).sum() +
                    (tinylm::stack(s.c, 0) * f.get<double>("Rc")).sum();
  loss.backward();
  th::check_close(x.grad().to_vector(), f.get<double>("grad.x").to_vector(), 1e-13);
  th::check_close(h0.grad().to_vector(), f.get<double>("grad.h0").to_vector(), 1e-13);
  th::check_close(c0.grad().to_vector(), f.get<double>("grad.c0").to_vector(), 1e-13);
  for (const auto& p : lstm.named_parameters()) {
    INFO(p.name);
    th::check_close(p.tensor.grad().to_vector(), f.get<double>("grad." + p.name).to_vector(), 1e-13);
  }
}

TEST_CASE("gradcheck: LSTM with respect to input, initial state and weights") {
  tinylm::Generator gen(2);
  nn::LSTM<double> lstm(2, 3, 2, gen);
  auto x = th::leaf({2, 4, 2}, 3), h = th::leaf({2, 3}, 4), c = th::leaf({2, 3}, 5);
  th::check_grad(
      [&](const th::TensorList& in) {
        auto [out, s] = lstm.forward(in[0], {{in[1], in[1] * 0.5}, {in[2], in[2] * -1.0}});
        return out.sum({1}) + s.c[1] * 2.0;
      },
      {x, h, c});
  th::check_grad([&](const th::TensorList&) { return lstm.forward(x.detach()).first; }, lstm.parameters());
}

TEST_CASE("truncated BPTT: a detached state carries values but no gradient") {
  tinylm::Generator gen(3);
  nn::LSTM<double> lstm(2, 3, 1, gen);
  auto x = th::leaf({1, 3, 2}, 6);
  auto [out1, s1] = lstm.forward(x);
  auto [out2, s2] = lstm.forward(x, s1.detach());
  out2.sum().backward();
  const auto g_detached = x.grad().to_vector();
  x.zero_grad();
  auto [out3, s3] = lstm.forward(x, s1);  // not detached: the gradient reaches x through both calls
  out3.sum().backward();
  CHECK(th::max_abs_diff(g_detached, x.grad().to_vector()) > 1e-6);
  CHECK(out2.to_vector() == out3.to_vector());
}

TEST_CASE("LSTM language model: loss near ln V at init, overfits a batch, errors name shapes") {
  nn::LSTMLM<float> m({11, 8, 16, 2}, 4);
  tinylm::Generator g(5);
  const auto x = Tensor<int32_t>::randint(0, 11, {2, 12}, g), y = Tensor<int32_t>::randint(0, 11, {2, 12}, g);
  CHECK(m.forward(x, y).loss.item() == doctest::Approx(std::log(11.0)).epsilon(0.05));
  tinylm::optim::AdamW<float> opt(m.named_parameters(), {2e-2, 0.9, 0.95, 1e-8, 0.0});
  float loss = 0;
  for (int i = 0; i < 300; ++i) {
    opt.zero_grad();
    auto out = m.forward(x, y);
    out.loss.backward();
    opt.step();
    loss = out.loss.item();
  }
  CHECK(loss < 0.1f);
  CHECK_THROWS_WITH_AS(m.lstm.forward(Tensor<float>::zeros({2, 3, 5})), "LSTM: x is [2, 3, 5]: expected [B, T, 8]",
                       tinylm::Error);
}

TEST_CASE("the fused LSTM cell: h and c are two outputs of one node, gradchecked whichever the loss uses") {
  auto gates = th::leaf({3, 20}, 7, -3, 3), c = th::leaf({3, 5}, 8, -2, 2);
  // Only h reaches the loss (c's gradient is absent), only c, and both.
  th::check_grad([](const th::TensorList& in) { return tinylm::lstm_cell(in[0], in[1]).h; }, {gates, c});
  th::check_grad([](const th::TensorList& in) { return tinylm::lstm_cell(in[0], in[1]).c; }, {gates, c});
  th::check_grad(
      [](const th::TensorList& in) {
        const auto s = tinylm::lstm_cell(in[0].transpose(0, 1).transpose(0, 1), in[1]);
        return s.h * 2.0 + s.c;
      },
      {gates, c});
  const auto one = tinylm::lstm_cell(gates, c);
  REQUIRE(one.h.grad_fn());
  CHECK(one.h.grad_fn() == one.c.grad_fn());  // one node, one pass
  CHECK(one.h.grad_fn()->num_outputs() == 2);
  CHECK(one.c.impl()->output_nr == 1);
}

TEST_CASE("the fused LSTM cell equals its reference composition in values and gradients") {
  auto gates = th::leaf({3, 20}, 7, -3, 3), c = th::leaf({3, 5}, 8, -2, 2);
  auto g2 = th::leaf({3, 20}, 7, -3, 3), c2 = th::leaf({3, 5}, 8, -2, 2);
  const auto a = tinylm::lstm_cell(gates, c), b = tinylm::lstm_cell_reference(g2, c2);
  th::check_close(a.h.to_vector(), b.h.to_vector(), 1e-15);
  th::check_close(a.c.to_vector(), b.c.to_vector(), 1e-15);
  // Known values for one unit: a_i = a_f = a_g = a_o = 0 and c_prev = 1 give
  // i = f = o = 1/2, g = 0, c = 1/2, h = tanh(1/2) / 2.
  const auto z = tinylm::lstm_cell(Tensor<double>::zeros({1, 4}), Tensor<double>::ones({1, 1}));
  CHECK(z.c.item() == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(z.h.item() == doctest::Approx(std::tanh(0.5) / 2).epsilon(1e-15));
  const auto uh = Tensor<double>::randn({3, 5}), uc = Tensor<double>::randn({3, 5});
  (a.h * uh + a.c * uc).sum().backward();
  (b.h * uh + b.c * uc).sum().backward();
  th::check_close(gates.grad().to_vector(), g2.grad().to_vector(), 1e-14);
  th::check_close(c.grad().to_vector(), c2.grad().to_vector(), 1e-14);
  CHECK_THROWS_WITH_AS(tinylm::lstm_cell(Tensor<double>::zeros({3, 8}), Tensor<double>::zeros({3, 5})),
                       "lstm_cell: gates are [3, 8], c_prev is [3, 5]: expected [B, 4H] and [B, H]", tinylm::Error);
}

TEST_CASE("the fused LSTM cell in float, whole registers and tail, equals its composition and the double cell") {
  // H = 19: two or more registers of FloatLanes and a tail of float lanes,
  // whatever the vector width; both backward inputs (dh and dc) in use.
  const int64_t B = 3, H = 19;
  const auto g64 = th::leaf({B, 4 * H}, 11, -4, 4), c64 = th::leaf({B, H}, 12, -2, 2);
  const auto as_float = [](const Tensor<double>& t) {
    std::vector<float> v;
    for (double x : t.to_vector()) v.push_back(static_cast<float>(x));
    return Tensor<float>::from_vector(v, t.shape()).requires_grad_();
  };
  auto ga = as_float(g64), ca = as_float(c64), gb = as_float(g64), cb = as_float(c64);
  const auto a = tinylm::lstm_cell(ga, ca), b = tinylm::lstm_cell_reference(gb, cb);
  const auto d = tinylm::lstm_cell(g64, c64);
  th::check_close(a.h.to_vector(), b.h.to_vector(), 2e-6);
  th::check_close(a.c.to_vector(), b.c.to_vector(), 2e-6);
  th::check_close(a.h.to_vector(), d.h.to_vector(), 2e-6);
  th::check_close(a.c.to_vector(), d.c.to_vector(), 2e-6);
  const auto uh = Tensor<float>::randn({B, H}), uc = Tensor<float>::randn({B, H});
  (a.h * uh + a.c * uc).sum().backward();
  (b.h * uh + b.c * uc).sum().backward();
  th::check_close(ga.grad().to_vector(), gb.grad().to_vector(), 1e-5);
  th::check_close(ca.grad().to_vector(), cb.grad().to_vector(), 1e-5);
}
