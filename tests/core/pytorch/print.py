# Reference strings for tests/core/test_print.cpp: repr() of each tensor as PyTorch 1.13 prints it
# (/usr/bin/python3 with python3-torch). The tests hold the printed strings; nothing at build or test time needs torch.
import torch
cases = {
 "ints": torch.arange(6).reshape(2, 3),
 "floats": torch.tensor([[1.5, -2.25, 3.0], [0.125, 10.0, -7.5]]),
 "whole": torch.tensor([1.0, -2.0, 30.0]),
 "sci": torch.tensor([1e-5, 1.0, 123.0]),
 "big_int": torch.tensor([1.0, 2e9]),
 "nonfinite": torch.tensor([float('inf'), float('nan'), 1.5, -float('inf')]),
 "f64": torch.tensor([0.1, 0.2], dtype=torch.float64),
 "half": torch.tensor([0.1, 1.7]).half(),
 "bool": torch.tensor([True, False]),
 "i32": torch.tensor([3, -4], dtype=torch.int32),
 "scalar": torch.tensor(2.5),
 "empty": torch.zeros(0, 4),
 "empty1": torch.zeros(0, dtype=torch.int64),
 "grad": torch.tensor([1.0, 2.0]).requires_grad_(True),
 "big": torch.arange(2000, dtype=torch.float32).reshape(40, 50) / 4,
 "long_row": torch.arange(30, dtype=torch.float32) * 1.5,
 "3d": torch.arange(8).reshape(2, 2, 2),
 "zeros": torch.zeros(2),
}
for k, v in cases.items():
    s = repr(v)
    print(k, repr(s))
