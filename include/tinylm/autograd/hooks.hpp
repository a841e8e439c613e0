#pragma once
// Grad-ready hooks: a callback on a leaf (a parameter) that backward calls
// once every contribution to the leaf's .grad() of that backward is in, in
// the middle of backward, while the ops before it in the graph are still to
// run. What overlaps communication with computation: data-parallel training
// (dist/ddp.hpp) starts the all-reduce of a bucket of gradients as soon as
// its last gradient is ready. (PyTorch calls these post-accumulate-grad
// hooks.)
//
// A leaf that no gradient reached in a backward still gets its hooks called
// (its .grad() is then what it was before), so a hook can count on being
// called once per backward for every leaf the graph reaches.

#include <atomic>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "tinylm/core/tensor.hpp"

namespace tinylm::autograd {

namespace detail {
inline int64_t next_hook_id() {
  static std::atomic<int64_t> id{0};
  return ++id;
}
}  // namespace detail

/// Calls hook(leaf) whenever a backward has finished accumulating into
/// `leaf`'s gradient; returns an id for remove_grad_ready_hook. The hook gets
/// the leaf as its argument: a hook that captured the leaf itself would keep
/// it alive forever (the leaf holds its hooks).
template <class T>
int64_t add_grad_ready_hook(const Tensor<T>& leaf, std::type_identity_t<std::function<void(const Tensor<T>&)>> hook) {
  TINYLM_CHECK(leaf.defined() && leaf.is_leaf() && leaf.requires_grad(),
               "add_grad_ready_hook: the tensor must be a leaf that requires grad");
  const int64_t id = detail::next_hook_id();
  leaf.impl_ptr()->grad_ready_hooks.emplace_back(id, std::move(hook));
  return id;
}

/// Removes the hook `id` from `leaf` (nothing if it has no such hook).
template <class T>
void remove_grad_ready_hook(const Tensor<T>& leaf, int64_t id) {
  auto& hooks = leaf.impl_ptr()->grad_ready_hooks;
  std::erase_if(hooks, [id](const auto& h) { return h.first == id; });
}

}  // namespace tinylm::autograd
