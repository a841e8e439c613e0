#pragma once
// tinylm: one include for the whole library.
//
//   #include <tinylm/tinylm.hpp>
//
// Layers, each including only those above it: core -> kernels -> autograd
// -> ops -> nn -> optim -> dist -> data -> lm -> io. (dist/mpi.hpp comes
// with a build that has TINYLM_MPI on.) The README's "Layout" table says
// what each folder holds; docs/ has the guides.

#include "tinylm/core/allocator.hpp"
#include "tinylm/core/atomic_file.hpp"
#include "tinylm/core/bf16.hpp"
#include "tinylm/core/device.hpp"
#include "tinylm/core/dtype.hpp"
#include "tinylm/core/error.hpp"
#include "tinylm/core/mapped_file.hpp"
#include "tinylm/core/precision.hpp"
#include "tinylm/core/print.hpp"
#include "tinylm/core/rng.hpp"
#include "tinylm/core/shape.hpp"
#include "tinylm/core/storage.hpp"
#include "tinylm/core/tensor.hpp"

#include "tinylm/kernels/cpu/features.hpp"
#include "tinylm/kernels/cpu/parallel.hpp"

#include "tinylm/autograd/anomaly.hpp"
#include "tinylm/autograd/dot.hpp"
#include "tinylm/autograd/engine.hpp"
#include "tinylm/autograd/function.hpp"
#include "tinylm/autograd/grad_mode.hpp"
#include "tinylm/autograd/gradcheck.hpp"
#include "tinylm/autograd/hooks.hpp"
#include "tinylm/autograd/node.hpp"

#include "tinylm/ops/arithmetic.hpp"
#include "tinylm/ops/attention.hpp"
#include "tinylm/ops/bf16_weights.hpp"
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
#include "tinylm/nn/bert.hpp"
#include "tinylm/nn/bf16_copy.hpp"
#include "tinylm/nn/bf16_weights.hpp"
#include "tinylm/nn/block.hpp"
#include "tinylm/nn/dropout.hpp"
#include "tinylm/nn/embedding.hpp"
#include "tinylm/nn/gpt.hpp"
#include "tinylm/nn/init.hpp"
#include "tinylm/nn/layer_norm.hpp"
#include "tinylm/nn/linear.hpp"
#include "tinylm/nn/lora.hpp"
#include "tinylm/nn/lstm.hpp"
#include "tinylm/nn/mlp.hpp"
#include "tinylm/nn/module.hpp"
#include "tinylm/nn/multi_head_attention.hpp"
#include "tinylm/nn/seq2seq.hpp"
#include "tinylm/nn/transformer.hpp"

#include "tinylm/optim/adam.hpp"
#include "tinylm/optim/optimizer.hpp"
#include "tinylm/optim/schedule.hpp"
#include "tinylm/optim/sgd.hpp"

#include "tinylm/dist/communicator.hpp"
#include "tinylm/dist/ddp.hpp"
#if defined(TINYLM_MPI)
#include "tinylm/dist/mpi.hpp"
#endif

#include "tinylm/data/batch.hpp"
#include "tinylm/data/bpe.hpp"
#include "tinylm/data/bpe_files.hpp"
#include "tinylm/data/bpe_train.hpp"
#include "tinylm/data/char_tokenizer.hpp"
#include "tinylm/data/mlm.hpp"
#include "tinylm/data/parallel_corpus.hpp"
#include "tinylm/data/pretokenizer.hpp"
#include "tinylm/data/shard.hpp"
#include "tinylm/data/synthetic.hpp"
#include "tinylm/data/text.hpp"
#include "tinylm/data/word_tokenizer.hpp"

#include "tinylm/lm/arpa.hpp"
#include "tinylm/lm/assistant_corpus.hpp"
#include "tinylm/lm/batcher.hpp"
#include "tinylm/lm/beam_search.hpp"
#include "tinylm/lm/bleu.hpp"
#include "tinylm/lm/chat.hpp"
#include "tinylm/lm/chat_session.hpp"
#include "tinylm/lm/generate.hpp"
#include "tinylm/lm/lm_eval.hpp"
#include "tinylm/lm/ngram.hpp"
#include "tinylm/lm/sampling.hpp"
#include "tinylm/lm/sft.hpp"
#include "tinylm/lm/stream_decoder.hpp"

#include "tinylm/io/checkpoint.hpp"
#include "tinylm/io/hf.hpp"
#include "tinylm/io/json.hpp"
#include "tinylm/io/peft.hpp"
#include "tinylm/io/plot.hpp"
#include "tinylm/io/safetensors.hpp"
#include "tinylm/io/transformer.hpp"

#if defined(TINYLM_SEPARATE_COMPILATION)
// The classes whose float instantiations tinylm_compiled holds
// (core/config.hpp). Listed here, after every header, because an explicit
// instantiation defines only the members defined before it, and some of
// Tensor's are defined in the ops headers. A program that includes single
// headers instead of this one compiles these classes' members itself.
namespace tinylm {
TINYLM_EXTERN_TEMPLATE class Tensor<float>;
TINYLM_EXTERN_TEMPLATE class nn::Module<float>;
TINYLM_EXTERN_TEMPLATE class nn::Linear<float>;
TINYLM_EXTERN_TEMPLATE class nn::Embedding<float>;
TINYLM_EXTERN_TEMPLATE class nn::LayerNorm<float>;
TINYLM_EXTERN_TEMPLATE class nn::MLP<float>;
TINYLM_EXTERN_TEMPLATE class nn::CausalSelfAttention<float>;
TINYLM_EXTERN_TEMPLATE class nn::Block<float>;
TINYLM_EXTERN_TEMPLATE class nn::GPT<float>;
TINYLM_EXTERN_TEMPLATE class optim::Optimizer<float>;
TINYLM_EXTERN_TEMPLATE class optim::SGD<float>;
TINYLM_EXTERN_TEMPLATE class optim::Adam<float>;
TINYLM_EXTERN_TEMPLATE class optim::AdamW<float>;
TINYLM_EXTERN_TEMPLATE class dist::ShardedAdamW<float>;
TINYLM_EXTERN_TEMPLATE class dist::DataParallel<float>;
}  // namespace tinylm
#endif
