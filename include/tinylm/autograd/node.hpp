#pragma once
// Node: one recorded op in the define-by-run graph.
//
// Each op's output tensor points to the Node that made it (grad_fn). The node
// holds the op's name, one Edge per input, and the backward closure the op
// wrote beside its forward: given dL/d(output), it returns dL/d(input) for
// every input, in order (an undefined tensor where an input needs none).
//
// An Edge points at what produced the input: its Node, or, for a leaf, the
// leaf itself (where backward accumulates .grad()). Edges never hold an
// intermediate tensor's data, so an activation lives only as long as some
// closure saved it for backward. release() drops the closure (and with it
// the saved tensors) once backward has used it; a second backward through
// the same graph is then an error rather than silently doubled gradients.

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/core/tensor.hpp"

namespace tinylm::autograd {

template <class T>
class Node;

template <class T>
struct Edge {
  std::shared_ptr<Node<T>> node;        // set when the input was produced by an op
  std::shared_ptr<TensorImpl<T>> leaf;  // set when the input is a leaf that requires grad
  Shape shape;                          // the input's shape, to check the gradient against
  bool defined() const { return node || leaf; }
};

template <class T>
class Node {
 public:
  using Backward = std::function<std::vector<Tensor<T>>(const Tensor<T>& grad_output)>;

  Node(std::string name, std::vector<Edge<T>> inputs, Backward backward, const Tensor<T>& output)
      : name_(std::move(name)),
        inputs_(std::move(inputs)),
        backward_(std::move(backward)),
        output_(output.impl_ptr()),
        output_shape_(output.shape()) {}

  const std::string& name() const { return name_; }
  /// One edge per op input; an undefined edge is an input that needs no gradient.
  const std::vector<Edge<T>>& inputs() const { return inputs_; }
  const Shape& output_shape() const { return output_shape_; }
  /// The output tensor, while somebody still holds it.
  std::shared_ptr<TensorImpl<T>> output() const { return output_.lock(); }
  bool released() const { return !backward_; }

  std::vector<Tensor<T>> apply(const Tensor<T>& grad_output) const {
    check_not_released();
    return backward_(grad_output);
  }
  /// Frees what the op saved for backward.
  void release() { backward_ = nullptr; }

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
    TINYLM_CHECK(backward_, "backward: the graph through '", name_,
                 "' was already freed by an earlier backward(); pass retain_graph = true to the first "
                 "backward() to run backward twice");
  }

 private:
  std::string name_;
  std::vector<Edge<T>> inputs_;
  Backward backward_;
  std::weak_ptr<TensorImpl<T>> output_;
  Shape output_shape_;
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
  if (t.grad_fn()) return {t.grad_fn(), nullptr, t.shape()};
  return {nullptr, t.impl_ptr(), t.shape()};
}

/// Attaches a new node to `out`: the op `name` read `inputs` and is undone by
/// `backward`. Call only when needs_grad(inputs...) is true.
template <class T>
void record(Tensor<T>& out, std::string name, const std::vector<Tensor<T>>& inputs,
            typename Node<T>::Backward backward) {
  std::vector<Edge<T>> edges;
  edges.reserve(inputs.size());
  for (const Tensor<T>& t : inputs) edges.push_back(edge_to(t));
  out.requires_grad_(true);
  out.set_grad_fn(std::make_shared<Node<T>>(std::move(name), std::move(edges), std::move(backward), out));
}

template <class T>
void record(Tensor<T>& out, std::string name, std::initializer_list<Tensor<T>> inputs,
            typename Node<T>::Backward backward) {
  record(out, std::move(name), std::vector<Tensor<T>>(inputs), std::move(backward));
}

}  // namespace tinylm::autograd
