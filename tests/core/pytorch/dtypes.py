# Reference numbers for tests/core/test_dtypes.cpp, computed by PyTorch 1.13 (/usr/bin/python3 with
# python3-torch). The tests hold the printed numbers; nothing at build or test time needs torch.
import struct
import torch

names = {torch.bool: "kBool", torch.int32: "kInt32", torch.int64: "kInt64", torch.float16: "kFloat16",
         torch.bfloat16: "kBFloat16", torch.float32: "kFloat32", torch.float64: "kFloat64"}
dts = list(names)


def t(dt, zero_dim=False):
    return torch.ones(() if zero_dim else (2,), dtype=dt)


print("// promote_types / result_type of dim + dim, dim + zero-dim, and dim op Python number")
for a in dts:
    row = []
    for b in dts:
        row.append(names[(t(a) + t(b)).dtype] if a != torch.bool or b != torch.bool else names[(t(a) | t(b)).dtype])
    print(f"{{{names[a]}, {{{', '.join(row)}}}}},  // dim {names[a]} with dim ...")
for a in dts:
    row = [names[torch.result_type(t(a), t(b, True))] for b in dts]
    print(f"{{{names[a]}, {{{', '.join(row)}}}}},  // dim {names[a]} with zero-dim ...")
for a in dts:
    row = [names[torch.result_type(t(a), s)] for s in (True, 2, 2.5)]
    print(f"{{{names[a]}, {{{', '.join(row)}}}}},  // dim {names[a]} with bool, int, float numbers")
for a in dts:
    row = [names[torch.result_type(t(a, True), t(b, True))] for b in dts]
    print(f"{{{names[a]}, {{{', '.join(row)}}}}},  // zero-dim {names[a]} with zero-dim ...")

print("// the issue's examples")
ids = torch.tensor([1, 2, 3])
x = torch.tensor([0.5, -1.5, 2.0])
print((ids * 2.0).dtype, (ids * 2).dtype, (x > 0).sum().dtype, (x > 0).sum().item(),
      (x.double() + x).dtype, (ids / 2).dtype, (ids / 2).tolist(), (ids + True).tolist())

print("// float16 / bfloat16 rounding of float32 values (bits)")
vals = [1.0, 0.1, 1.0009765625, 1.00048828125, 1.00146484375, 65504.0, 65519.99, 65520.0, 1e-8, 2.9802322387695312e-08,
        5.960464477539063e-08, 8.940696716308594e-08, -3.1415927, 1e5, float('inf'), float('-inf'), 6.1035156e-05,
        3.0517578125e-05, 1.00390625, 1.005859375, 1.0078125, 3.0e38, -0.0]
for v in vals:
    f = torch.tensor([v], dtype=torch.float32)
    h = f.half().view(torch.int16).item() & 0xffff
    b = f.bfloat16().view(torch.int16).item() & 0xffff
    back_h = f.half().float().item()
    back_b = f.bfloat16().float().item()
    fb = struct.unpack('<I', struct.pack('<f', f.item()))[0]
    print(f"{{0x{fb:08x}u, 0x{h:04x}, 0x{b:04x}, {back_h!r}, {back_b!r}}},")

print("// float16 and bfloat16 arithmetic: computed in float32, rounded once")
a = torch.tensor([0.1, 1.7, -2.3, 1000.5, 3.3e-3], dtype=torch.float32)
bb = torch.tensor([0.7, -0.3, 2.9, 0.25, 7.1], dtype=torch.float32)
for dt in (torch.float16, torch.bfloat16):
    ah, bh = a.to(dt), bb.to(dt)
    print(names[dt], "a*b", (ah * bh).float().tolist(), "a/b", (ah / bh).float().tolist(),
          "a+2.5", (ah + 2.5).float().tolist(), "sum", ah.sum().float().item())
    if dt == torch.bfloat16:
        print("exp(a)", torch.exp(ah).float().tolist(), "tanh", torch.tanh(ah).float().tolist(), "softmax", torch.softmax(ah, 0).float().tolist())

print("// float64 values")
d = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
print(repr((d * 3 + 1e-12).tolist()), repr(d.sum().item()), repr(torch.exp(d).tolist()), repr(torch.tanh(d).tolist()))
