#!/usr/bin/env python3
"""Writes tests/golden/print_cases.txt: PyTorch's repr of a set of tensors.

tests/core/test_print.cpp builds the same tensors with tinylm and compares
the text. tinylm names dtypes without the "torch." prefix, so it is removed.
Run with Debian's python3-torch: python3 tests/golden/make_print_cases.py
"""
import pathlib
import torch

cases = {
    "int_valued": torch.tensor([[1., 2.], [3., 4.]]),
    "decimals_requires_grad": torch.tensor([[1.5, 2.], [3., 4.]], requires_grad=True),
    "sci_small": torch.tensor([1e-5, 1.]),
    "summarized_vector": torch.arange(2000.),
    "int_3d": torch.arange(24).reshape(2, 3, 4),
    "empty_2d": torch.zeros(2, 0),
    "scalar": torch.tensor(3.),
    "nan_inf": torch.tensor([-1.25, float('nan'), float('inf')]),
    "summarized_matrix_f64": torch.arange(1200, dtype=torch.float64).reshape(40, 30) / 7,
    "bool": torch.tensor([True, False]),
    "int32": torch.tensor([1, -2], dtype=torch.int32),
    "wrapped": torch.arange(30.) * 1.5,
    "zeros": torch.zeros(3),
    "summarized_3d": torch.arange(2000).reshape(10, 10, 20),
    "negative_decimals": torch.tensor([[-0.5, 0.25], [0.125, -3.0]]),
}
out = pathlib.Path(__file__).with_name("print_cases.txt")
with out.open("w") as f:
    for name, t in cases.items():
        f.write(f"== {name}\n{repr(t).replace('torch.', '')}\n")
