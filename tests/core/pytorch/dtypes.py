# Reference numbers for tests/core/test_dtypes.cpp, computed by PyTorch 1.13 (/usr/bin/python3 with
# python3-torch). The tests hold the printed numbers; nothing at build or test time needs torch.
import struct

import torch

ALL = [torch.bool, torch.int32, torch.int64, torch.float16, torch.bfloat16, torch.float32, torch.float64]
name = {torch.bool: "kBool", torch.int32: "kInt32", torch.int64: "kInt64", torch.float16: "kFloat16",
        torch.bfloat16: "kBFloat16", torch.float32: "kFloat32", torch.float64: "kFloat64"}


def ones(d, zero_dim=False):
    return torch.ones(() if zero_dim else (2,), dtype=d)


print("// dim with dim")
for a in ALL:
    print(name[a], [name[torch.result_type(ones(a), ones(b))] for b in ALL])
print("// dim with zero-dim")
for a in ALL:
    print(name[a], [name[torch.result_type(ones(a), ones(b, True))] for b in ALL])
print("// two zero-dim")
for a in ALL:
    print(name[a], [name[torch.result_type(ones(a, True), ones(b, True))] for b in ALL])
print("// dim with the numbers True, 2, 2.5")
for a in ALL:
    print(name[a], [name[torch.result_type(ones(a), n)] for n in (True, 2, 2.5)])

print("// the issue's examples")
ids = torch.tensor([1, 2, 3])
x = torch.tensor([0.5, -1.5, 2.0])
print((ids * 2.0).dtype, (ids * 2).tolist(), (x > 0).sum().dtype, (x > 0).sum().item(), (x.double() + x).dtype)
print((ids / 2).dtype, (ids / 2).tolist(), (ids + True).tolist(), (ids == 2).tolist())
for f in (lambda: torch.ones(2, dtype=torch.bool) - torch.ones(2, dtype=torch.bool), lambda: torch.tensor([1, 2]).add_(0.5)):
    try:
        f()
        print("no error")
    except RuntimeError as e:
        print("RuntimeError:", str(e)[:80])

print("// rounding: float32 bits -> half bits, bfloat16 bits, back")
for u in [0x3f800000, 0x3dcccccd, 0x3f802000, 0x3f801000, 0x3f803000, 0x477fe000, 0x477feffd, 0x477ff000, 0x322bcc77,
          0x33000000, 0x33800000, 0x33c00000, 0xc0490fdb, 0x47c35000, 0x7f800000, 0xff800000, 0x38800000, 0x38000000,
          0x3f808000, 0x3f80c000, 0x3f810000, 0x7f61b1e6, 0x80000000]:
    f = torch.tensor([struct.unpack("<f", struct.pack("<I", u))[0]], dtype=torch.float32)
    h, b = f.half(), f.bfloat16()
    print(f"{{0x{u:08x}u, 0x{h.view(torch.int16).item() & 0xffff:04x}, 0x{b.view(torch.int16).item() & 0xffff:04x}, "
          f"{h.double().item()!r}, {b.double().item()!r}}},")

print("// float16 and bfloat16 arithmetic")
a = torch.tensor([0.1, 1.7, -2.3, 1000.5, 3.3e-3])
b = torch.tensor([0.7, -0.3, 2.9, 0.25, 7.1])
for d in (torch.float16, torch.bfloat16):
    ah, bh = a.to(d), b.to(d)
    for n, v in [("*", ah * bh), ("/", ah / bh), ("+2.5", ah + 2.5), ("sum", ah.sum())]:
        print(d, n, v.dtype, [repr(t) for t in v.double().reshape(-1).tolist()])
ab = a.bfloat16()  # PyTorch 1.13's CPU has no exp, tanh, softmax for float16
for n, v in [("exp", ab.exp()), ("tanh", ab.tanh()), ("softmax", torch.softmax(ab, 0))]:
    print(torch.bfloat16, n, v.dtype, [repr(t) for t in v.double().reshape(-1).tolist()])
w = a.bfloat16().requires_grad_(True)
(w * w).sum().backward()
print("grad", w.grad.dtype, w.grad.double().tolist())

print("// float64")
d = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
print([repr(v) for v in (d * 3 + 1e-12).tolist()], repr(d.sum().item()))
print([repr(v) for v in d.exp().tolist()], [repr(v) for v in d.tanh().tolist()])
