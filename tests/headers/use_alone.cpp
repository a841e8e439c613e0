// Each public header, included alone, is enough to use what it offers.
//
// CMake builds this file once per header under include/tinylm/ into its own
// program, with TINYLM_HEADER naming the header and TINYLM_USE_<header id>
// choosing the block below that calls the header's main functions. A header
// that relies on a definition it does not include (a Tensor method whose
// body lives in another header, a kernel, a helper) fails to compile or to
// link here. A new header without a block stops the build at the #error.

#include TINYLM_HEADER

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace {

#if defined(TINYLM_USE_tinylm_autograd_function_hpp)
struct Twice : tinylm::autograd::Function<Twice> {
  static constexpr const char* name = "twice";
  static tinylm::Tensor<double> forward(tinylm::autograd::Context<double>& ctx, const tinylm::Tensor<double>& x) {
    ctx.values["k"] = 2;
    return x.detach();
  }
  static std::vector<tinylm::Tensor<double>> backward(tinylm::autograd::Context<double>&,
                                                      const tinylm::Tensor<double>& g) {
    return {g};
  }
};
#endif

#if defined(TINYLM_USE_tinylm_lm_chat_hpp) || defined(TINYLM_USE_tinylm_lm_chat_session_hpp)
struct Bytes {  // a tokenizer of byte ids 0..255, the chat template's tokens after them
  int32_t special_id(std::string_view t) const {
    const auto all = tinylm::lm::ChatTokens{}.all();
    for (std::size_t i = 0; i < all.size(); ++i)
      if (all[i] == t) return static_cast<int32_t>(256 + i);
    return -1;
  }
  std::vector<int32_t> encode(std::string_view t) const { return {t.begin(), t.end()}; }
  std::string decode(const std::vector<int32_t>& ids) const { return {ids.begin(), ids.end()}; }
};
#endif

[[maybe_unused]] std::string temp_path(const char* name) { return std::string("/tmp/tinylm_use_alone_") + name; }

void use() {
#if defined(TINYLM_USE_tinylm_tinylm_hpp)
  tinylm::nn::GPT<float> model({16, 8, 1, 2, 8, 0.0}, 1);
  auto x = tinylm::Tensor<int32_t>::zeros({1, 8});
  model.forward(x, x).loss.backward();

  // ---- core ---------------------------------------------------------------
#elif defined(TINYLM_USE_tinylm_core_allocator_hpp)
  auto& a = tinylm::CachingAllocator::instance();
  void* p = a.allocate(100);
  a.deallocate(p, 100);
  (void)a.stats().bytes_in_use;
  (void)tinylm::CachingAllocator::size_class(5000);
#elif defined(TINYLM_USE_tinylm_core_atomic_file_hpp)
  tinylm::write_file_atomic(temp_path("atomic"), {"a", "b"});
  std::remove(temp_path("atomic").c_str());
#elif defined(TINYLM_USE_tinylm_core_mapped_file_hpp)
  if (std::FILE* f = std::fopen(temp_path("mapped").c_str(), "w")) {
    std::fputs("abc", f);
    std::fclose(f);
  }
  const auto m = tinylm::MappedFile::open(temp_path("mapped"));
  (void)(m.data()[0] + m.size());
  std::remove(temp_path("mapped").c_str());
#elif defined(TINYLM_USE_tinylm_core_device_hpp)
  (void)tinylm::Device::parse("cpu").str();
  tinylm::check_device_supported(tinylm::Device::cpu(), "use");
#elif defined(TINYLM_USE_tinylm_core_precision_hpp)
  tinylm::MatmulPrecisionGuard guard(tinylm::parse_matmul_precision("bf16"));
  std::printf("%s %d\n", tinylm::matmul_precision_name(tinylm::matmul_precision()),
              tinylm::matmul_precision_supported(tinylm::Device::cpu(), tinylm::MatmulPrecision::tf32));
#elif defined(TINYLM_USE_tinylm_core_bf16_hpp)
  const float x[2] = {1.5f, -3.0f};
  tinylm::bf16 b[2];
  float back[2];
  tinylm::to_bf16(x, b, 2);
  tinylm::to_float(b, back, 2);
  std::printf("%g %d\n", back[0] + tinylm::bf16::from_float(2.0f).to_float(), b[1] == tinylm::bf16::from_bits(0xc040));
#elif defined(TINYLM_USE_tinylm_kernels_cpu_features_hpp)
  tinylm::CpuFeatureMaskGuard guard(~0u);
  std::printf("%s %s\n", tinylm::detected_cpu_features().str().c_str(),
              tinylm::cpu_features().has(tinylm::CpuFeature::avx512_bf16) ? "bf16" : "-");
#elif defined(TINYLM_USE_tinylm_core_dtype_hpp)
  (void)tinylm::dtype_name<float>();
#elif defined(TINYLM_USE_tinylm_core_error_hpp)
  try {
    TINYLM_CHECK(false, "x is ", 3);
  } catch (const tinylm::Error&) {}
#elif defined(TINYLM_USE_tinylm_core_print_hpp)
  (void)tinylm::to_string(tinylm::Tensor<float>::ones({2, 2}));
#elif defined(TINYLM_USE_tinylm_core_config_hpp)
#define TINYLM_USE_STR2(x) #x
#define TINYLM_USE_STR(x) TINYLM_USE_STR2(x)
#if defined(TINYLM_SEPARATE_COMPILATION)
  static_assert(sizeof(TINYLM_USE_STR(TINYLM_DECL)) == 1, "TINYLM_DECL: nothing when the library is compiled");
#else
  static_assert(sizeof(TINYLM_USE_STR(TINYLM_DECL)) == sizeof("inline"), "TINYLM_DECL: inline, header-only");
#endif
#elif defined(TINYLM_USE_tinylm_core_checked_hpp)
  const int64_t dims[] = {2, 3};
  (void)(tinylm::checked_mul<int64_t>(2, 3, "use") + tinylm::checked_add<int64_t>(2, 3, "use") +
         tinylm::checked_cast<int32_t>(int64_t{5}, "use") + tinylm::checked_numel(dims, "use") +
         tinylm::parse_int("7", "use"));
  (void)tinylm::parse_number("1.5", "use");
#elif defined(TINYLM_USE_tinylm_core_rng_hpp)
  tinylm::Generator g(1);
  (void)(g.uniform() + g.normal());
  tinylm::manual_seed(2);
#elif defined(TINYLM_USE_tinylm_core_shape_hpp)
  (void)tinylm::broadcast_shapes(tinylm::Shape{2, 1}, tinylm::Shape{3}, "use");
  (void)tinylm::contiguous_strides(tinylm::Shape{2, 3});
#elif defined(TINYLM_USE_tinylm_core_storage_hpp)
  tinylm::Storage<float> s(10);
  s.data()[0] = 1;
#elif defined(TINYLM_USE_tinylm_core_tensor_hpp)
  auto t = tinylm::Tensor<float>::randn({2, 3});
  t.at({1, 2}) = 4;
  (void)t.to_vector();
  (void)tinylm::Tensor<int64_t>::arange(5).numel();
#elif defined(TINYLM_USE_tinylm_core_utf8_hpp)
  std::string s;
  tinylm::utf8_append(s, U'\u00e9');

  // ---- kernels ------------------------------------------------------------
#elif defined(TINYLM_USE_tinylm_kernels_types_hpp)
  tinylm::kernels::GemmArgs<float> g{.M = 1, .N = 1, .K = 1};
  (void)g;
#elif defined(TINYLM_USE_tinylm_kernels_dispatch_hpp)
  tinylm::kernels::require_cpu(tinylm::Device::cpu(), "use");
#elif defined(TINYLM_USE_tinylm_kernels_copy_hpp)
  auto t = tinylm::Tensor<float>::ones({2, 3});
  auto d = tinylm::kernels::dense_copy(t.alias({3, 2}, {1, 3}, 0));
  (void)tinylm::kernels::contiguous_data(d);
#elif defined(TINYLM_USE_tinylm_kernels_elementwise_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_elementwise_hpp)
  std::vector<float> a(8, 1), b(8, 2), c(8);
  const int64_t shape[1] = {8}, unit[1] = {1};
#if defined(TINYLM_USE_tinylm_kernels_elementwise_hpp)
  namespace k = tinylm::kernels;
  const tinylm::Device dev = tinylm::Device::cpu();
  k::map2(dev, c.data(), a.data(), b.data(), 8, [](float x, float y) { return x + y; });
  k::copy_strided(dev, c.data(), unit, a.data(), unit, shape, 1);
#else
  namespace k = tinylm::kernels::cpu;
  k::map2(c.data(), a.data(), b.data(), 8, [](float x, float y) { return x + y; });
  k::add_strided(c.data(), unit, a.data(), unit, shape, 1);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_cpu_gemm_bf16_hpp)
  std::vector<float> a(16 * 8, 1), b(16 * 32, 1), c(8 * 32, 0);
#ifdef TINYLM_HAS_BF16_GEMM
  if (tinylm::cpu_features().has(tinylm::CpuFeature::avx512_bf16))
    tinylm::kernels::cpu::detail::gemm_bf16_serial(c.data(), a.data(), b.data(), 8, 32, 16, false, false, 16, 32, 32,
                                                   1.0f);
#endif
  std::printf("%g\n", c[0]);
#elif defined(TINYLM_USE_tinylm_kernels_cpu_gemm_amx_hpp)
  std::vector<float> a(40 * 35, 1), b(40 * 33, 1), c(35 * 33, 0);
#ifdef TINYLM_HAS_AMX_GEMM
  if (tinylm::cpu_features().has(tinylm::CpuFeature::amx_bf16))
    tinylm::kernels::cpu::detail::gemm_amx_serial(c.data(), a.data(), b.data(), 35, 33, 40, false, false, 40, 33, 33,
                                                  1.0f);
#endif
  std::printf("%g\n", c[0]);
#elif defined(TINYLM_USE_tinylm_kernels_cpu_gemm_avx2_hpp)
  std::vector<float> a(7 * 16, 1), b(16 * 20, 1), c(7 * 20, 0);
#ifdef TINYLM_HAS_AVX2_GEMM
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    tinylm::kernels::cpu::detail::gemm_avx2_serial(c.data(), a.data(), b.data(), 7, 20, 16, false, false, 16, 20, 20,
                                                   1.0f);
#endif
  std::printf("%g\n", c[0]);
#elif defined(TINYLM_USE_tinylm_kernels_cpu_gemm_avx512_hpp)
  std::vector<float> a(13 * 16, 1), b(16 * 40, 1), c(13 * 40, 0);
#ifdef TINYLM_HAS_AVX512_GEMM
  if (__builtin_cpu_supports("avx512f"))
    tinylm::kernels::cpu::detail::gemm_avx512_serial(c.data(), a.data(), b.data(), 13, 40, 16, false, false, 16, 40, 40,
                                                     1.0f);
#endif
  std::printf("%g\n", c[0]);
#elif defined(TINYLM_USE_tinylm_kernels_gemm_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_gemm_hpp)
  std::vector<float> a(6, 1), b(6, 1), c(4);
  const tinylm::kernels::GemmArgs<float> g{
      .M = 2, .N = 2, .K = 3, .a = {a.data(), 3}, .b = {b.data(), 2}, .c = c.data(), .ldc = 2};
#if defined(TINYLM_USE_tinylm_kernels_gemm_hpp)
  tinylm::kernels::gemm(tinylm::Device::cpu(), g);
#else
  tinylm::kernels::cpu::gemm(g);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_reduce_hpp)
  std::vector<float> x(6, 1), out(2);
  std::vector<int64_t> arg(2);
  tinylm::kernels::sum_axis(tinylm::Device::cpu(), out.data(), x.data(), 2, 3, 1);
  tinylm::kernels::max_axis(tinylm::Device::cpu(), out.data(), arg.data(), x.data(), 2, 3, 1);
  (void)tinylm::kernels::sum_squares(tinylm::Device::cpu(), x.data(), 6);
#elif defined(TINYLM_USE_tinylm_kernels_cpu_reduce_hpp)
  std::vector<float> x(6, 1), out(2), dx(6);
  std::vector<int64_t> arg(2);
  tinylm::kernels::cpu::max_axis(out.data(), arg.data(), x.data(), 2, 3, 1);
  tinylm::kernels::cpu::max_axis_backward(dx.data(), out.data(), arg.data(), 2, 3, 1);
#elif defined(TINYLM_USE_tinylm_kernels_softmax_hpp)
  std::vector<float> x(6, 1), y(6), dx(6);
  tinylm::kernels::softmax_forward(tinylm::Device::cpu(), y.data(), x.data(), 2, 3, 1, false);
  tinylm::kernels::softmax_backward(tinylm::Device::cpu(), dx.data(), x.data(), y.data(), 2, 3, 1, false);
#elif defined(TINYLM_USE_tinylm_kernels_cpu_softmax_hpp)
  std::vector<float> x(6, 1), y(6);
  tinylm::kernels::cpu::softmax_forward(y.data(), x.data(), 2, 3, 1, true);
#elif defined(TINYLM_USE_tinylm_kernels_layernorm_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_layernorm_hpp)
  std::vector<float> x(6, 1), y(6), mean(2), rstd(2);
#if defined(TINYLM_USE_tinylm_kernels_layernorm_hpp)
  tinylm::kernels::layernorm_forward(tinylm::Device::cpu(), y.data(), mean.data(), rstd.data(), x.data(),
                                     static_cast<const float*>(nullptr), static_cast<const float*>(nullptr), 2, 3,
                                     1e-5f);
#else
  tinylm::kernels::cpu::layernorm_forward(y.data(), mean.data(), rstd.data(), x.data(),
                                          static_cast<const float*>(nullptr), static_cast<const float*>(nullptr), 2, 3,
                                          1e-5f);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_cross_entropy_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_cross_entropy_hpp)
  std::vector<float> x(6, 1), loss(2), lse(2), dx(6);
  std::vector<int32_t> t{0, 2};
#if defined(TINYLM_USE_tinylm_kernels_cross_entropy_hpp)
  const tinylm::Device dev = tinylm::Device::cpu();
  (void)tinylm::kernels::cross_entropy_forward(dev, loss.data(), lse.data(), x.data(), t.data(), 2, 3, -100);
  tinylm::kernels::cross_entropy_backward(dev, dx.data(), x.data(), lse.data(), t.data(), 2, 3, -100, 0.5f);
#else
  (void)tinylm::kernels::cpu::cross_entropy_forward(loss.data(), lse.data(), x.data(), t.data(), 2, 3, -100);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_attention_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_attention_hpp)
  std::vector<float> q(8, 1), o(8), lse(4);
  const tinylm::kernels::AttentionShape shape{1, 1, 4, 4, 2, true};
  const tinylm::kernels::HeadLayout<const float*> in{q.data(), 8, 8, 2};
  const tinylm::kernels::HeadLayout<float*> out{o.data(), 8, 8, 2};
#if defined(TINYLM_USE_tinylm_kernels_attention_hpp)
  tinylm::kernels::attention_forward(tinylm::Device::cpu(), out, lse.data(), in, in, in, shape, 0.5f);
#else
  tinylm::kernels::cpu::attention_forward(out, lse.data(), in, in, in, shape, 0.5f);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_embedding_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_embedding_hpp)
  std::vector<float> w(6, 1), out(4);
  std::vector<int32_t> idx{2, 0};
#if defined(TINYLM_USE_tinylm_kernels_embedding_hpp)
  tinylm::kernels::embedding_forward(tinylm::Device::cpu(), out.data(), w.data(), idx.data(), 2, 2);
  tinylm::kernels::embedding_backward(tinylm::Device::cpu(), w.data(), out.data(), idx.data(), 2, 2);
#else
  tinylm::kernels::cpu::embedding_forward(out.data(), w.data(), idx.data(), 2, 2);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_activation_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_activation_hpp)
  std::vector<float> x(4, 1), y(4);
#if defined(TINYLM_USE_tinylm_kernels_activation_hpp)
  tinylm::kernels::gelu_tanh_forward(tinylm::Device::cpu(), y.data(), x.data(), 4);
  tinylm::kernels::gelu_erf_backward(tinylm::Device::cpu(), y.data(), x.data(), x.data(), 4);
#else
  tinylm::kernels::cpu::gelu_erf_forward(y.data(), x.data(), 4);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_optim_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_optim_hpp)
  std::vector<float> p(4, 1), g(4, 1), m(4), v(4);
#if defined(TINYLM_USE_tinylm_kernels_optim_hpp)
  tinylm::kernels::adam_update(tinylm::Device::cpu(), p.data(), g.data(), m.data(), v.data(), 4, 1e-3, 0.9, 0.999, 1e-8,
                               0.1, true, 1);
  tinylm::kernels::sgd_update(tinylm::Device::cpu(), p.data(), g.data(), m.data(), 4, 0.1, 0.9, 0.0, false);
#else
  tinylm::kernels::cpu::sgd_update(p.data(), g.data(), static_cast<float*>(nullptr), 4, 0.1, 0.0, 0.0, false);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_gather_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_gather_hpp)
  std::vector<float> x(6, 1), out(2), dx(6);
  std::vector<int64_t> idx{2, 1};
#if defined(TINYLM_USE_tinylm_kernels_gather_hpp)
  tinylm::kernels::gather_forward(tinylm::Device::cpu(), out.data(), x.data(), idx.data(), 2, 3, 1, 1);
  tinylm::kernels::gather_backward(tinylm::Device::cpu(), dx.data(), out.data(), idx.data(), 2, 3, 1, 1);
#else
  tinylm::kernels::cpu::gather_backward(dx.data(), out.data(), idx.data(), 2, 3, 1, 1);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_lstm_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_lstm_hpp)
  std::vector<float> gates(8, 0.5f), cp(2, 1), h(2), c(2), act(8), dg(8), dcp(2);
#if defined(TINYLM_USE_tinylm_kernels_lstm_hpp)
  const tinylm::Device dev = tinylm::Device::cpu();
  tinylm::kernels::lstm_cell_forward(dev, h.data(), c.data(), act.data(), gates.data(), cp.data(), 1, 2);
  tinylm::kernels::lstm_cell_backward(dev, dg.data(), dcp.data(), h.data(), static_cast<const float*>(nullptr),
                                      act.data(), cp.data(), c.data(), 1, 2);
#else
  tinylm::kernels::cpu::lstm_cell_forward(h.data(), c.data(), act.data(), gates.data(), cp.data(), 1, 2);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_mask_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_mask_hpp)
  std::vector<float> x(9, 1), y(9);
  bool m[9];
#if defined(TINYLM_USE_tinylm_kernels_mask_hpp)
  tinylm::kernels::tril(tinylm::Device::cpu(), y.data(), x.data(), 1, 3, 3, 0);
  tinylm::kernels::causal_mask(tinylm::Device::cpu(), m, 3, 3);
#else
  tinylm::kernels::cpu::tril(y.data(), x.data(), 1, 3, 3, 0);
  tinylm::kernels::cpu::causal_mask(m, 3, 3);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_dropout_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_dropout_hpp)
  std::vector<float> mask(8);
  tinylm::Generator gen(1);
#if defined(TINYLM_USE_tinylm_kernels_dropout_hpp)
  tinylm::kernels::dropout_mask(tinylm::Device::cpu(), mask.data(), 8, 0.5, gen);
#else
  tinylm::kernels::cpu::dropout_mask(mask.data(), 8, 0.5, gen);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_index_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_index_hpp)
  std::vector<int32_t> idx{0, 5, -100};
#if defined(TINYLM_USE_tinylm_kernels_index_hpp)
  (void)tinylm::kernels::find_invalid_index(tinylm::Device::cpu(), idx.data(), 3, 4, -100);
#else
  (void)tinylm::kernels::cpu::find_invalid_index(idx.data(), 3, 4);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_sort_hpp) || defined(TINYLM_USE_tinylm_kernels_cpu_sort_hpp)
  std::vector<float> x{3, 1, 2};
  std::vector<int64_t> idx(2);
#if defined(TINYLM_USE_tinylm_kernels_sort_hpp)
  tinylm::kernels::argsort(tinylm::Device::cpu(), idx.data(), x.data(), 1, 3, 1, 2, true);
#else
  tinylm::kernels::cpu::argsort(idx.data(), x.data(), 1, 3, 1, 2, true);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_cpu_lanes_hpp)
  float x[19], y[19];
  for (int i = 0; i < 19; ++i) x[i] = float(i);
  tinylm::kernels::cpu::for_lanes<float>(19, [&](auto lanes, int64_t j) {
    using V = decltype(lanes);
    tinylm::kernels::cpu::store_as(y + j, tinylm::kernels::formula::tanh(tinylm::kernels::cpu::load_as<V>(x + j)));
  });
  std::printf("%g\n", tinylm::kernels::cpu::sum_lanes<float>(19, [&](auto lanes, int64_t j) {
                return tinylm::kernels::cpu::load_as<decltype(lanes)>(y + j);
              }));
#elif defined(TINYLM_USE_tinylm_kernels_cpu_math_hpp)
  float x[16], y[16];
  for (int i = 0; i < 16; ++i) x[i] = float(i);
  for (int i = 0; i < 16; ++i) y[i] = tinylm::kernels::cpu::vexp(x[i]) + tinylm::kernels::cpu::vtanh(x[i]);
  tinylm::kernels::cpu::vsqrt_inplace(y, 16);
#elif defined(TINYLM_USE_tinylm_kernels_philox_hpp)
  const auto b = tinylm::kernels::philox::block(7, 42);
  std::printf("%u %g\n", b.w[0],
              tinylm::kernels::philox::dropout_element(5, 42, tinylm::kernels::philox::dropout_threshold(0.5), 2.0));
#elif defined(TINYLM_USE_tinylm_core_host_device_hpp)
  struct Twice {
    static TINYLM_HD int of(int x) { return 2 * x; }
  };
  std::printf("%d\n", Twice::of(21));
#elif defined(TINYLM_USE_tinylm_core_cuda_runtime_hpp)
  std::printf("%d CUDA devices (%s)\n", tinylm::cuda::device_count(), tinylm::cuda::unavailable_reason().c_str());
  tinylm::cuda::check_device(tinylm::Device::cpu(), "use_alone");
#elif defined(TINYLM_USE_tinylm_core_cuda_allocator_hpp)
#ifdef TINYLM_CUDA
  std::printf("%zu bytes cached\n", tinylm::cuda::CachingAllocator::instance().stats(0).bytes_cached);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_cuda_elementwise_hpp)
#ifdef TINYLM_CUDA  // the declarations link against the kernel library (no device needed)
  std::printf("%d\n", &tinylm::kernels::cuda::fill<float> != nullptr && &tinylm::kernels::cuda::copy_strided<bool>);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_cuda_gemm_hpp)
#ifdef TINYLM_CUDA  // the declarations link against the kernel library (no device needed)
  std::printf("%d\n", &tinylm::kernels::cuda::gemm<float> != nullptr && &tinylm::kernels::cuda::gemm_batched<double>);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_cuda_nn_hpp)
#ifdef TINYLM_CUDA  // the declarations link against the kernel library (no device needed)
  std::printf("%d\n", &tinylm::kernels::cuda::gelu_tanh_forward<float> != nullptr &&
                          &tinylm::kernels::cuda::layernorm_backward<double>);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_cuda_reduce_hpp)
#ifdef TINYLM_CUDA  // the declarations link against the kernel library (no device needed)
  std::printf("%d\n", &tinylm::kernels::cuda::sum_axis<float> != nullptr &&
                          &tinylm::kernels::cuda::find_invalid_index<int32_t>);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_cuda_index_hpp)
#ifdef TINYLM_CUDA  // the declarations link against the kernel library (no device needed)
  std::printf("%d\n",
              &tinylm::kernels::cuda::gather_forward<float, int64_t> != nullptr && &tinylm::kernels::cuda::causal_mask);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_cuda_lm_hpp)
#ifdef TINYLM_CUDA  // the declarations link against the kernel library (no device needed)
  std::printf("%d\n", &tinylm::kernels::cuda::embedding_backward<float, int64_t> != nullptr &&
                          &tinylm::kernels::cuda::cross_entropy_forward<double, int32_t>);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_cuda_attention_hpp)
  std::printf("%lld\n", static_cast<long long>(tinylm::kernels::cuda::kAttentionMaxHeadSize));
#ifdef TINYLM_CUDA  // the declarations link against the kernel library (no device needed)
  std::printf("%d\n", &tinylm::kernels::cuda::attention_backward<float> != nullptr);
#endif
#elif defined(TINYLM_USE_tinylm_kernels_functors_hpp)
  namespace fn = tinylm::kernels::fn;
  std::printf(
      "%g %g %d\n", fn::GradTimes<fn::TanhGrad>{}(2.0, 0.5), double(fn::MulScalar<float>{3.f}(2.f)),
      int(fn::CudaBinary<float, float, float, fn::Add>::value && !fn::CudaBinary<int, int, int, fn::Add>::value &&
          fn::CudaBinary<bool, bool, bool, fn::LogicalAnd>::value));
#elif defined(TINYLM_USE_tinylm_kernels_formulas_hpp)
  namespace f = tinylm::kernels::formula;
  const float g = f::gelu_tanh(1.f) + f::gelu_tanh_grad(1.f) + f::gelu_erf(1.f) + f::gelu_erf_grad(1.f);
  const double ln = f::layernorm_dx(1.0, f::layernorm_xhat(2.0, 1.0, f::layernorm_rstd(1.0, 1e-5)), 1.0, 0.5, 0.5);
  const auto adam = f::AdamStep<float>::make(1e-3, 0.9, 0.95, 1e-8, 0.1, true, 1);
  float p = 1.f, m = 0.f, v = 0.f;
  adam.moments(p, 0.5f, m, v);
  p = adam.param(p, m, v);
  std::printf("%g %g %g %g\n", double(g + f::softmax_shift(f::exp(0.f)) + f::sigmoid(0.f)), ln, double(p),
              f::tanh(0.5));
#elif defined(TINYLM_USE_tinylm_kernels_cpu_parallel_hpp)
  tinylm::set_num_threads(2);
  std::vector<int> hit(1 << 16);
  tinylm::kernels::cpu::parallel_for(int64_t{1} << 16, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) hit[static_cast<std::size_t>(i)] = 1;
  });
  (void)tinylm::num_threads();
#elif defined(TINYLM_USE_tinylm_kernels_cpu_thread_pool_hpp)
  auto& pool = tinylm::kernels::cpu::ThreadPool::instance();
  pool.resize(2);
  auto f = [](int64_t) {};
  pool.run(4, f);

  // ---- autograd -----------------------------------------------------------
#elif defined(TINYLM_USE_tinylm_autograd_grad_mode_hpp)
  {
    tinylm::NoGradGuard guard;
    (void)tinylm::GradMode::is_enabled();
  }
#elif defined(TINYLM_USE_tinylm_autograd_anomaly_hpp)
  tinylm::autograd::detect_anomaly anomaly;
  (void)tinylm::autograd::AnomalyMode::is_enabled();
#elif defined(TINYLM_USE_tinylm_autograd_hooks_hpp)
  auto x = tinylm::Tensor<double>::ones({2});
  x.requires_grad_();
  const int64_t id = tinylm::autograd::add_grad_ready_hook(x, [](const tinylm::Tensor<double>&) {});
  tinylm::autograd::remove_grad_ready_hook(x, id);
#elif defined(TINYLM_USE_tinylm_autograd_node_hpp)
  auto x = tinylm::Tensor<double>::ones({2});
  x.requires_grad_();
  auto y = x.detach();
  if (tinylm::autograd::needs_grad(x))
    tinylm::autograd::record(y, "identity", {x}, [](const tinylm::Tensor<double>& g) { return std::vector{g}; });
  (void)y.grad_fn()->num_outputs();
#elif defined(TINYLM_USE_tinylm_autograd_engine_hpp)
  auto x = tinylm::Tensor<double>::ones({});
  x.requires_grad_();
  x.backward();
  tinylm::autograd::backward(x);
  (void)x.grad().item();
#elif defined(TINYLM_USE_tinylm_autograd_function_hpp)
  auto x = tinylm::Tensor<double>::ones({});
  x.requires_grad_();
  Twice::apply(x).backward();
#elif defined(TINYLM_USE_tinylm_autograd_gradcheck_hpp)
  auto x = tinylm::Tensor<double>::ones({3});
  x.requires_grad_();
  auto identity = [](const std::vector<tinylm::Tensor<double>>& in) {
    auto y = in[0].detach();
    tinylm::autograd::record(y, "identity", {in[0]}, [](const tinylm::Tensor<double>& g) { return std::vector{g}; });
    return y;
  };
  if (!tinylm::gradcheck(identity, {x}).ok) throw tinylm::Error("gradcheck of the identity failed");
#elif defined(TINYLM_USE_tinylm_autograd_dot_hpp)
  auto x = tinylm::Tensor<double>::ones({2});
  (void)tinylm::autograd::to_dot(x);

  // ---- ops ----------------------------------------------------------------
#elif defined(TINYLM_USE_tinylm_ops_detail_hpp)
  auto x = tinylm::Tensor<float>::ones({2, 3});
  (void)tinylm::detail::map_binary<float>(x, x.alias({3}, {1}, 0), "use", [](float a, float b) { return a + b; });
  (void)tinylm::detail::sum_to_shape(x, {1, 3});
#elif defined(TINYLM_USE_tinylm_ops_arithmetic_hpp)
  auto a = tinylm::Tensor<double>::ones({2, 3}), b = tinylm::Tensor<double>::ones({3});
  a.requires_grad_();
  ((a + b) * a / 2.0 - pow(a, 2)).sum().backward();
#elif defined(TINYLM_USE_tinylm_ops_view_hpp)
  auto x = tinylm::Tensor<double>::ones({2, 3});
  x.requires_grad_();
  x.reshape({3, 2}).transpose(0, 1).narrow(1, 0, 2).expand({2, 2, 2}).unsqueeze(0).squeeze(0).flatten();
  (void)tinylm::slice(x, 1, 0, 3, 2).select(0, 1);
#elif defined(TINYLM_USE_tinylm_ops_copy_hpp)
  auto x = tinylm::Tensor<float>::ones({2, 3});
  x.fill_(2.0f).zero_();
  x.copy_(x.clone().contiguous());
  (void)tinylm::cast<int32_t>(x);
#elif defined(TINYLM_USE_tinylm_ops_reduce_hpp)
  auto x = tinylm::Tensor<double>::ones({2, 3});
  x.requires_grad_();
  auto m = x.max(1);
  x.sum({0}).sum().backward();
  m.values.sum().backward();
  (void)x.mean({1}, true);
  (void)tinylm::argmax(x, 0);
  (void)tinylm::sum_to(x, {1, 3});
#elif defined(TINYLM_USE_tinylm_ops_compare_hpp)
  auto x = tinylm::Tensor<double>::ones({3, 3});
  (void)where(gt(x, 0.5), x, tinylm::tril(x));
  (void)masked_fill(x, tinylm::causal_mask(3), -1.0);
  (void)tinylm::logical_not(tinylm::logical_or(eq(x, x), tinylm::logical_and(lt(x, 0.0), ge(x, 1.0))));
  (void)where(gt(x, 0.5), x, 0.0);
#elif defined(TINYLM_USE_tinylm_ops_unary_hpp)
  auto x = tinylm::Tensor<double>::ones({3});
  x.requires_grad_();
  tinylm::relu(tinylm::sigmoid(tinylm::tanh(tinylm::sqrt(tinylm::log(tinylm::exp(x))))))
      .backward(tinylm::Tensor<double>::ones({3}));
  tinylm::silu(tinylm::abs(tinylm::cos(tinylm::sin(x)))).backward(tinylm::Tensor<double>::ones({3}));
#elif defined(TINYLM_USE_tinylm_ops_softmax_hpp)
  auto x = tinylm::Tensor<double>::ones({2, 3});
  x.requires_grad_();
  (void)tinylm::log_softmax(x, 0);
  tinylm::softmax(x, -1).backward(tinylm::Tensor<double>::ones({2, 3}));
#elif defined(TINYLM_USE_tinylm_ops_matmul_hpp)
  auto a = tinylm::Tensor<double>::ones({2, 3}), b = tinylm::Tensor<double>::ones({3, 4});
  b.requires_grad_();
  tinylm::matmul(a, b).sum().backward();
#elif defined(TINYLM_USE_tinylm_ops_linear_hpp)
  auto x = tinylm::Tensor<float>::ones({2, 3}), w = tinylm::Tensor<float>::ones({3, 4}),
       b = tinylm::Tensor<float>::ones({4});
  w.requires_grad_();
  tinylm::linear(x, w, b).backward(tinylm::Tensor<float>::ones({2, 4}));
#elif defined(TINYLM_USE_tinylm_ops_attention_hpp)
  auto q = tinylm::Tensor<double>::randn({1, 2, 4, 3});
  q.requires_grad_();
  (tinylm::scaled_dot_product_attention(q, q, q) + tinylm::attention_reference(q, q, q)).sum().backward();
  (void)tinylm::packed_qkv_attention(tinylm::Tensor<double>::randn({1, 4, 6}), 2);
  (void)tinylm::scaled_dot_product_attention(q, q, q, tinylm::Tensor<bool>::zeros({1, 1, 1, 4}), true);
#elif defined(TINYLM_USE_tinylm_ops_bf16_weights_hpp)
  tinylm::NoGradGuard no_grad;
  const tinylm::Bf16Matrix w(tinylm::Tensor<float>::ones({3, 2}));
  (void)tinylm::matmul_transposed(tinylm::linear(tinylm::Tensor<float>::ones({1, 3}), w),
                                  tinylm::Bf16Matrix(w.to_float()));
#elif defined(TINYLM_USE_tinylm_ops_cross_entropy_hpp)
  auto x = tinylm::Tensor<float>::randn({2, 5});
  x.requires_grad_();
  const auto t = tinylm::Tensor<int32_t>::from_vector({1, 4});
  (tinylm::cross_entropy(x, t) + tinylm::cross_entropy_reference(x, t)).backward();
#elif defined(TINYLM_USE_tinylm_ops_dropout_hpp)
  auto x = tinylm::Tensor<float>::ones({8});
  x.requires_grad_();
  tinylm::Generator gen(1);
  tinylm::dropout(x, 0.5, true, gen).sum().backward();
#elif defined(TINYLM_USE_tinylm_ops_embedding_hpp)
  auto w = tinylm::Tensor<float>::ones({5, 3});
  w.requires_grad_();
  tinylm::embedding(w, tinylm::Tensor<int32_t>::from_vector({1, 4})).backward(tinylm::Tensor<float>::ones({2, 3}));
#elif defined(TINYLM_USE_tinylm_ops_gather_hpp)
  auto x = tinylm::Tensor<double>::ones({2, 3});
  x.requires_grad_();
  tinylm::gather(x, 1, tinylm::Tensor<int64_t>::zeros({2, 1})).backward(tinylm::Tensor<double>::ones({2, 1}));
  tinylm::index_select(x, 0, tinylm::Tensor<int64_t>::zeros({3})).backward(tinylm::Tensor<double>::ones({3, 3}));
#elif defined(TINYLM_USE_tinylm_ops_gelu_hpp)
  auto x = tinylm::Tensor<double>::ones({4});
  x.requires_grad_();
  (tinylm::gelu(x) + tinylm::gelu(x, tinylm::GeluApprox::Tanh) + tinylm::gelu_tanh_reference(x)).sum().backward();
#elif defined(TINYLM_USE_tinylm_ops_clamp_hpp)
  auto a = tinylm::Tensor<double>::randn({2, 3}), b = tinylm::Tensor<double>::randn({3});
  a.requires_grad_();
  tinylm::clamp(tinylm::minimum(a, b), -0.5, std::nullopt).backward(tinylm::Tensor<double>::ones({2, 3}));
  (void)tinylm::maximum(a, b);
#elif defined(TINYLM_USE_tinylm_ops_scatter_hpp)
  auto x = tinylm::Tensor<double>::zeros({2, 4}), src = tinylm::Tensor<double>::ones({2, 2});
  src.requires_grad_();
  const auto idx = tinylm::Tensor<int64_t>::from_vector({0, 3, 1, 1}, {2, 2});
  tinylm::scatter_add(x, 1, idx, src).backward(tinylm::Tensor<double>::ones({2, 4}));
  (void)tinylm::scatter(x, 1, idx, src);
#elif defined(TINYLM_USE_tinylm_ops_sort_hpp)
  auto x = tinylm::Tensor<double>::randn({2, 5});
  x.requires_grad_();
  auto top = tinylm::topk(x, 2);
  top.values.backward(tinylm::Tensor<double>::ones({2, 2}));
  (void)tinylm::sort(x, 0, true).indices;
  (void)tinylm::argsort(x);
#elif defined(TINYLM_USE_tinylm_ops_statistics_hpp)
  auto x = tinylm::Tensor<double>::randn({3, 4});
  x.requires_grad_();
  tinylm::std(x, {1}).backward(tinylm::Tensor<double>::ones({3}));
  (void)tinylm::var(x, {}, 0);
#elif defined(TINYLM_USE_tinylm_ops_join_hpp)
  auto x = tinylm::Tensor<double>::ones({2, 3});
  x.requires_grad_();
  tinylm::cat<double>({x, x}, 0).backward(tinylm::Tensor<double>::ones({4, 3}));
  (void)tinylm::stack<double>({x, x}, 1);
  (void)tinylm::split(x, 2, 1);
  (void)tinylm::chunk(x, 2, 0);
#elif defined(TINYLM_USE_tinylm_ops_layer_norm_hpp)
  auto x = tinylm::Tensor<double>::randn({2, 3}), w = tinylm::Tensor<double>::ones({3});
  w.requires_grad_();
  (tinylm::layer_norm(x, w, w) + tinylm::layer_norm_reference(x, w, w)).sum().backward();
#elif defined(TINYLM_USE_tinylm_ops_lstm_cell_hpp)
  auto gates = tinylm::Tensor<double>::randn({2, 8}), c = tinylm::Tensor<double>::zeros({2, 2});
  gates.requires_grad_();
  auto [h, c1] = tinylm::lstm_cell(gates, c);
  auto r = tinylm::lstm_cell_reference(gates, c);
  (h + c1 + r.h).sum().backward();

  // ---- nn -----------------------------------------------------------------
#elif defined(TINYLM_USE_tinylm_nn_module_hpp)
  struct Affine : tinylm::nn::Module<float> {
    tinylm::Tensor<float> w = this->register_parameter("w", tinylm::Tensor<float>::ones({2}), tinylm::nn::Decay::Yes);
  } m;
  m.load_state_dict(m.state_dict());
  (void)m.load_state_dict({}, false).missing;
  m.freeze("w");
  (void)m.summary();
  (void)m.trainable_parameters();
  (void)m.named_parameters();
  (void)m.num_parameters();
#elif defined(TINYLM_USE_tinylm_nn_init_hpp)
  tinylm::Generator gen(1);
  auto t = tinylm::Tensor<float>::empty({4});
  tinylm::nn::init::normal_(t, 0.02, gen);
  tinylm::nn::init::uniform_(t, 0.1, gen);
  tinylm::nn::init::constant_(t, 1.0f);
  tinylm::nn::init::zeros_(t);
  struct One : tinylm::nn::Module<float> {
    tinylm::Tensor<float> w = register_parameter("w", tinylm::Tensor<float>::ones({2, 2}), tinylm::nn::Decay::Yes);
  } one;
  tinylm::nn::init::gpt2_(one, 1, gen);
#elif defined(TINYLM_USE_tinylm_nn_linear_hpp)
  tinylm::Generator gen(1);
  tinylm::nn::Linear<float> lin(3, 2, gen);
  lin.forward(tinylm::Tensor<float>::ones({4, 3})).backward(tinylm::Tensor<float>::ones({4, 2}));
#elif defined(TINYLM_USE_tinylm_nn_lora_hpp)
  tinylm::Generator gen(1);
  tinylm::nn::Linear<float> lin(3, 2, gen);
  struct One : tinylm::nn::Module<float> {
    explicit One(tinylm::nn::Linear<float>& l) { this->register_module("fc", l); }
  } model(lin);
  tinylm::nn::LoRAConfig cfg;
  cfg.r = 1;
  cfg.target_modules = {"fc"};
  (void)tinylm::nn::add_lora(model, cfg);
  tinylm::nn::merge_lora(model);
  tinylm::nn::unmerge_lora(model);
  (void)tinylm::nn::remove_lora(model);
#elif defined(TINYLM_USE_tinylm_nn_embedding_hpp)
  tinylm::Generator gen(1);
  tinylm::nn::Embedding<float> emb(5, 3, gen);
  emb.forward(tinylm::Tensor<int32_t>::zeros({2})).backward(tinylm::Tensor<float>::ones({2, 3}));
#elif defined(TINYLM_USE_tinylm_nn_layer_norm_hpp)
  tinylm::nn::LayerNorm<float> ln(3);
  ln.forward(tinylm::Tensor<float>::ones({2, 3})).sum().backward();
#elif defined(TINYLM_USE_tinylm_nn_dropout_hpp)
  tinylm::Generator gen(1);
  tinylm::nn::Dropout<float> drop(0.5, gen), plain;
  (void)drop.forward(tinylm::Tensor<float>::ones({4}));
  (void)plain.forward(tinylm::Tensor<float>::ones({4}));
#elif defined(TINYLM_USE_tinylm_nn_mlp_hpp)
  tinylm::Generator a(1), b(2);
  tinylm::nn::MLP<float> mlp(4, 0.0, a, b);
  mlp.forward(tinylm::Tensor<float>::ones({2, 4})).sum().backward();
  tinylm::nn::MLP<float> swiglu(4, {.activation = tinylm::nn::Activation::Silu, .gated = true}, a);
  (void)swiglu.forward(tinylm::Tensor<float>::ones({2, 4}));
#elif defined(TINYLM_USE_tinylm_nn_attention_hpp)
  tinylm::Generator a(1), b(2);
  tinylm::nn::CausalSelfAttention<float> att(4, 2, 0.0, a, b);
  att.forward(tinylm::Tensor<float>::ones({1, 3, 4})).sum().backward();
#elif defined(TINYLM_USE_tinylm_nn_multi_head_attention_hpp)
  tinylm::Generator a(1);
  tinylm::nn::MultiHeadAttention<float> att({.n_embd = 4, .n_head = 2, .kv_embd = 6}, a);
  const auto x = tinylm::Tensor<float>::ones({1, 3, 4}), memory = tinylm::Tensor<float>::ones({1, 5, 6});
  auto pad = tinylm::Tensor<bool>::zeros({1, 5});
  att.forward(x, memory, {.key_padding = pad}).sum().backward();
  tinylm::nn::MultiHeadAttention<float> self({.n_embd = 4, .n_head = 2}, a);
  tinylm::nn::AttentionCache<float> cache;
  (void)self.forward(x, {.causal = true}, &cache);
#elif defined(TINYLM_USE_tinylm_nn_transformer_hpp)
  tinylm::Generator a(1);
  tinylm::nn::TransformerEncoder<float> enc({.n_embd = 4, .n_head = 2}, 2, a);
  tinylm::nn::DecoderBlock<float> dec({.n_embd = 4, .n_head = 2}, a);
  const auto x = tinylm::Tensor<float>::ones({1, 3, 4});
  const auto memory = enc.forward(x, {.key_padding = tinylm::Tensor<bool>::zeros({1, 3})});
  dec.forward(x, memory, {}).sum().backward();
#elif defined(TINYLM_USE_tinylm_nn_seq2seq_hpp)
  tinylm::nn::Seq2Seq<float> model({.src_vocab_size = 8, .tgt_vocab_size = 8, .n_embd = 4, .n_head = 2}, 1);
  const auto src = tinylm::Tensor<int32_t>::ones({1, 3});
  model.forward(src, src, src, {.label_smoothing = 0.1}).loss.backward();
  auto cache = model.start(src);
  (void)model.forward(src, &cache);
  cache.reorder({0, 0});
#elif defined(TINYLM_USE_tinylm_nn_bert_hpp)
  tinylm::nn::BertLM<float> model({.vocab_size = 8, .n_embd = 4, .n_head = 2, .n_layer = 1, .sentence_head = true}, 1);
  const auto ids = tinylm::Tensor<int32_t>::ones({2, 3});
  model.forward(ids, {}, ids, tinylm::Tensor<int32_t>::zeros({2})).loss.backward();
#elif defined(TINYLM_USE_tinylm_nn_bf16_copy_hpp)
  struct Table : tinylm::nn::Bf16Copyable<float> {
    Table() : Bf16Copyable<float>("Table") {}
    const tinylm::Tensor<float>& bf16_source() const override { return w; }
    tinylm::Tensor<float> w = tinylm::Tensor<float>::ones({2, 3});
  } table;
  table.set_bf16_weights(true);
  std::printf("%lld\n", static_cast<long long>(table.bf16_weights()->bytes()));
#elif defined(TINYLM_USE_tinylm_nn_bf16_weights_hpp)
  tinylm::Generator gen(1);
  tinylm::nn::Linear<float> lin(3, 2, gen);
  tinylm::nn::Bf16Weights bf16(lin);
  tinylm::NoGradGuard no_grad;
  (void)lin.forward(tinylm::Tensor<float>::ones({1, 3}));
#elif defined(TINYLM_USE_tinylm_nn_block_hpp)
  tinylm::Generator a(1), b(2);
  tinylm::nn::Block<float> block(4, 2, 0.0, a, b);
  block.forward(tinylm::Tensor<float>::ones({1, 3, 4})).sum().backward();
#elif defined(TINYLM_USE_tinylm_nn_gpt_hpp)
  tinylm::nn::GPT<float> model({16, 8, 1, 2, 8, 0.0}, 1);
  auto x = tinylm::Tensor<int32_t>::zeros({1, 8});
  model.forward(x, x).loss.backward();
  model.resize_token_embeddings(18);
  auto cache = model.make_cache(1);
  (void)model.forward(tinylm::Tensor<int32_t>::zeros({1, 1}), &cache);
  (void)model.attention_maps(x);
#elif defined(TINYLM_USE_tinylm_nn_lstm_hpp)
  tinylm::nn::LSTMLM<float> lm({8, 4, 6, 1}, 1);
  auto x = tinylm::Tensor<int32_t>::zeros({1, 5});
  lm.forward(x, x).loss.backward();

  // ---- optim --------------------------------------------------------------
#elif defined(TINYLM_USE_tinylm_optim_optimizer_hpp)
  auto w = tinylm::Tensor<float>::ones({3});
  w.requires_grad_();
  (w * w).sum().backward();
  (void)tinylm::optim::clip_grad_norm(std::vector{w}, 1.0);
  (void)tinylm::optim::grad_norms(std::vector{tinylm::nn::Parameter<float>{"w", w, tinylm::nn::Decay::Yes}});
  (void)tinylm::optim::decay_groups(std::vector{tinylm::nn::Parameter<float>{"w", w, tinylm::nn::Decay::Yes}}, 1e-3,
                                    0.1);
#elif defined(TINYLM_USE_tinylm_optim_adam_hpp) || defined(TINYLM_USE_tinylm_optim_sgd_hpp)
  auto w = tinylm::Tensor<float>::ones({3});
  w.requires_grad_();
  const std::vector params{tinylm::nn::Parameter<float>{"w", w, tinylm::nn::Decay::Yes}};
#if defined(TINYLM_USE_tinylm_optim_adam_hpp)
  tinylm::optim::AdamW<float> opt(tinylm::optim::decay_groups(params, 1e-3, 0.1), {1e-3});
#else
  tinylm::optim::SGD<float> opt(params, {0.1});
#endif
  (w * w).sum().backward();
  opt.step();
  opt.zero_grad();
  (void)opt.state();
#elif defined(TINYLM_USE_tinylm_optim_schedule_hpp)
  const auto lr = tinylm::optim::LRSchedule::warmup_cosine(1e-3, 1e-4, 10, 100);
  (void)lr(50);

  // ---- dist ---------------------------------------------------------------
#elif defined(TINYLM_USE_tinylm_dist_communicator_hpp)
  tinylm::dist::SingleProcess world;
  double x = 2;
  world.allreduce_sum(&x, 1);
  (void)(world.sum(x) + world.rank() + world.size());
#elif defined(TINYLM_USE_tinylm_dist_ddp_hpp)
  tinylm::dist::SingleProcess world;
  auto w = tinylm::Tensor<float>::ones({3});
  w.requires_grad_();
  const std::vector params{tinylm::nn::Parameter<float>{"w", w, tinylm::nn::Decay::Yes}};
  tinylm::dist::DataParallel<float> ddp(world, params);
  ddp.broadcast_parameters();
  ddp.prepare_backward();
  (w * w).sum().backward();
  ddp.finish_backward();
  tinylm::dist::ShardedAdamW<float> opt(world, tinylm::optim::decay_groups(params, 1e-3, 0.1), {}, 1.0);
  opt.step();
#elif defined(TINYLM_USE_tinylm_dist_mpi_hpp)
  (void)tinylm::dist::MpiEnvironment::launched_by_mpirun();

  // ---- data ---------------------------------------------------------------
#elif defined(TINYLM_USE_tinylm_data_parallel_corpus_hpp)
  const auto c = tinylm::data::generate_parallel(3, 1, 1);
  (void)tinylm::data::translate_to_invented(c.train[0].source);
#elif defined(TINYLM_USE_tinylm_data_mlm_hpp)
  tinylm::Generator gen(1);
  (void)tinylm::data::mask_tokens(tinylm::Tensor<int32_t>::ones({2, 3}),
                                  {.vocab_size = 5, .mask_id = 4, .special_ids = {4}}, gen);
#elif defined(TINYLM_USE_tinylm_data_text_hpp)
  (void)tinylm::data::utf8_decode("h\xc3\xa9");
#elif defined(TINYLM_USE_tinylm_data_bpe_hpp)
  std::vector<std::string> bytes;
  for (int b = 0; b < 256; ++b) bytes.emplace_back(1, static_cast<char>(b));
  bytes.push_back("ab");
  const tinylm::data::BPETokenizer bpe(bytes, {{"<|end|>", 257}});
  (void)bpe.decode(bpe.encode("abc<|end|>", {.allow_all = true}));
  (void)bpe.encode_ordinary("ab ab");
  tinylm::data::Utf8Stream stream;
  (void)stream.push("\xc3");
  (void)stream.flush();
#elif defined(TINYLM_USE_tinylm_data_pretokenizer_hpp)
  (void)tinylm::data::Pretokenizer().split("it's 12 o'clock");
  (void)tinylm::data::Pretokenizer(tinylm::data::SplitPattern::GPT4).split("it's 12 o'clock");
#elif defined(TINYLM_USE_tinylm_data_bpe_train_hpp)
  (void)tinylm::data::train_bpe({"ab ab ab"}, {.vocab_size = 258, .special_tokens = {"<|end|>"}}).merges();
#elif defined(TINYLM_USE_tinylm_data_bpe_files_hpp)
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.emplace_back(1, static_cast<char>(b));
  tokens.push_back("ab");
  const tinylm::data::BPETokenizer bpe(tokens, {{"<|end|>", 257}}, tinylm::data::SplitPattern::GPT2, {}, {{'a', 'b'}});
  tinylm::data::save_hf_json(bpe, temp_path("tokenizer.json"));
  (void)tinylm::data::load_bpe(temp_path("tokenizer.json")).encode_ordinary("ab");
  tinylm::data::save_tiktoken(bpe, temp_path("t.tiktoken"));
  (void)tinylm::data::load_tiktoken(temp_path("t.tiktoken"));
  tinylm::data::save_llmc_tokenizer(bpe, 257, temp_path("t.bin"));
  for (const char* f : {"tokenizer.json", "t.tiktoken", "t.bin"}) std::remove(temp_path(f).c_str());
#elif defined(TINYLM_USE_tinylm_data_char_tokenizer_hpp)
  auto tok = tinylm::data::CharTokenizer::from_text("hello");
  (void)tok.decode(tok.encode("hole"));
  (void)tok.add_tokens("w");
  (void)tok.add_special_tokens({"<|end|>"});
  (void)tok.decode(tok.encode_with_special("he<|end|>"));
  (void)tinylm::data::CharTokenizer::from_string(tok.to_string(), tok.special_tokens());
#elif defined(TINYLM_USE_tinylm_data_word_tokenizer_hpp)
  const auto tok = tinylm::data::WordTokenizer::from_text("a b\nb c\n");
  (void)tok.encode("a c\n");
#elif defined(TINYLM_USE_tinylm_data_shard_hpp)
  tinylm::data::write_shard(temp_path("shard.bin"), {1, 2, 3});
  (void)tinylm::data::read_shard(temp_path("shard.bin"));
  tinylm::data::ShardWriter w(temp_path("shard2.bin"), 10);
  w.append(std::vector<int32_t>{1, 2});
  w.finish();
  std::remove(temp_path("shard.bin").c_str());
  std::remove(temp_path("shard2.bin").c_str());
#elif defined(TINYLM_USE_tinylm_data_batch_hpp)
  tinylm::data::TokenDataset ds(std::vector<int32_t>(64, 1), "use");
  tinylm::Generator gen(1);
  (void)ds.sample(2, 8, gen);
  (void)ds.split(0.9);
  tinylm::data::write_shard_ids(temp_path("batch.bin"), std::vector<int32_t>(64, 1), 2);
  (void)tinylm::data::TokenDataset::map_shard(temp_path("batch.bin"), 2).slice(0, 3);
  std::remove(temp_path("batch.bin").c_str());
#elif defined(TINYLM_USE_tinylm_data_synthetic_hpp)
  const auto corpus = tinylm::data::generate_synthetic(200, 1);
  (void)corpus.entropy(0, corpus.text.size());

  // ---- lm -----------------------------------------------------------------
#elif defined(TINYLM_USE_tinylm_lm_sampling_hpp)
  const std::vector<float> logits{1, 2, 3};
  tinylm::Generator gen(1);
  (void)tinylm::lm::sample_logits(logits.data(), 3, tinylm::lm::SamplingOptions{}, gen);
#elif defined(TINYLM_USE_tinylm_lm_chat_hpp)
  const tinylm::lm::ChatFormat chat(Bytes{});
  const tinylm::lm::Conversation c{{tinylm::lm::Role::User, "hi"}, {tinylm::lm::Role::Assistant, "there"}};
  (void)chat.parse(chat.render(c).ids);
  (void)tinylm::lm::conversation_to_json(c);
#elif defined(TINYLM_USE_tinylm_lm_assistant_corpus_hpp)
  const auto ex = tinylm::lm::assistant_corpus(4, tinylm::lm::Split::HeldOut, 1);
  (void)tinylm::lm::score(ex[0], ex[0].conversation.back().content);
#elif defined(TINYLM_USE_tinylm_lm_chat_session_hpp)
  tinylm::nn::GPT<float> model({261, 16, 1, 2, 8, 0.0}, 1);
  tinylm::lm::ChatSession session(model, tinylm::lm::ChatFormat(Bytes{}));
  session.options.max_new_tokens = 2;
  (void)session.reply("ab").text;
#elif defined(TINYLM_USE_tinylm_lm_batcher_hpp)
  tinylm::nn::GPT<float> model({16, 8, 1, 2, 8, 0.0}, 1);
  tinylm::lm::Batcher<float> batcher(model, 2);
  tinylm::lm::BatchRequest r;
  r.prompt = {1, 2};
  r.max_new_tokens = 2;
  batcher.submit(std::move(r));
  while (!batcher.idle()) batcher.step();
#elif defined(TINYLM_USE_tinylm_lm_stream_decoder_hpp)
  tinylm::lm::StreamDecoder d([](int32_t) { return std::string("a"); }, {"b"});
  bool stopped = false;
  (void)d.push(0, stopped);
  (void)d.flush();
#elif defined(TINYLM_USE_tinylm_lm_sft_hpp)
  tinylm::lm::RenderedChat c{{0, 1, 2, 3}, {0, 0, 1, 1}};
  (void)tinylm::lm::pack_sft({c, c}, 8, 0).trainable(0);
  (void)tinylm::lm::sft_microbatch_weights(tinylm::lm::sft_microbatches({c, c}, 2, 8, 0));
#elif defined(TINYLM_USE_tinylm_lm_beam_search_hpp)
  struct Model {
    struct Cache {
      void reorder(const std::vector<int64_t>&) {}
    };
    Cache start(const tinylm::Tensor<int32_t>&) const { return {}; }
    tinylm::Tensor<float> forward(const tinylm::Tensor<int32_t>& ids, Cache*) const {
      return tinylm::Tensor<float>::zeros({ids.size(0), 1, 3});
    }
    int64_t max_length() const { return 3; }
  } model;
  const auto src = tinylm::lm::pad_batch({{1, 2}, {1}}, 0);
  (void)tinylm::lm::greedy_search(model, src);
  (void)tinylm::lm::beam_search(model, src, {.beam_width = 2});
#elif defined(TINYLM_USE_tinylm_lm_bleu_hpp)
  (void)tinylm::lm::corpus_bleu({"a b c d"}, {{"a b c d"}});
  (void)tinylm::lm::corpus_chrf({"a b c d"}, {{"a b c e"}});
  (void)tinylm::lm::tokenize_13a("a, b.");
#elif defined(TINYLM_USE_tinylm_lm_generate_hpp)
  tinylm::nn::GPT<float> model({16, 8, 1, 2, 8, 0.0}, 1);
  tinylm::Generator gen(1);
  (void)tinylm::lm::generate(model, {1, 2}, 4, tinylm::lm::SamplingOptions{}, gen);
  tinylm::lm::GenerateOptions opt;
  opt.stop_tokens = {0};
  (void)tinylm::lm::generate(model, {{1, 2}, {3}}, opt);
#elif defined(TINYLM_USE_tinylm_lm_lm_eval_hpp)
  struct Uniform {
    double prob(const int32_t*, int64_t, int32_t) const { return 0.5; }
  };
  (void)tinylm::lm::evaluate_lm(Uniform{}, {{0, 1, 1}}, -1).perplexity();
#elif defined(TINYLM_USE_tinylm_lm_ngram_hpp) || defined(TINYLM_USE_tinylm_lm_arpa_hpp)
  tinylm::lm::NGramVocab vocab;
  vocab.tokens = {"a", "b"};
  const std::vector<std::vector<int32_t>> seqs{{0, 1, 0, 1, 1}};
  const auto model = tinylm::lm::NGramLM::train(seqs, vocab, {});
  (void)tinylm::lm::evaluate_lm(model, seqs, -1);
#if defined(TINYLM_USE_tinylm_lm_arpa_hpp)
  tinylm::lm::write_arpa(temp_path("lm.arpa"), model);
  (void)tinylm::lm::ArpaLM::read(temp_path("lm.arpa")).evaluate(seqs);
  std::remove(temp_path("lm.arpa").c_str());
#endif

  // ---- io -----------------------------------------------------------------
#elif defined(TINYLM_USE_tinylm_io_json_hpp)
  const auto j = tinylm::io::Json::parse(R"({"a": [1, 2.5, "x"]})", "use");
  (void)j.dump();
#elif defined(TINYLM_USE_tinylm_io_safetensors_hpp)
  tinylm::io::SafetensorsWriter w;
  w.add("x", tinylm::Tensor<float>::ones({2}));
  w.save(temp_path("x.safetensors"));
  (void)tinylm::io::SafetensorsFile::read(temp_path("x.safetensors")).get<float>("x");
  std::remove(temp_path("x.safetensors").c_str());
#elif defined(TINYLM_USE_tinylm_io_checkpoint_hpp)
  tinylm::nn::GPT<float> model({16, 8, 1, 2, 8, 0.0}, 1);
  tinylm::io::save_gpt(temp_path("gpt.safetensors"), model);
  const auto f = tinylm::io::SafetensorsFile::read(temp_path("gpt.safetensors"));
  tinylm::nn::GPT<float> again(tinylm::io::read_gpt_config(f), 2);
  tinylm::io::load_gpt_weights(f, again);
  (void)tinylm::io::load_gpt(temp_path("gpt.safetensors"))->config();
  tinylm::io::save_module(temp_path("gpt.safetensors"), again);
  (void)tinylm::io::load_module(temp_path("gpt.safetensors"), again);
  std::remove(temp_path("gpt.safetensors").c_str());
  (void)tinylm::io::char_tokenizer_from(tinylm::io::tokenizer_metadata(tinylm::data::CharTokenizer::from_text("ab")),
                                        "m");
#elif defined(TINYLM_USE_tinylm_io_hf_hpp)
  tinylm::nn::GPT<float> model({16, 8, 1, 2, 8, 0.0}, 1);
  tinylm::io::save_hf_gpt2(temp_path("hf"), model);
  (void)tinylm::io::load_hf_gpt2(temp_path("hf"))->config();
  (void)tinylm::io::gpt_config_from_hf(tinylm::io::hf_config(model.config()), "config.json");
  std::filesystem::remove_all(temp_path("hf"));
#elif defined(TINYLM_USE_tinylm_io_peft_hpp)
  tinylm::Generator gen(1);
  tinylm::nn::Linear<float> lin(3, 2, gen);
  struct One : tinylm::nn::Module<float> {
    explicit One(tinylm::nn::Linear<float>& l) { this->register_module("fc", l); }
  } model(lin), again(lin);
  tinylm::nn::LoRAConfig cfg;
  cfg.r = 1;
  cfg.target_modules = {"fc"};
  tinylm::nn::add_lora(model, cfg);
  tinylm::io::save_peft_adapter(temp_path("peft"), model, cfg);
  tinylm::nn::remove_lora(model);
  (void)tinylm::io::load_peft_adapter(temp_path("peft"), again);
  std::filesystem::remove_all(temp_path("peft"));
#elif defined(TINYLM_USE_tinylm_io_transformer_hpp)
  tinylm::nn::Seq2Seq<float> s2s({.src_vocab_size = 8, .tgt_vocab_size = 8, .n_embd = 4, .n_head = 2}, 1);
  tinylm::io::save_seq2seq(temp_path("s2s.safetensors"), s2s);
  (void)tinylm::io::load_seq2seq(temp_path("s2s.safetensors"));
  std::remove(temp_path("s2s.safetensors").c_str());
  tinylm::nn::BertLM<float> bert({.vocab_size = 8, .n_embd = 4, .n_head = 2, .n_layer = 1}, 1);
  tinylm::io::save_bert(temp_path("bert.safetensors"), bert);
  (void)tinylm::io::load_bert(temp_path("bert.safetensors"));
  std::remove(temp_path("bert.safetensors").c_str());
#elif defined(TINYLM_USE_tinylm_io_plot_hpp)
  tinylm::io::write_line_chart_svg(temp_path("plot.svg"), "t", "x", "y", {{"s", {0, 1}, {1, 2}, "#000"}});
  std::remove(temp_path("plot.svg").c_str());
#else
#error "tests/headers/use_alone.cpp has no block for this header: add one that calls its main functions"
#endif
}

}  // namespace

int main() {
  use();
  return 0;
}
