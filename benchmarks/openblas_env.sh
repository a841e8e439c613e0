# Sourced by the benchmark scripts: how OpenBLAS (bench_gemm's reference,
# and what Debian's PyTorch 1.13 multiplies with) is run beside tinylm.
# Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to
# an old kernel, so it is told the CPU's kind: SkylakeX where the CPU has
# AVX-512, Haswell where it has AVX2 only (SkylakeX there would stop on an
# illegal instruction). A kind set by the caller is kept. OpenMP threads
# wait passively, so that PyTorch's do not spin against OpenBLAS's.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if grep -qw avx512f /proc/cpuinfo; then OPENBLAS_CORETYPE=SkylakeX; else OPENBLAS_CORETYPE=Haswell; fi
fi
export OPENBLAS_CORETYPE OMP_WAIT_POLICY=PASSIVE
