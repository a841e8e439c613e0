// attention_backprop: the gradients of causal self-attention, three ways.
//
// For one attention block (and then LayerNorm, GELU, and softmax +
// cross-entropy) on a tiny input, every gradient of the walkthrough in
// docs/backprop-attention.md is computed
//
//   by hand     with the doc's formulas, written out below as tensor algebra,
//   by autograd through tinylm's ops (the reference composition), and
//   numerically by central finite differences,
//
// and the fused attention kernel is compared with the reference composition.
// It prints one table row per quantity and exits non-zero if any row
// disagrees beyond tolerance, so it is also a test. Everything runs in
// double precision. "Step N" comments are the doc's steps.
//
//   attention_backprop               the table
//   attention_backprop --dot FILE    the graph of one transformer block, as Graphviz DOT

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include <tinylm/tinylm.hpp>

namespace {

using tinylm::NoGradGuard;
using tinylm::Shape;
using Tensor = tinylm::Tensor<double>;

constexpr double kHandTol = 1e-10;    // hand formulas vs autograd: same math, different rounding
constexpr double kNumericTol = 1e-6;  // autograd vs central differences with eps = 1e-6

int failures = 0;

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto va = a.to_vector(), vb = b.to_vector();
  double m = 0;
  for (std::size_t i = 0; i < va.size(); ++i) m = std::max(m, std::fabs(va[i] - vb[i]));
  return m;
}

/// d f / d t by central differences, perturbing t's elements in place.
Tensor numeric_grad(const Tensor& t, const std::function<double()>& f, double eps = 1e-6) {
  NoGradGuard no_grad;
  Tensor g = Tensor::zeros(t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double orig = t.data()[i];
    t.data()[i] = orig + eps;
    const double plus = f();
    t.data()[i] = orig - eps;
    const double minus = f();
    t.data()[i] = orig;
    g.data()[i] = (plus - minus) / (2 * eps);
  }
  return g;
}

/// A private dense copy: a value to perturb without touching the graph's tensors.
Tensor value(const Tensor& t) { return t.detach().clone(); }

void row(const std::string& name, const Tensor& hand, const Tensor& autograd, const Tensor& numeric) {
  const double a = max_abs_diff(hand, autograd), b = max_abs_diff(autograd, numeric);
  const bool ok = a <= kHandTol && b <= kNumericTol;
  failures += !ok;
  std::printf("  %-26s %-14s %18.2e %22.2e  %s\n", name.c_str(), autograd.shape().str().c_str(), a, b,
              ok ? "" : "FAIL");
}

void fused_row(const std::string& name, const Tensor& fused, const Tensor& reference) {
  const double d = max_abs_diff(fused, reference);
  const bool ok = d <= kHandTol;
  failures += !ok;
  std::printf("  %-26s %-14s %18.2e  %s\n", name.c_str(), fused.shape().str().c_str(), d, ok ? "" : "FAIL");
}

void header(const char* title) {
  std::printf("\n%s\n  %-26s %-14s %18s %22s\n", title, "quantity", "shape", "max|hand - autograd|",
              "max|autograd - numeric|");
}

// ---- the attention block ------------------------------------------------------

constexpr int64_t B = 2, T = 5, C = 8, NH = 2, HS = C / NH;
const double scale = 1.0 / std::sqrt(double(HS));

/// (B, T, C) -> (B, NH, T, HS): split the channels into heads.
Tensor split_heads(const Tensor& t) { return t.reshape({B, T, NH, HS}).transpose(1, 2); }
/// (B, NH, T, HS) -> (B, T, C): the inverse.
Tensor merge_heads(const Tensor& t) { return t.transpose(1, 2).reshape({B, T, C}); }

struct Params {
  Tensor x, w_attn, b_attn, w_proj, b_proj, R;  // R = dL/dy: the loss is L = sum(y * R)
};

/// The loss as a function of each intermediate, the rest held at their values:
/// what the numeric column differentiates.
struct Tails {
  const Params& p;
  Tensor q, k, v, P;  // values from the forward pass
  double from_Y(const Tensor& Y) const { return (tinylm::linear(Y, p.w_proj, p.b_proj) * p.R).sum().item(); }
  double from_O(const Tensor& O) const { return from_Y(merge_heads(O)); }
  double from_P(const Tensor& P_) const { return from_O(tinylm::matmul(P_, v)); }
  double from_S(const Tensor& S) const {
    const Tensor masked = tinylm::masked_fill(S, tinylm::causal_mask(T), -std::numeric_limits<double>::infinity());
    return from_P(tinylm::softmax(masked, -1));
  }
  double from_q(const Tensor& q_) const { return from_S(tinylm::matmul(q_, k.transpose(-2, -1)) * scale); }
  double from_k(const Tensor& k_) const { return from_S(tinylm::matmul(q, k_.transpose(-2, -1)) * scale); }
  double from_v(const Tensor& v_) const { return from_O(tinylm::matmul(P, v_)); }
  double from_qkv(const Tensor& qkv) const {
    const Tensor q_ = split_heads(qkv.narrow(2, 0, C)), k_ = split_heads(qkv.narrow(2, C, C)),
                 v_ = split_heads(qkv.narrow(2, 2 * C, C));
    return from_O(tinylm::attention_reference(q_, k_, v_, true));
  }
};

double full_loss(const Params& p, bool fused) {
  const Tensor qkv = tinylm::linear(p.x, p.w_attn, p.b_attn);
  const Tensor q = split_heads(qkv.narrow(2, 0, C)), k = split_heads(qkv.narrow(2, C, C)),
               v = split_heads(qkv.narrow(2, 2 * C, C));
  const Tensor O = fused ? tinylm::scaled_dot_product_attention(q.contiguous(), k.contiguous(), v.contiguous(), true)
                         : tinylm::attention_reference(q, k, v, true);
  return (tinylm::linear(merge_heads(O), p.w_proj, p.b_proj) * p.R).sum().item();
}

void attention_block() {
  tinylm::Generator gen(42);
  Params p{Tensor::randn({B, T, C}, gen),    Tensor::randn({C, 3 * C}, gen) * 0.5, Tensor::randn({3 * C}, gen) * 0.1,
           Tensor::randn({C, C}, gen) * 0.5, Tensor::randn({C}, gen) * 0.1,        Tensor::randn({B, T, C}, gen)};
  for (Tensor* t : {&p.x, &p.w_attn, &p.b_attn, &p.w_proj, &p.b_proj}) t->requires_grad_();

  // ---- forward, recorded by autograd; every intermediate keeps its gradient
  Tensor qkv = tinylm::linear(p.x, p.w_attn, p.b_attn);  // step 1: (B, T, 3C)
  Tensor q = split_heads(qkv.narrow(2, 0, C));           // (B, NH, T, HS)
  Tensor k = split_heads(qkv.narrow(2, C, C));
  Tensor v = split_heads(qkv.narrow(2, 2 * C, C));
  Tensor S = tinylm::matmul(q, k.transpose(-2, -1)) * scale;  // step 2: (B, NH, T, T)
  Tensor Sm = tinylm::masked_fill(S, tinylm::causal_mask(T), -std::numeric_limits<double>::infinity());  // step 3
  Tensor P = tinylm::softmax(Sm, -1);                                                                    // step 4
  Tensor O = tinylm::matmul(P, v);                   // step 5: (B, NH, T, HS)
  Tensor Y = merge_heads(O);                         // (B, T, C)
  Tensor y = tinylm::linear(Y, p.w_proj, p.b_proj);  // step 6
  for (Tensor* t : {&qkv, &q, &k, &v, &S, &P, &O, &Y}) t->retain_grad();
  (y * p.R).sum().backward();

  // ---- backward by hand: the doc's formulas, no autograd
  NoGradGuard no_grad;
  const Tensor dy = p.R;                                                                           // (B, T, C)
  const Tensor dW_proj = tinylm::matmul(Y.reshape({-1, C}).transpose(0, 1), dy.reshape({-1, C}));  // step 7: Y^T dy
  const Tensor db_proj = dy.sum({0, 1});
  const Tensor dY = tinylm::matmul(dy, p.w_proj.transpose(0, 1));     // dy W_proj^T
  const Tensor dO = split_heads(dY);                                  // step 8
  const Tensor dP = tinylm::matmul(dO, v.transpose(-2, -1));          // step 9: dO V^T
  const Tensor dV = tinylm::matmul(P.transpose(-2, -1), dO);          //         P^T dO
  const Tensor dS = P * (dP - (dP * P).sum({-1}, true));              // step 10
  const Tensor dQ = tinylm::matmul(dS, k) * scale;                    // step 11: dS K / sqrt(HS)
  const Tensor dK = tinylm::matmul(dS.transpose(-2, -1), q) * scale;  //          dS^T Q / sqrt(HS)
  const Tensor dqkv = tinylm::cat<double>({merge_heads(dQ), merge_heads(dK), merge_heads(dV)}, 2);  // step 12
  const Tensor dW_attn = tinylm::matmul(p.x.reshape({-1, C}).transpose(0, 1), dqkv.reshape({-1, 3 * C}));
  const Tensor db_attn = dqkv.sum({0, 1});
  const Tensor dx = tinylm::matmul(dqkv, p.w_attn.transpose(0, 1));  // step 13

  // ---- numerically
  Tails tails{p, value(q), value(k), value(v), value(P)};
  auto num = [](const Tensor& at, auto f) {
    const Tensor t = value(at);
    return numeric_grad(t, [&] { return f(t); });
  };
  auto num_leaf = [&](const Tensor& leaf) { return numeric_grad(leaf, [&] { return full_loss(p, false); }); };

  header("Attention block (B=2, T=5, C=8, NH=2, HS=4): L = sum(y * R)");
  row("dW_proj (step 7)", dW_proj, p.w_proj.grad(), num_leaf(p.w_proj));
  row("db_proj (step 7)", db_proj, p.b_proj.grad(), num_leaf(p.b_proj));
  row("dY, merged heads (step 7)", dY, Y.grad(), num(Y, [&](const Tensor& t) { return tails.from_Y(t); }));
  row("dO (step 8)", dO, O.grad(), num(O, [&](const Tensor& t) { return tails.from_O(t); }));
  row("dP (step 9)", dP, P.grad(), num(P, [&](const Tensor& t) { return tails.from_P(t); }));
  row("dV (step 9)", dV, v.grad(), num(v, [&](const Tensor& t) { return tails.from_v(t); }));
  row("dS (step 10)", dS, S.grad(), num(S, [&](const Tensor& t) { return tails.from_S(t); }));
  row("dQ (step 11)", dQ, q.grad(), num(q, [&](const Tensor& t) { return tails.from_q(t); }));
  row("dK (step 11)", dK, k.grad(), num(k, [&](const Tensor& t) { return tails.from_k(t); }));
  row("dqkv (step 12)", dqkv, qkv.grad(), num(qkv, [&](const Tensor& t) { return tails.from_qkv(t); }));
  row("dW_attn (step 12)", dW_attn, p.w_attn.grad(), num_leaf(p.w_attn));
  row("db_attn (step 12)", db_attn, p.b_attn.grad(), num_leaf(p.b_attn));
  row("dx (step 13)", dx, p.x.grad(), num_leaf(p.x));

  // ---- the fused kernel against the reference composition
  std::vector<Tensor> reference;
  for (Tensor* t : {&p.x, &p.w_attn, &p.b_attn, &p.w_proj, &p.b_proj}) {
    reference.push_back(t->grad());
    t->zero_grad();
  }
  tinylm::GradMode::set_enabled(true);
  const Tensor qkv2 = tinylm::linear(p.x, p.w_attn, p.b_attn);
  Tensor q2 = split_heads(qkv2.narrow(2, 0, C)).contiguous(), k2 = split_heads(qkv2.narrow(2, C, C)).contiguous(),
         v2 = split_heads(qkv2.narrow(2, 2 * C, C)).contiguous();
  for (Tensor* t : {&q2, &k2, &v2}) t->retain_grad();
  const Tensor O2 = tinylm::scaled_dot_product_attention(q2, k2, v2, true);
  (tinylm::linear(merge_heads(O2), p.w_proj, p.b_proj) * p.R).sum().backward();
  tinylm::GradMode::set_enabled(false);
  std::printf("\nFused attention kernel vs the reference composition\n  %-26s %-14s %18s\n", "quantity", "shape",
              "max|fused - reference|");
  fused_row("O (forward)", O2, O);
  fused_row("dQ", q2.grad(), q.grad());
  fused_row("dK", k2.grad(), k.grad());
  fused_row("dV", v2.grad(), v.grad());
  const char* names[] = {"dx", "dW_attn", "db_attn", "dW_proj", "db_proj"};
  const Tensor* leaves[] = {&p.x, &p.w_attn, &p.b_attn, &p.w_proj, &p.b_proj};
  for (int i = 0; i < 5; ++i) fused_row(names[i], leaves[i]->grad(), reference[static_cast<std::size_t>(i)]);
}

// ---- LayerNorm, GELU, softmax + cross-entropy ----------------------------------

void layer_norm() {
  tinylm::Generator gen(7);
  Tensor x = (Tensor::randn({6, C}, gen) * 2.0 + 1.0).requires_grad_();
  Tensor g = (Tensor::randn({C}, gen) * 0.5 + 1.0).requires_grad_(), b = Tensor::randn({C}, gen).requires_grad_();
  const Tensor R = Tensor::randn({6, C}, gen);
  auto loss = [&] { return (tinylm::layer_norm(x, g, b) * R).sum(); };
  loss().backward();
  NoGradGuard no_grad;
  // step 14: xhat = (x - mean) * rstd, y = xhat * g + b
  const Tensor mu = x.mean({-1}, true);
  const Tensor rstd = 1.0 / tinylm::sqrt(((x - mu) * (x - mu)).mean({-1}, true) + 1e-5);
  const Tensor xhat = (x - mu) * rstd;
  const Tensor dxhat = R * g;  // step 15
  const Tensor dx = rstd * (dxhat - dxhat.mean({-1}, true) - xhat * (dxhat * xhat).mean({-1}, true));
  const Tensor dg = (R * xhat).sum({0}), db = R.sum({0});
  auto f = [&] { return loss().item(); };
  header("LayerNorm over C = 8 (6 rows): L = sum(layer_norm(x) * R)");
  row("dx (step 15)", dx, x.grad(), numeric_grad(x, f));
  row("dgamma (step 15)", dg, g.grad(), numeric_grad(g, f));
  row("dbeta (step 15)", db, b.grad(), numeric_grad(b, f));
}

void gelu() {
  tinylm::Generator gen(8);
  Tensor x = (Tensor::randn({3, C}, gen) * 2.0).requires_grad_();
  const Tensor R = Tensor::randn({3, C}, gen);
  auto loss = [&] { return (tinylm::gelu(x, tinylm::GeluApprox::Tanh) * R).sum(); };
  loss().backward();
  NoGradGuard no_grad;
  // step 16: u = sqrt(2/pi) (x + 0.044715 x^3); gelu'(x) = (1 + tanh u)/2 + x (1 - tanh^2 u) u' / 2
  const double k0 = std::sqrt(2.0 / M_PI), k1 = 0.044715;
  const Tensor th = tinylm::tanh((x + tinylm::pow(x, 3) * k1) * k0);
  const Tensor du = (tinylm::pow(x, 2) * (3 * k1) + 1.0) * k0;
  const Tensor dx = R * ((th + 1.0) * 0.5 + x * (1.0 - th * th) * du * 0.5);
  header("GELU, tanh form (3 x 8): L = sum(gelu(x) * R)");
  row("dx (step 16)", dx, x.grad(), numeric_grad(x, [&] { return loss().item(); }));
}

void softmax_cross_entropy() {
  tinylm::Generator gen(9);
  const int64_t N = 4, V = 7;
  Tensor logits = (Tensor::randn({N, V}, gen) * 2.0).requires_grad_();
  const auto targets = tinylm::Tensor<int64_t>::from_vector({3, 0, 6, 3});
  auto loss = [&] { return tinylm::cross_entropy(logits, targets); };
  loss().backward();
  NoGradGuard no_grad;
  // step 17: dlogits = (softmax(logits) - onehot(targets)) / N
  Tensor onehot = Tensor::zeros({N, V});
  for (int64_t i = 0; i < N; ++i) onehot.at({i, targets.at({i})}) = 1.0;
  const Tensor dlogits = (tinylm::softmax(logits, -1) - onehot) / double(N);
  header("Softmax + cross-entropy, fused (N=4, V=7): L = mean_i -log softmax(logits_i)[t_i]");
  row("dlogits (step 17)", dlogits, logits.grad(), numeric_grad(logits, [&] { return loss().item(); }));
}

/// Writes the recorded graph of one transformer block (pre-LN attention and
/// MLP with residuals) as Graphviz DOT.
void write_block_graph(const std::string& path) {
  tinylm::Generator gen(3);
  tinylm::nn::Block<double> block(C, NH, 0.0, gen, gen);
  tinylm::nn::StateDict<double> named;
  for (const auto& [name, t] : block.state_dict()) named.emplace_back("h.0." + name, t);
  const Tensor x = Tensor::randn({B, T, C}, gen).requires_grad_();
  block.attn.use_fused = false;  // show the composition, op by op
  const Tensor loss = block.forward(x).sum();
  tinylm::write_file_atomic(path, {tinylm::autograd::to_dot(loss, named)});
  std::printf("wrote %s (render: dot -Tsvg %s -o graph.svg)\n", path.c_str(), path.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::string(argv[1]) == "--dot") {
      write_block_graph(argv[2]);
      return 0;
    }
    if (argc != 1) {
      std::fprintf(stderr, "usage: attention_backprop [--dot FILE]\n");
      return 2;
    }
    attention_block();
    layer_norm();
    gelu();
    softmax_cross_entropy();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attention_backprop: error: %s\n", e.what());
    return 1;
  }
  std::printf("\n%s: tolerances %.0e (hand vs autograd, fused vs reference) and %.0e (vs finite differences)\n",
              failures ? "FAILED" : "all rows agree", kHandTol, kNumericTol);
  return failures ? 1 : 0;
}
