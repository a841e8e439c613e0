#pragma once
// tinylm: one include for the whole library.
//
//   #include <tinylm/tinylm.hpp>
//
// Layers, each including only those above it: core -> kernels -> autograd
// -> ops -> nn -> optim -> data -> lm -> io. See docs/ and DESIGN.md.

#include "tinylm/core/allocator.hpp"
#include "tinylm/core/device.hpp"
#include "tinylm/core/dtype.hpp"
#include "tinylm/core/error.hpp"
#include "tinylm/core/print.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/core/shape.hpp"
#include "tinylm/core/storage.hpp"
#include "tinylm/core/tensor.hpp"

#include "tinylm/kernels/cpu/parallel.hpp"

#include "tinylm/autograd/engine.hpp"
#include "tinylm/autograd/function.hpp"
#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/autograd/gradcheck.hpp"
#include "tinylm/autograd/node.hpp"

#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/compare.hpp"
#include "tinylm/ops/copy.hpp"
#include "tinylm/ops/cross_entropy.hpp"
#include "tinylm/ops/dropout.hpp"
#include "tinylm/ops/embedding.hpp"
#include "tinylm/ops/gather.hpp"
#include "tinylm/ops/gelu.hpp"
#include "tinylm/ops/join.hpp"
#include "tinylm/ops/layer_norm.hpp"
#include "tinylm/ops/matmul.hpp"
#include "tinylm/ops/reduce.hpp"
#include "tinylm/ops/softmax.hpp"
#include "tinylm/ops/unary.hpp"
#include "tinylm/ops/view.hpp"
