#pragma once
// autograd::Function: define your own differentiable op as a forward and a
// backward in one place, the way tinylm's own ops are written.
//
//   struct Cube : tinylm::autograd::Function<Cube> {
//     static constexpr const char* name = "cube";
//     template <class T>
//     static Tensor<T> forward(Context<T>& ctx, const Tensor<T>& x) {
//       ctx.save_for_backward({x});
//       return x * x * x;
//     }
//     template <class T>
//     static std::vector<Tensor<T>> backward(Context<T>& ctx, const Tensor<T>& grad) {
//       const Tensor<T>& x = ctx.saved()[0];
//       return {grad * 3.0 * x * x};
//     }
//   };
//   Tensor<double> y = Cube::apply(x);
//
// forward runs with grad mode off; backward returns one gradient per tensor
// argument of forward (undefined for an argument that needs none). Check the
// pair with gradcheck().

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/autograd/node.hpp"

namespace tinylm::autograd {

/// What forward hands to backward: saved tensors and named numbers.
template <class T>
class Context {
 public:
  /// Saves tensors for backward. They are stored detached, so saving the
  /// op's own output does not create a reference cycle.
  void save_for_backward(std::initializer_list<Tensor<T>> tensors) {
    for (const auto& t : tensors) saved_.push_back(t.defined() ? t.detach() : t);
  }
  const std::vector<Tensor<T>>& saved() const { return saved_; }

  /// Non-tensor values, e.g. ctx.values["p"] = p.
  std::map<std::string, double> values;

 private:
  std::vector<Tensor<T>> saved_;
};

template <class Derived>
struct Function {
  /// Runs Derived::forward and, if any tensor argument requires grad,
  /// records Derived::backward as the output's grad_fn.
  template <class... Args>
  static auto apply(const Args&... args) {
    using T = typename first_tensor<Args...>::type;
    auto ctx = std::make_shared<Context<T>>();
    Tensor<T> out;
    {
      NoGradGuard no_grad;
      out = Derived::forward(*ctx, args...);
    }
    std::vector<Tensor<T>> inputs;
    (collect(inputs, args), ...);
    bool any = false;
    for (const auto& t : inputs) any = any || t.requires_grad();
    if (any && GradMode::is_enabled()) {
      const std::size_t n = inputs.size();
      record(out, Derived::name, inputs, [ctx, n](const Tensor<T>& grad) {
        std::vector<Tensor<T>> grads = Derived::backward(*ctx, grad);
        TINYLM_CHECK(grads.size() == n, Derived::name, ": backward returned ", grads.size(),
                     " gradients, forward took ", n, " tensors");
        return grads;
      });
    }
    return out;
  }

 private:
  template <class... Args>
  struct first_tensor;
  template <class A, class... Rest>
  struct first_tensor<A, Rest...> {
    using type = std::conditional_t<std::is_same_v<A, Tensor<float>>, float,
                                    std::conditional_t<std::is_same_v<A, Tensor<double>>, double,
                                                       typename first_tensor<Rest...>::type>>;
  };
  template <class A>
  struct first_tensor<A> {
    using type = std::conditional_t<std::is_same_v<A, Tensor<float>>, float, double>;
  };

  template <class T, class A>
  static void collect(std::vector<Tensor<T>>& inputs, const A& a) {
    if constexpr (std::is_same_v<A, Tensor<T>>) inputs.push_back(a);
  }
};

}  // namespace tinylm::autograd
