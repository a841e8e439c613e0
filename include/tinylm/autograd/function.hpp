#pragma once
// Two ways to define your own differentiable op; both end in the same graph
// node (autograd/node.hpp), run in the same engine and are checked with the
// same gradcheck().
//
// 1. What tinylm's own ops do (ops/*.hpp): compute the forward, then, if
//    autograd::needs_grad(inputs...), attach the backward with
//    autograd::record() as a closure right under the forward line:
//
// ```cpp
// #include <tinylm/autograd/gradcheck.hpp>
// #include <tinylm/ops/arithmetic.hpp>
//
// using tinylm::Tensor;
//
// template <tinylm::FloatElement T>
// Tensor<T> cube(const Tensor<T>& x) {
//   Tensor<T> out = x.detach() * x.detach() * x.detach();  // or a kernel call
//   if (tinylm::autograd::needs_grad(x))
//     tinylm::autograd::record(out, "cube", {x}, [x = x.detach()](const Tensor<T>& g) {
//       return std::vector{g * x * x * 3.0};
//     });
//   return out;
// }
//
// int main() {
//   auto x = Tensor<double>::from_vector({0.5, -1.0, 2.0});
//   x.requires_grad_();
//   const auto check = tinylm::gradcheck([](const std::vector<Tensor<double>>& in) { return cube(in[0]); }, {x});
//   return check.ok ? 0 : 1;
// }
// ```
//
//    An op with several outputs records them together,
//    record(std::vector{h, c}, "name", {inputs...}, closure taking one
//    gradient per output), as ops/lstm_cell.hpp does.
//
// 2. A struct with a static forward and backward, as in PyTorch's
//    torch.autograd.Function; apply() does the record() call for you:
//
// ```cpp
// #include <tinylm/autograd/function.hpp>
// #include <tinylm/autograd/gradcheck.hpp>
// #include <tinylm/ops/arithmetic.hpp>
//
// using tinylm::Tensor;
// using tinylm::autograd::Context;
//
// struct Cube : tinylm::autograd::Function<Cube> {
//   static constexpr const char* name = "cube";
//   template <class T>
//   static Tensor<T> forward(Context<T>& ctx, const Tensor<T>& x) {
//     ctx.save_for_backward({x});
//     return x * x * x;
//   }
//   template <class T>
//   static std::vector<Tensor<T>> backward(Context<T>& ctx, const Tensor<T>& grad) {
//     const Tensor<T>& x = ctx.saved()[0];
//     return {grad * 3.0 * x * x};
//   }
// };
//
// int main() {
//   auto x = Tensor<double>::from_vector({0.5, -1.0, 2.0});
//   x.requires_grad_();
//   Tensor<double> y = Cube::apply(x);
//   y.sum().backward();  // x.grad() is 3 x^2
//   auto cube = [](const std::vector<Tensor<double>>& in) { return Cube::apply(in[0]); };
//   const auto check = tinylm::gradcheck(cube, {x});
//   return check.ok && x.grad().to_vector() == std::vector<double>{0.75, 3.0, 12.0} ? 0 : 1;
// }
// ```
//
//    What apply() adds to the closure form, and nothing else: forward runs
//    under NoGradGuard (the ops inside it record nothing); tensors go to
//    backward through a Context (saved detached, so saving the output makes
//    no reference cycle) instead of a lambda capture; an output that is one
//    of the inputs is returned as a new handle (so the input's own autograd
//    state is not overwritten); and backward is checked to return one
//    gradient per tensor argument of forward (undefined for an argument
//    that needs none). A forward that returns std::vector<Tensor<T>> makes
//    an op with several outputs; its backward takes
//    const std::vector<Tensor<T>>& (one gradient per output), where an
//    output no gradient reached comes as zeros of its shape, or as an
//    undefined tensor after ctx.set_materialize_grads(false).

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "tinylm/autograd/engine.hpp"
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

  /// With several outputs: whether an output no gradient reached is passed
  /// to backward as zeros (the default) or as an undefined tensor.
  void set_materialize_grads(bool on) { materialize_grads_ = on; }
  bool materialize_grads() const { return materialize_grads_; }

 private:
  std::vector<Tensor<T>> saved_;
  bool materialize_grads_ = true;
};

template <class Derived>
struct Function {
  /// Runs Derived::forward and, if any tensor argument requires grad,
  /// records Derived::backward as the grad_fn of its output(s).
  template <class... Args>
  static auto apply(const Args&... args) {
    using T = typename first_tensor<Args...>::type;
    auto ctx = std::make_shared<Context<T>>();
    using Out = decltype(Derived::forward(*ctx, args...));
    static_assert(std::is_same_v<Out, Tensor<T>> || std::is_same_v<Out, std::vector<Tensor<T>>>,
                  "Function: forward must return Tensor<T> or std::vector<Tensor<T>>");
    std::vector<Tensor<T>> inputs;
    (collect(inputs, args), ...);
    Out out;
    {
      NoGradGuard no_grad;
      out = Derived::forward(*ctx, args...);
    }
    bool any = false;
    for (const auto& t : inputs) any = any || t.requires_grad();
    if (!any || !GradMode::is_enabled()) return out;
    const std::size_t n = inputs.size();
    if constexpr (std::is_same_v<Out, Tensor<T>>) {
      out = fresh(out, inputs);
      record(out, Derived::name, inputs,
             [ctx, n](const Tensor<T>& grad) { return checked(Derived::backward(*ctx, grad), n); });
    } else {
      std::vector<Shape> shapes;
      std::vector<Device> devices;
      for (auto& o : out) {
        o = fresh(o, inputs);
        shapes.push_back(o.shape());
        devices.push_back(o.device());
      }
      record(out, Derived::name, inputs, [ctx, n, shapes, devices](const std::vector<Tensor<T>>& grads) {
        std::vector<Tensor<T>> g = grads;
        if (ctx->materialize_grads())
          for (std::size_t i = 0; i < g.size(); ++i)
            if (!g[i].defined()) g[i] = Tensor<T>::zeros(shapes[i], devices[i]);
        return checked(Derived::backward(*ctx, g), n);
      });
    }
    return out;
  }

 private:
  template <class... Args>
  struct first_tensor;
  template <class A, class... Rest>
  struct first_tensor<A, Rest...> {
    using type = std::conditional_t<
        std::is_same_v<A, Tensor<float>>, float,
        std::conditional_t<std::is_same_v<A, Tensor<double>>, double, typename first_tensor<Rest...>::type>>;
  };
  template <class A>
  struct first_tensor<A> {
    using type = std::conditional_t<std::is_same_v<A, Tensor<float>>, float, double>;
  };

  template <class T, class A>
  static void collect(std::vector<Tensor<T>>& inputs, const A& a) {
    if constexpr (std::is_same_v<A, Tensor<T>>) inputs.push_back(a);
  }

  /// `out`, or a new handle on its data when forward returned an input as is.
  template <class T>
  static Tensor<T> fresh(const Tensor<T>& out, const std::vector<Tensor<T>>& inputs) {
    for (const auto& in : inputs)
      if (out.is_same(in)) return out.detach();
    return out;
  }

  template <class T>
  static std::vector<Tensor<T>> checked(std::vector<Tensor<T>> grads, std::size_t n) {
    TINYLM_CHECK(grads.size() == n, Derived::name, ": backward returned ", grads.size(), " gradients, forward took ", n,
                 " tensors");
    return grads;
  }
};

}  // namespace tinylm::autograd
