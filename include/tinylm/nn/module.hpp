#pragma once
// nn::Module: the base of every layer. It knows its parameters and its child
// modules by name, so a model can list `h.0.attn.c_attn.weight`, move
// between train and eval mode, zero its gradients, and save or load its
// state by name.
//
// A layer keeps its tensors and children as ordinary members and registers
// them once in its constructor:
//
//   weight = register_parameter("weight", Tensor<T>::zeros({in, out}), Decay::Yes);
//   register_module("c_attn", c_attn);
//
// Registered tensors are aliases of the members (Tensor is a handle), so
// loading a state dict copies values into the same storage the layer and
// any optimizer already hold. Modules are not copyable: children are held by
// address.
//
// One rule of C++ to know when writing a module: members are built in the
// order they are declared, not the order of the constructor's initializer
// list. A child whose constructor uses another member (a Generator it
// draws its initial weights from, a config) must be declared after it.
// Registration order is a separate thing: it is the order of the
// register_* calls, which is the order of named_parameters() and of
// checkpoints. nn::GPT holds its config and generators in a base class
// (bases are built before all members), so no declaration order matters
// there; MLP declares its config first.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/ops/copy.hpp"

namespace tinylm::nn {

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

  /// Copies values into the parameters, by name. Every parameter must be
  /// present with its shape, and nothing else may be (strict), or the error
  /// lists what is missing, unexpected or mis-shaped. Nothing is modified
  /// unless everything matches.
  void load_state_dict(const StateDict<Float>& state) {
    std::map<std::string, Tensor<Float>> given(state.begin(), state.end());
    std::string missing, unexpected, mismatched;
    const auto params = named_parameters();
    for (const auto& p : params) {
      auto it = given.find(p.name);
      if (it == given.end()) {
        missing += (missing.empty() ? "" : ", ") + p.name;
      } else {
        if (it->second.shape() != p.tensor.shape())
          mismatched += (mismatched.empty() ? "" : ", ") + p.name + " (model " + p.tensor.shape().str() + ", given " +
                        it->second.shape().str() + ")";
        given.erase(it);
      }
    }
    for (const auto& [name, t] : given) unexpected += (unexpected.empty() ? "" : ", ") + name;
    std::string msg;
    if (!missing.empty()) msg += "; missing: " + missing;
    if (!unexpected.empty()) msg += "; unexpected: " + unexpected;
    if (!mismatched.empty()) msg += "; wrong shape: " + mismatched;
    TINYLM_CHECK(msg.empty(), "load_state_dict: the state does not match the model", msg);
    std::map<std::string, Tensor<Float>> by_name(state.begin(), state.end());
    NoGradGuard no_grad;
    for (const auto& p : params) {
      Tensor<Float> dst = p.tensor;
      dst.copy_(by_name.at(p.name));
    }
  }

 protected:
  /// Registers a parameter (marking it requires_grad) and returns it.
  Tensor<Float> register_parameter(std::string name, Tensor<Float> t, Decay decay) {
    t.requires_grad_(true);
    params_.push_back({std::move(name), t, decay});
    return t;
  }
  /// Registers a child module held (and owned) by this one.
  template <class M>
  M& register_module(std::string name, M& child) {
    children_.emplace_back(std::move(name), &child);
    return child;
  }

 private:
  void collect(const std::string& prefix, std::vector<Parameter<Float>>& out) const {
    for (const auto& p : params_) out.push_back({prefix + p.name, p.tensor, p.decay});
    for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
  }

  std::vector<Parameter<Float>> params_;
  std::vector<std::pair<std::string, Module*>> children_;
  bool training_ = true;
};

}  // namespace tinylm::nn
