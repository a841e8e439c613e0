#pragma once
// backward(): reverse-mode autograd over the recorded graph.
//
// 1. Collect every node reachable from the root's grad_fn and order them so
//    that each comes before the nodes that produced its inputs (reverse
//    post-order of a depth-first walk; iterative, so a graph thousands of ops
//    deep cannot overflow the stack).
// 2. Seed dL/d(root): 1 for a one-element root, else the given grad_output.
// 3. Visit nodes in that order. A node's output gradients are complete when
//    it is visited, because every consumer was visited before it. Hand them
//    (one per output; undefined for an output no gradient reached) to the
//    node's backward and add the results into its inputs: into the pending
//    gradient of the producing node's output, or into a leaf's .grad().
// 4. Release each node after use unless retain_graph is set.
//
// Backward runs with grad mode off: no graph of the backward is recorded.

#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/autograd/node.hpp"
#include "tinylm/core/config.hpp"
#include "tinylm/core/tensor.hpp"
#include "tinylm/kernels/copy.hpp"
#include "tinylm/kernels/elementwise.hpp"

namespace tinylm::autograd {

namespace detail {

/// A contiguous copy that nobody else holds, safe to accumulate into.
template <class T>
Tensor<T> owned_copy(const Tensor<T>& g) {
  return kernels::dense_copy(g);
}

/// True when nobody else can see g's data: backward may then keep g itself
/// as a gradient buffer and add into it, instead of copying it first.
template <class T>
bool uniquely_owned(const Tensor<T>& g) {
  return g.impl_ptr().use_count() == 1 && g.storage_ptr().use_count() == 1 && g.is_contiguous() && g.offset() == 0 &&
         g.numel() == g.storage().size() && !g.requires_grad();
}

/// acc += g, where acc is owned and contiguous.
template <class T>
void accumulate_into(const Tensor<T>& acc, const Tensor<T>& g) {
  kernels::add_strided(acc.device(), acc.data(), acc.strides().data(), g.data(), g.strides().data(), g.shape().data(),
                       g.dim());
}

/// Adds g into a leaf's (or retained tensor's) .grad().
template <class T>
void accumulate_grad(TensorImpl<T>& impl, Tensor<T> g) {
  if (!impl.grad) impl.grad = uniquely_owned(g) ? g.impl_ptr() : owned_copy(g).impl_ptr();
  else accumulate_into(Tensor<T>(impl.grad), g);
}

/// Runs a leaf's grad-ready hooks (a copy of the list: a hook may add or remove hooks).
template <class T>
void run_grad_ready_hooks(const std::shared_ptr<TensorImpl<T>>& leaf) {
  const auto hooks = leaf->grad_ready_hooks;
  const Tensor<T> handle(leaf);
  for (const auto& h : hooks) h.second(handle);
}

/// Zeros of `shape` on g's device.
template <class T>
Tensor<T> zeros_like_on(const Shape& shape, const Tensor<T>& g) {
  Tensor<T> z = Tensor<T>::empty(shape, g.device());
  kernels::fill(g.device(), z.data(), T(0), z.numel());
  return z;
}

/// A gradient on its way to one output of a node, summed over its consumers.
template <class T>
struct Pending {
  Tensor<T> grad;
  bool owned = false;  // true once `grad` is our private buffer

  void add(Tensor<T> g) {
    if (!grad.defined()) {
      grad = std::move(g);
      owned = uniquely_owned(grad);
      return;
    }
    own();
    accumulate_into(grad, g);
  }
  /// Adds g into the region of a view of a tensor of `shape`.
  void add_region(const Tensor<T>& g, const Shape& shape, const typename Node<T>::Region& r) {
    if (!grad.defined()) {
      grad = zeros_like_on(shape, g);
      owned = true;
    }
    own();
    kernels::add_strided(g.device(), grad.data() + r.offset, r.strides.data(), g.data(), g.strides().data(),
                         g.shape().data(), g.dim());
  }
  void own() {
    if (!owned) {
      grad = owned_copy(grad);
      owned = true;
    }
  }
};

}  // namespace detail

/// Runs backward from `root`. grad_output defaults to 1 for a one-element root.
template <FloatElement T>
void backward(const Tensor<T>& root, const Tensor<T>& grad_output = Tensor<T>(), bool retain_graph = false) {
  TINYLM_CHECK(root.defined(), "backward: called on an undefined tensor");
  TINYLM_CHECK(root.requires_grad(), "backward: tensor of shape ", root.shape(),
               " does not require grad and has no grad_fn");
  Tensor<T> seed = grad_output;
  if (!seed.defined()) {
    TINYLM_CHECK(root.numel() == 1, "backward: grad_output can be implied only for a one-element output; this one is ",
                 root.shape(), ", pass grad_output");
    seed = Tensor<T>::ones(root.shape(), root.device());
  }
  TINYLM_CHECK(seed.shape() == root.shape(), "backward: grad_output is ", seed.shape(), " but the output is ",
               root.shape());
  NoGradGuard no_grad;
  if (!root.grad_fn()) {  // a leaf: its gradient is the seed itself
    detail::accumulate_grad(*root.impl_ptr(), seed);
    detail::run_grad_ready_hooks(root.impl_ptr());
    return;
  }

  // 1. Topological order: reverse post-order of a DFS from the root's node.
  std::vector<Node<T>*> post;
  std::unordered_set<const Node<T>*> seen;
  std::vector<std::pair<Node<T>*, std::size_t>> stack;
  stack.emplace_back(root.grad_fn().get(), 0);
  seen.insert(root.grad_fn().get());
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs().size()) {
      Node<T>* child = node->inputs()[next++].node.get();
      if (child && seen.insert(child).second) stack.emplace_back(child, 0);
      continue;
    }
    post.push_back(node);
    stack.pop_back();
  }

  // Leaves with grad-ready hooks (autograd/hooks.hpp): the number of edges into each. Its hooks run
  // once the last of them has been followed (or passed over: a node no gradient reached).
  std::unordered_map<const TensorImpl<T>*, int> hook_edges;
  for (const Node<T>* node : post)
    for (const Edge<T>& e : node->inputs())
      if (e.leaf && !e.leaf->grad_ready_hooks.empty()) ++hook_edges[e.leaf.get()];
  auto followed = [&](const Node<T>* node) {
    if (hook_edges.empty()) return;
    for (const Edge<T>& e : node->inputs()) {
      if (!e.leaf) continue;
      const auto it = hook_edges.find(e.leaf.get());
      if (it != hook_edges.end() && --it->second == 0) detail::run_grad_ready_hooks(e.leaf);
    }
  };

  // 2-4. Propagate. pending[node][i] is the gradient of the node's output i.
  std::unordered_map<const Node<T>*, std::vector<detail::Pending<T>>> pending;
  auto pending_of = [&](const Node<T>* node) -> std::vector<detail::Pending<T>>& {
    auto& slots = pending[node];
    if (slots.empty()) slots.resize(static_cast<std::size_t>(node->num_outputs()));
    return slots;
  };
  pending_of(root.grad_fn().get())[static_cast<std::size_t>(root.impl()->output_nr)].add(seed);
  for (auto it = post.rbegin(); it != post.rend(); ++it) {
    Node<T>* node = *it;
    auto found = pending.find(node);
    if (found == pending.end()) {  // no gradient reached this node
      followed(node);
      continue;
    }
    std::vector<Tensor<T>> grads;
    grads.reserve(found->second.size());
    for (auto& p : found->second) grads.push_back(std::move(p.grad));
    pending.erase(found);

    for (int i = 0; i < node->num_outputs(); ++i)
      if (auto out = node->output(i); out && out->retains_grad && grads[static_cast<std::size_t>(i)].defined())
        detail::accumulate_grad(*out, grads[static_cast<std::size_t>(i)]);
    if (const auto& region = node->region(); region && node->inputs().size() == 1 && node->num_outputs() == 1) {
      node->check_not_released();  // a view of part of its input: add g into that part directly
      const Tensor<T>& g = grads[0];
      const Edge<T>& e = node->inputs()[0];
      if (e.node) {
        pending_of(e.node.get())[static_cast<std::size_t>(e.output_nr)].add_region(g, e.shape, *region);
      } else if (e.leaf) {
        if (!e.leaf->grad) e.leaf->grad = detail::zeros_like_on(e.shape, g).impl_ptr();
        const Tensor<T> acc(e.leaf->grad);
        kernels::add_strided(g.device(), acc.data() + region->offset, region->strides.data(), g.data(),
                             g.strides().data(), g.shape().data(), g.dim());
      }
      if (!retain_graph) node->release();
      followed(node);
      continue;
    }
    std::vector<Tensor<T>> in_grads = node->apply(grads);
    if (AnomalyMode::is_enabled()) detail::check_input_grads(node->name(), node->output_shapes(), in_grads);
    const auto& inputs = node->inputs();
    TINYLM_CHECK(in_grads.size() == inputs.size(), "backward: '", node->name(), "' returned ", in_grads.size(),
                 " gradients for ", inputs.size(), " inputs");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const Edge<T>& e = inputs[i];
      if (!e.defined() || !in_grads[i].defined()) continue;
      TINYLM_CHECK(in_grads[i].shape() == e.shape, "backward: '", node->name(), "' returned a gradient of shape ",
                   in_grads[i].shape(), " for input ", i, " of shape ", e.shape);
      if (e.node) pending_of(e.node.get())[static_cast<std::size_t>(e.output_nr)].add(std::move(in_grads[i]));
      else detail::accumulate_grad(*e.leaf, std::move(in_grads[i]));
    }
    if (!retain_graph) node->release();
    followed(node);
  }
}

}  // namespace tinylm::autograd

namespace tinylm {

/// The body of Tensor::backward (see core/tensor.hpp).
template <class T>
struct methods::autograd_engine_hpp<Tensor<T>> {
  static void backward(const Tensor<T>& root, const Tensor<T>& grad_output, bool retain_graph) {
    if constexpr (FloatElement<T>) {
      autograd::backward(root, grad_output, retain_graph);
    } else {
      throw Error(detail::str_cat("backward: ", dtype_name<T>(), " tensors carry no gradients"));
    }
  }
};

}  // namespace tinylm

#if defined(TINYLM_SEPARATE_COMPILATION)  // the float instantiations tinylm_compiled holds (core/config.hpp)
namespace tinylm::autograd {
TINYLM_EXTERN_TEMPLATE void backward(const Tensor<float>&, const Tensor<float>&, bool);
}  // namespace tinylm::autograd
#endif
