#pragma once
// to_dot(): the recorded graph behind a tensor, as Graphviz DOT.
//
// Ops are boxes labelled with their name and output shapes; leaves are
// ellipses, green for named parameters (pass a model's state_dict() to name
// them) and grey for other inputs. Edges follow the data, from inputs to the
// op that read them. Render with `dot -Tsvg graph.dot -o graph.svg`.

#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tinylm/autograd/node.hpp"

namespace tinylm::autograd {

/// DOT text of the graph that produced `root`; `named` maps tensors
/// (e.g. a module's state_dict()) to the names shown on their leaves.
template <FloatElement T>
std::string to_dot(const Tensor<T>& root, const std::vector<std::pair<std::string, Tensor<T>>>& named = {}) {
  TINYLM_CHECK(root.defined(), "to_dot: undefined tensor");
  std::unordered_map<const void*, std::string> names;
  for (const auto& [name, t] : named) names[t.impl()] = name;
  std::unordered_map<const void*, std::string> ids;  // node or leaf -> DOT id
  auto id_of = [&](const void* key, const char* prefix) {
    auto it = ids.find(key);
    if (it != ids.end()) return std::pair{it->second, false};
    const std::string id = prefix + std::to_string(ids.size());
    ids[key] = id;
    return std::pair{id, true};
  };
  std::ostringstream out;
  out << "digraph tinylm {\n  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10, style=filled];\n";
  auto leaf = [&](const TensorImpl<T>* impl) {
    auto [id, fresh] = id_of(impl, "leaf");
    if (fresh) {
      auto n = names.find(impl);
      const bool param = n != names.end();
      out << "  " << id << " [shape=ellipse, fillcolor=\"" << (param ? "#d9f0d3" : "#e0e0e0") << "\", label=\""
          << (param ? n->second : std::string("input")) << "\\n"
          << impl->shape << "\"];\n";
    }
    return id;
  };
  if (!root.grad_fn()) leaf(root.impl());
  std::vector<Node<T>*> stack;
  std::unordered_set<const Node<T>*> visited;
  if (root.grad_fn()) stack.push_back(root.grad_fn().get());
  while (!stack.empty()) {
    Node<T>* node = stack.back();
    stack.pop_back();
    if (!visited.insert(node).second) continue;
    const std::string id = id_of(node, "op").first;
    const bool is_root = node == root.grad_fn().get();
    out << "  " << id << " [shape=box, fillcolor=\"" << (is_root ? "#fdd49e" : "#dbe9f6") << "\", label=\""
        << node->name() << "\\n";
    for (int i = 0; i < node->num_outputs(); ++i) out << (i ? ", " : "") << node->output_shape(i);
    out << "\"];\n";
    for (const Edge<T>& e : node->inputs()) {
      if (e.node) {
        out << "  " << id_of(e.node.get(), "op").first << " -> " << id << ";\n";
        stack.push_back(e.node.get());
      } else if (e.leaf) {
        const std::string from = leaf(e.leaf.get());  // declares the leaf on first sight
        out << "  " << from << " -> " << id << ";\n";
      }
    }
  }
  out << "}\n";
  return out.str();
}

}  // namespace tinylm::autograd
