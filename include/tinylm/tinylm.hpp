#pragma once
// tinylm: one include for the whole library.
//
//   #include <tinylm/tinylm.hpp>
//
// Layers, each including only those above it: core -> kernels -> autograd
// -> ops -> nn -> optim -> data -> lm -> io. The README's "Layout" table says
// what each folder holds; docs/ has the guides.

#include "tinylm/core/allocator.hpp"
#include "tinylm/core/atomic_file.hpp"
#include "tinylm/core/device.hpp"
#include "tinylm/core/dtype.hpp"
#include "tinylm/core/error.hpp"
#include "tinylm/core/print.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/core/shape.hpp"
#include "tinylm/core/storage.hpp"
#include "tinylm/core/tensor.hpp"

#include "tinylm/kernels/cpu/parallel.hpp"

#include "tinylm/autograd/dot.hpp"
#include "tinylm/autograd/engine.hpp"
#include "tinylm/autograd/function.hpp"
#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/autograd/gradcheck.hpp"
#include "tinylm/autograd/node.hpp"

#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/attention.hpp"
#include "tinylm/ops/clamp.hpp"
#include "tinylm/ops/compare.hpp"
#include "tinylm/ops/copy.hpp"
#include "tinylm/ops/cross_entropy.hpp"
#include "tinylm/ops/dropout.hpp"
#include "tinylm/ops/embedding.hpp"
#include "tinylm/ops/gather.hpp"
#include "tinylm/ops/gelu.hpp"
#include "tinylm/ops/join.hpp"
#include "tinylm/ops/layer_norm.hpp"
#include "tinylm/ops/linear.hpp"
#include "tinylm/ops/lstm_cell.hpp"
#include "tinylm/ops/matmul.hpp"
#include "tinylm/ops/reduce.hpp"
#include "tinylm/ops/scatter.hpp"
#include "tinylm/ops/softmax.hpp"
#include "tinylm/ops/sort.hpp"
#include "tinylm/ops/statistics.hpp"
#include "tinylm/ops/unary.hpp"
#include "tinylm/ops/view.hpp"

#include "tinylm/nn/attention.hpp"
#include "tinylm/nn/block.hpp"
#include "tinylm/nn/dropout.hpp"
#include "tinylm/nn/embedding.hpp"
#include "tinylm/nn/gpt.hpp"
#include "tinylm/nn/init.hpp"
#include "tinylm/nn/layer_norm.hpp"
#include "tinylm/nn/linear.hpp"
#include "tinylm/nn/lstm.hpp"
#include "tinylm/nn/mlp.hpp"
#include "tinylm/nn/module.hpp"
#include "tinylm/nn/multi_head_attention.hpp"

#include "tinylm/optim/adam.hpp"
#include "tinylm/optim/optimizer.hpp"
#include "tinylm/optim/schedule.hpp"
#include "tinylm/optim/sgd.hpp"

#include "tinylm/data/batch.hpp"
#include "tinylm/data/bpe.hpp"
#include "tinylm/data/bpe_files.hpp"
#include "tinylm/data/char_tokenizer.hpp"
#include "tinylm/data/shard.hpp"
#include "tinylm/data/synthetic.hpp"
#include "tinylm/data/text.hpp"
#include "tinylm/data/word_tokenizer.hpp"

#include "tinylm/lm/arpa.hpp"
#include "tinylm/lm/generate.hpp"
#include "tinylm/lm/lm_eval.hpp"
#include "tinylm/lm/ngram.hpp"
#include "tinylm/lm/sampling.hpp"

#include "tinylm/io/checkpoint.hpp"
#include "tinylm/io/json.hpp"
#include "tinylm/io/plot.hpp"
#include "tinylm/io/safetensors.hpp"
