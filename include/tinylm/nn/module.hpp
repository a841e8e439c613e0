#pragma once
// nn::Module: the base of every layer. It knows its parameters and its child
// modules by name, so a model can list `h.0.attn.c_attn.weight`, move
// between train and eval mode, zero its gradients, and save or load its
// state by name.
//
// A layer keeps its tensors and children as ordinary members and registers
// them once in its constructor:
//
// ```cpp
// #include <tinylm/nn/linear.hpp>
// #include <tinylm/ops/arithmetic.hpp>
// #include <tinylm/ops/unary.hpp>
//
// struct TwoLayer : tinylm::nn::Seeded, tinylm::nn::Module<float> {
//   tinylm::nn::Linear<float> fc{4, 8, init_gen}, out{8, 1, init_gen};  // init_gen: Seeded's, built first
//   tinylm::Tensor<float> scale;
//   TwoLayer() : tinylm::nn::Seeded(/*seed*/ 1) {
//     register_module("fc", fc);
//     register_module("out", out);
//     scale = register_parameter("scale", tinylm::Tensor<float>::ones({1}), tinylm::nn::Decay::No);
//   }
//   tinylm::Tensor<float> forward(const tinylm::Tensor<float>& x) const {
//     return out.forward(tinylm::relu(fc.forward(x))) * scale;
//   }
// };
//
// int main() {
//   TwoLayer m;
//   const auto names = m.named_parameters();  // scale, fc.weight, fc.bias, out.weight, out.bias
//   m.forward(tinylm::Tensor<float>::ones({2, 4})).backward(tinylm::Tensor<float>::ones({2, 1}));
//   const bool ok = names.size() == 5 && names[0].name == "scale" && names[1].name == "fc.weight";
//   return ok && m.fc.weight.grad().defined() ? 0 : 1;
// }
// ```
//
// Registered tensors are aliases of the members (Tensor is a handle), so
// loading a state dict copies values into the same storage the layer and
// any optimizer already hold. Modules are not copyable: children are held by
// address.
//
// One rule of C++ to know when writing a module: members are built in the
// order they are declared, not the order of the constructor's initializer
// list, and a child that draws its initial weights from a Generator member
// declared after it draws from a generator not yet built (no compiler
// warns: GCC 12 and Clang 14 with -Wall -Wextra say nothing). Bases are
// built before every member, so hold what the children are built from in a
// base: nn::Seeded does that for the generators (as in the example above),
// and nn::GPT keeps its config and generators in one. Then no declaration
// order matters.
//
// Registration order is a separate thing: named_parameters() (and so a
// checkpoint) lists a module's own parameters, then each child's, each in
// the order of the register_* calls, as PyTorch does.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/ops/copy.hpp"

namespace tinylm::nn {

/// The generators a module's layers draw from, held in a base class so
/// that they are built before every member (see the file comment): list it
/// before nn::Module among the bases. init_gen is seeded with `seed`,
/// dropout_gen with a stream of its own.
struct Seeded {
  explicit Seeded(uint64_t seed) : init_gen(seed), dropout_gen(seed ^ 0x5DEECE66Dull) {}
  Generator init_gen;
  Generator dropout_gen;
};

/// Whether weight decay applies to a parameter (AdamW's default groups):
/// matrices of linear maps decay; biases, LayerNorm gains and embeddings do not.
enum class Decay { No, Yes };

template <FloatElement Float>
struct Parameter {
  std::string name;
  Tensor<Float> tensor;
  Decay decay = Decay::No;
};

/// Named tensors in a fixed order, as state_dict() gives them.
template <FloatElement Float>
using StateDict = std::vector<std::pair<std::string, Tensor<Float>>>;

template <FloatElement Float>
class Module {
 public:
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  virtual ~Module() = default;

  /// Every parameter with its dotted name (children's under "child.").
  std::vector<Parameter<Float>> named_parameters() const {
    std::vector<Parameter<Float>> out;
    collect("", out);
    return out;
  }
  std::vector<Tensor<Float>> parameters() const {
    std::vector<Tensor<Float>> out;
    for (auto& p : named_parameters()) out.push_back(p.tensor);
    return out;
  }
  int64_t num_parameters() const {
    int64_t n = 0;
    for (auto& p : named_parameters()) n += p.tensor.numel();
    return n;
  }

  /// Moves every parameter to `device` in place, so that the layers' own
  /// handles to them follow (a parameter a layer keeps as a member is the
  /// same tensor). Gradients are dropped; build optimizers after moving, as
  /// their state lives beside the parameters. Returns *this.
  Module& to(Device device) {
    NoGradGuard no_grad;
    for (const auto& p : named_parameters()) {
      if (p.tensor.device() == device) continue;
      const Tensor<Float> moved = tinylm::to(p.tensor.detach(), device);  // dense, on `device`
      auto& impl = *p.tensor.impl_ptr();
      impl.storage = moved.impl_ptr()->storage;
      impl.strides = moved.strides();
      impl.offset = 0;
      impl.grad.reset();
    }
    return *this;
  }
  /// Where the parameters are (the CPU for a module without any).
  Device device() const {
    const auto params = named_parameters();
    return params.empty() ? Device::cpu() : params.front().tensor.device();
  }

  void train(bool on = true) {
    training_ = on;
    for (auto& [name, child] : children_) child->train(on);
  }
  void eval() { train(false); }
  bool is_training() const { return training_; }

  void zero_grad() {
    for (auto& p : named_parameters()) p.tensor.zero_grad();
  }

  /// The parameters by name (aliases, not copies).
  StateDict<Float> state_dict() const {
    StateDict<Float> out;
    for (auto& p : named_parameters()) out.emplace_back(p.name, p.tensor);
    return out;
  }

  /// What a non-strict load_state_dict left out: model parameters the state
  /// did not have (they keep their values) and names the model does not have.
  struct LoadReport {
    std::vector<std::string> missing, unexpected;
  };

  /// Copies values into the parameters, by name. Strict (the default): every
  /// parameter must be present with its shape, and nothing else may be, or
  /// the error lists what is missing, unexpected or mis-shaped. Not strict:
  /// what is present is loaded, and the report lists the rest; a tensor of
  /// the wrong shape is still an error. Nothing is modified unless the load
  /// can be done in full.
  LoadReport load_state_dict(const StateDict<Float>& state, bool strict = true) {
    const auto params = named_parameters();
    std::map<std::string, Tensor<Float>> given;
    for (const auto& [name, t] : state) {
      TINYLM_CHECK(t.defined(), "load_state_dict: tensor '", name, "' is undefined");
      TINYLM_CHECK(given.emplace(name, t).second, "load_state_dict: '", name, "' appears twice");
    }
    LoadReport report;
    std::string mismatched;
    for (const auto& p : params) {
      auto it = given.find(p.name);
      if (it == given.end()) {
        report.missing.push_back(p.name);
        continue;
      }
      if (it->second.shape() != p.tensor.shape())
        mismatched += (mismatched.empty() ? "" : ", ") + p.name + " (model " + p.tensor.shape().str() + ", given " +
                      it->second.shape().str() + ")";
    }
    std::map<std::string, bool> known;
    for (const auto& p : params) known[p.name] = true;
    for (const auto& [name, t] : state)
      if (!known.count(name)) report.unexpected.push_back(name);
    auto join = [](const std::vector<std::string>& v) {
      std::string out;
      for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
      return out;
    };
    std::string msg;
    if (strict && !report.missing.empty()) msg += "; missing: " + join(report.missing);
    if (strict && !report.unexpected.empty()) msg += "; unexpected: " + join(report.unexpected);
    if (!mismatched.empty()) msg += "; wrong shape: " + mismatched;
    TINYLM_CHECK(msg.empty(), "load_state_dict: the state does not match the model", msg);
    NoGradGuard no_grad;
    for (const auto& p : params) {
      auto it = given.find(p.name);
      if (it == given.end()) continue;
      Tensor<Float> dst = p.tensor;
      dst.copy_(it->second);
    }
    return report;
  }

  // ---- freezing --------------------------------------------------------
  // A frozen parameter has requires_grad false: backward gives it no
  // gradient and optimizers, which update only parameters that have one,
  // leave it as it is and keep no state (moments, momentum) for it. Freeze before building the optimizer or after; to
  // fine-tune only some layers, freeze all and unfreeze those.

  /// Freezes every parameter whose name starts with `prefix` ("" for all);
  /// returns how many tensors it froze.
  int64_t freeze(const std::string& prefix = "") { return set_trainable(prefix, false); }
  /// The opposite of freeze.
  int64_t unfreeze(const std::string& prefix = "") { return set_trainable(prefix, true); }

  /// This module (named "") and every module below it, depth first, by
  /// dotted name ("transformer.h.0.attn.c_attn"): what adapters and other
  /// passes over a model's layers walk (with dynamic_cast to the layer
  /// type they act on).
  std::vector<std::pair<std::string, Module*>> named_modules() {
    std::vector<std::pair<std::string, Module*>> out{{"", this}};
    collect_modules("", out);
    return out;
  }

  /// The parameters that are not frozen.
  std::vector<Parameter<Float>> trainable_parameters() const {
    std::vector<Parameter<Float>> out;
    for (auto& p : named_parameters())
      if (p.tensor.requires_grad()) out.push_back(p);
    return out;
  }
  int64_t num_trainable_parameters() const {
    int64_t n = 0;
    for (auto& p : trainable_parameters()) n += p.tensor.numel();
    return n;
  }

  /// One line per parameter (name, shape, elements, trainable or frozen)
  /// and the totals.
  std::string summary() const {
    std::string out;
    for (const auto& p : named_parameters())
      out += tinylm::detail::str_cat(p.name, " ", p.tensor.shape(), " ", p.tensor.numel(),
                                     p.tensor.requires_grad() ? " trainable" : " frozen", "\n");
    return out + tinylm::detail::str_cat(num_parameters(), " parameters, ", num_trainable_parameters(), " trainable\n");
  }

 protected:
  /// Registers a parameter (marking it requires_grad) and returns it.
  Tensor<Float> register_parameter(std::string name, Tensor<Float> t, Decay decay) {
    t.requires_grad_(true);
    params_.push_back({std::move(name), t, decay});
    return t;
  }
  /// Points the registered parameter `name` (this module's own, not a
  /// child's) at a new tensor: what resizing a layer does. Optimizers built
  /// before still hold the old tensor; build them after.
  void replace_parameter(const std::string& name, Tensor<Float> t) {
    for (auto& p : params_)
      if (p.name == name) {
        t.requires_grad_(p.tensor.requires_grad());
        p.tensor = t;
        return;
      }
    throw Error("replace_parameter: this module has no parameter '" + name + "'");
  }
  /// Registers a child module held (and owned) by this one.
  template <class M>
  M& register_module(std::string name, M& child) {
    children_.emplace_back(std::move(name), &child);
    return child;
  }
  /// Forgets the child registered as `name` (the module itself is the
  /// caller's): what removing an adapter does.
  void unregister_module(const std::string& name) {
    for (auto it = children_.begin(); it != children_.end(); ++it)
      if (it->first == name) {
        children_.erase(it);
        return;
      }
    throw Error("unregister_module: this module has no child '" + name + "'");
  }

 private:
  int64_t set_trainable(const std::string& prefix, bool on) {
    int64_t n = 0;
    for (auto& p : named_parameters())
      if (p.name.starts_with(prefix)) {
        p.tensor.requires_grad_(on);
        ++n;
      }
    TINYLM_CHECK(n > 0 || prefix.empty(), on ? "unfreeze" : "freeze", ": no parameter's name starts with '", prefix,
                 "'");
    return n;
  }

  void collect(const std::string& prefix, std::vector<Parameter<Float>>& out) const {
    for (const auto& p : params_) out.push_back({prefix + p.name, p.tensor, p.decay});
    for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
  }

  void collect_modules(const std::string& prefix, std::vector<std::pair<std::string, Module*>>& out) {
    for (auto& [name, child] : children_) {
      out.emplace_back(prefix + name, child);
      child->collect_modules(prefix + name + ".", out);
    }
  }

  std::vector<Parameter<Float>> params_;
  std::vector<std::pair<std::string, Module*>> children_;
  bool training_ = true;
};

}  // namespace tinylm::nn
