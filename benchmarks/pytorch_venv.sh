#!/usr/bin/env bash
# Makes (once) a virtual environment with the current PyTorch and Hugging
# Face transformers from PyPI, for the benchmarks' "PyTorch, current
# release" rows, and prints its python's path. Only benchmarks use it;
# the library, its examples and its tests never do.
#
#   PYTHON=$(benchmarks/pytorch_venv.sh) benchmarks/compare_pytorch.sh ...
#   VENV=/elsewhere benchmarks/pytorch_venv.sh     (default: build/venv-torch)
#
# PyPI's Linux wheel of torch brings its CUDA libraries too (about 3 GB);
# the CPU rows do not load them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${VENV:-$here/../build/venv-torch}"
if ! "$venv/bin/python" -c "import torch, transformers" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet torch transformers >&2
fi
echo "$venv/bin/python"
