#pragma once
// Node: one recorded op in the define-by-run graph, and record(), the one
// way an op (the library's or a user's) attaches its backward to its
// outputs.
//
// Each output tensor of an op points to the Node that made it (grad_fn) and
// knows which of the node's outputs it is (output_nr). The node holds the
// op's name, one Edge per input, and the backward closure the op wrote
// beside its forward: given dL/d(output) for each output, it returns
// dL/d(input) for every input, in order (an undefined tensor where an input
// needs none). Most ops have one output and write the closure as
// (const Tensor& grad) -> grads; an op with several outputs (lstm_cell's h
// and c, max's values and indices) writes (const std::vector<Tensor>& grads)
// -> grads, and receives an undefined tensor for an output that no
// gradient reached (one the loss did not use).
//
// An Edge points at what produced the input: its Node and output number,
// or, for a leaf, the leaf itself (where backward accumulates .grad()).
// Edges never hold an intermediate tensor's data, so an activation lives
// only as long as some closure saved it for backward. release() drops the
// closure (and with it the saved tensors) once backward has used it; a
// second backward through the same graph is then an error rather than
// silently doubled gradients.

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tinylm/autograd/anomaly.hpp"
#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/core/tensor.hpp"

namespace tinylm::autograd {

template <class T>
class Node;

template <class T>
struct Edge {
  std::shared_ptr<Node<T>> node;        // set when the input was produced by an op
  int output_nr = 0;                    // which of that node's outputs the input is
  std::shared_ptr<TensorImpl<T>> leaf;  // set when the input is a leaf that requires grad
  Shape shape;                          // the input's shape, to check the gradient against
  bool defined() const { return node || leaf; }
};

template <class T>
class Node : public NodeBase {
 public:
  /// The backward of a one-output op.
  using Backward = std::function<std::vector<Tensor<T>>(const Tensor<T>& grad_output)>;
  /// The backward of an op with several outputs: one gradient per output,
  /// undefined where none arrived.
  using MultiBackward = std::function<std::vector<Tensor<T>>(const std::vector<Tensor<T>>& grad_outputs)>;

  Node(std::string name, std::vector<Edge<T>> inputs, Backward backward, const std::vector<Tensor<T>>& outputs)
      : NodeBase(std::move(name)), inputs_(std::move(inputs)), backward_(std::move(backward)) {
    set_outputs(outputs);
  }
  Node(std::string name, std::vector<Edge<T>> inputs, MultiBackward backward, const std::vector<Tensor<T>>& outputs)
      : NodeBase(std::move(name)), inputs_(std::move(inputs)), multi_backward_(std::move(backward)) {
    set_outputs(outputs);
  }

  /// One edge per op input; an undefined edge is an input that needs no gradient.
  const std::vector<Edge<T>>& inputs() const { return inputs_; }
  int num_outputs() const { return static_cast<int>(output_shapes_.size()); }
  const std::vector<Shape>& output_shapes() const { return output_shapes_; }
  /// The shape of output i (of the only output by default).
  const Shape& output_shape(int i = 0) const { return output_shapes_[static_cast<std::size_t>(i)]; }
  /// Output i, while somebody still holds it.
  std::shared_ptr<TensorImpl<T>> output(int i = 0) const { return outputs_[static_cast<std::size_t>(i)].lock(); }
  bool released() const { return !backward_ && !multi_backward_; }

  /// Runs the backward closure: one gradient per output in, one per input out.
  std::vector<Tensor<T>> apply(const std::vector<Tensor<T>>& grad_outputs) const {
    check_not_released();
    if (multi_backward_) return multi_backward_(grad_outputs);
    return backward_(grad_outputs[0]);
  }
  /// Frees what the op saved for backward.
  void release() {
    backward_ = nullptr;
    multi_backward_ = nullptr;
  }

  /// A view that selects part of its single input (narrow, slice, select)
  /// has a gradient that is the output gradient written into a region of
  /// zeros. Declaring the region lets backward() add it straight into the
  /// input's gradient buffer instead of materializing a zero tensor per view:
  /// reading a sequence step by step stays linear, not quadratic, in its
  /// length. The backward closure stays the definition; this is the same
  /// result, computed in place.
  struct Region {
    Shape strides;       // of the view, in a contiguous tensor of the input's shape
    int64_t offset = 0;  // of the view's first element there
  };
  void set_region(Region r) { region_ = std::move(r); }
  const std::optional<Region>& region() const { return region_; }
  void check_not_released() const {
    TINYLM_CHECK(!released(), "backward: the graph through '", name(),
                 "' was already freed by an earlier backward(); pass retain_graph = true to the first "
                 "backward() to run backward twice");
  }

 private:
  void set_outputs(const std::vector<Tensor<T>>& outputs) {
    for (const Tensor<T>& t : outputs) {
      outputs_.push_back(t.impl_ptr());
      output_shapes_.push_back(t.shape());
    }
  }

  std::vector<Edge<T>> inputs_;
  Backward backward_;
  MultiBackward multi_backward_;
  std::vector<std::weak_ptr<TensorImpl<T>>> outputs_;
  std::vector<Shape> output_shapes_;
  std::optional<Region> region_;
};

/// True when grad mode is on and any of the tensors requires grad.
template <class... Ts>
bool needs_grad(const Ts&... ts) {
  return GradMode::is_enabled() && (ts.requires_grad() || ...);
}

/// The edge backward follows into tensor t.
template <class T>
Edge<T> edge_to(const Tensor<T>& t) {
  if (!t.requires_grad()) return {};
  if (t.grad_fn()) return {t.grad_fn(), t.impl()->output_nr, nullptr, t.shape()};
  return {nullptr, 0, t.impl_ptr(), t.shape()};
}

namespace detail {

template <class T, class Backward>
void attach(const std::vector<Tensor<T>>& outputs, std::string name, const std::vector<Tensor<T>>& inputs,
            Backward backward) {
  if (AnomalyMode::is_enabled()) check_outputs(name, outputs, inputs);
  std::vector<Edge<T>> edges;
  edges.reserve(inputs.size());
  for (const Tensor<T>& t : inputs) edges.push_back(edge_to(t));
  auto node = std::make_shared<Node<T>>(std::move(name), std::move(edges), std::move(backward), outputs);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    Tensor<T> out = outputs[i];  // a handle: marking it marks the op's output
    out.requires_grad_(true);
    out.set_grad_fn(node);
    out.impl_ptr()->output_nr = static_cast<int>(i);
  }
}

}  // namespace detail

/// Attaches a new node to `out`: the op `name` read `inputs` and is undone by
/// `backward`. Call only when needs_grad(inputs...) is true.
template <class T>
void record(Tensor<T>& out, std::string name, const std::vector<Tensor<T>>& inputs,
            typename Node<T>::Backward backward) {
  detail::attach(std::vector<Tensor<T>>{out}, std::move(name), inputs, std::move(backward));
}

template <class T>
void record(Tensor<T>& out, std::string name, std::initializer_list<Tensor<T>> inputs,
            typename Node<T>::Backward backward) {
  record(out, std::move(name), std::vector<Tensor<T>>(inputs), std::move(backward));
}

/// Attaches one node to all `outputs` of an op: `backward` gets one gradient
/// per output (undefined for an output no gradient reached) and returns one
/// per input.
template <class T>
void record(const std::vector<Tensor<T>>& outputs, std::string name, const std::vector<Tensor<T>>& inputs,
            typename Node<T>::MultiBackward backward) {
  TINYLM_CHECK(!outputs.empty(), "record: '", name, "' has no outputs");
  detail::attach(outputs, std::move(name), inputs, std::move(backward));
}

}  // namespace tinylm::autograd
