# Reference numbers for tests/core/test_views.cpp and test_views_autograd.cpp, computed by PyTorch 1.13
# (apt-get install python3-torch; /usr/bin/python3 tests/core/pytorch/views.py). The tests hold the printed
# numbers; nothing at build or test time needs torch.
import torch

torch.set_printoptions(precision=8)


def flat(t):
    return ", ".join(f"{v:.9g}" if isinstance(v, float) else str(v) for v in t.detach().reshape(-1).tolist())


def base():
    return torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)


print("// --- a write through every view kind, then the base's values ---")
writes = {
    "view": lambda x: x.view(6, 4)[1].fill_(-1),
    "reshape": lambda x: x.reshape(4, 6)[:, 0].fill_(-1),
    "narrow": lambda x: x.narrow(2, 1, 2).fill_(-1),
    "select": lambda x: x.select(1, 2).fill_(-1),
    "slice_step": lambda x: x[:, :, 0:4:2].fill_(-1),
    "transpose": lambda x: x.transpose(0, 2)[3].fill_(-1),
    "t": lambda x: x[0].t()[1].fill_(-1),
    "permute": lambda x: x.permute(2, 0, 1)[1, 1].fill_(-1),
    "unsqueeze": lambda x: x.unsqueeze(1)[1, 0, 0].fill_(-1),
    "squeeze": lambda x: x[:1].squeeze(0)[2].fill_(-1),
    "split": lambda x: x.split(2, 2)[1].fill_(-1),
    "chunk": lambda x: x.chunk(3, 1)[2].fill_(-1),
    "unbind": lambda x: x.unbind(2)[3].fill_(-1),
    "diagonal": lambda x: x[1].diagonal(1).fill_(-1),
    "detach": lambda x: x.detach()[0, 0].fill_(-1),
    "copy_into_narrow": lambda x: x.narrow(1, 1, 2).copy_(torch.tensor([7., 8., 9., 10.])),
    "add_into_transposed": lambda x: x[1].t().add_(torch.arange(3, dtype=torch.float32)),
    "mul_into_diagonal": lambda x: x[0].diagonal().mul_(torch.tensor(10.)),
}
for name, f in writes.items():
    x = base()
    f(x)
    print(f'{{"{name}", {{{flat(x)}}}}},')

print("// --- geometry: sizes, strides, offset, is_contiguous ---")
geos = {
    "narrow": lambda x: x.narrow(2, 1, 2),
    "select": lambda x: x.select(1, 2),
    "slice_step": lambda x: x[:, 1:, ::3],
    "transpose": lambda x: x.transpose(0, 2),
    "permute": lambda x: x.permute(2, 0, 1),
    "expand": lambda x: x[:, :1].expand(2, 5, 4),
    "expand_new": lambda x: x[0, 0].expand(3, 4),
    "unsqueeze": lambda x: x.transpose(1, 2).unsqueeze(2),
    "diagonal": lambda x: x.diagonal(-1, 1, 2),
    "view_of_narrow": lambda x: x.narrow(2, 0, 4).view(2, 12),
    "reshape_of_transpose": lambda x: x.transpose(1, 2).reshape(2, 12),
    "view_split_of_narrow": lambda x: x.narrow(1, 1, 2).view(2, 2, 2, 2),
}
for name, f in geos.items():
    v = f(base())
    print(f'{{"{name}", {{{", ".join(map(str, v.shape))}}}, {{{", ".join(map(str, v.stride()))}}}, '
          f'{v.storage_offset()}, {str(v.is_contiguous()).lower()}, {{{flat(v)}}}}},')

print("// --- autograd through views ---")


def leafs():
    x = (torch.arange(12, dtype=torch.float64).reshape(3, 4) * 0.25 - 1).requires_grad_(True)
    w = (torch.arange(12, dtype=torch.float64).reshape(3, 4) * -0.125 + 0.5).requires_grad_(True)
    y = torch.tensor([0.5, -1.5, 2.0, 3.0], dtype=torch.float64, requires_grad=True)
    return x, w, y


cases = {}
# gradients flow through every view kind
x, w, y = leafs()
loss = (x.t()[1] * x[:, 2]).sum() + (x.narrow(1, 1, 2) ** 2).sum() + x.diagonal(1).sum() * 3 \
    + (x[:, ::2].unsqueeze(0).expand(2, 3, 2) * x.select(1, 3).view(3, 1)).sum() + x.reshape(-1)[5:9].sum()
loss.backward()
cases["through_views"] = (loss, x.grad, None)
# an in-place op on a view of a non-leaf: recorded, the base's gradient right (CopySlices)
x, w, y = leafs()
h = x * 2
h[1].mul_(y)
h.narrow(1, 2, 2).add_(h[0, :2])
loss = (h * w).sum()
loss.backward()
cases["inplace_on_view"] = (loss, x.grad, y.grad)
# two views of one base: the one written, and one made before the write (its node made again from the base)
x, w, y = leafs()
h = x * 1.5
a, b = h[0], h[:, 1]
a.copy_(y * 3)
loss = (b * b).sum() + (a * w[0]).sum() + (h * w).sum()
loss.backward()
cases["stale_view"] = (loss, x.grad, y.grad)
# a preallocated buffer filled row by row from values that require grad (a KV cache), read whole
x, w, y = leafs()
buf = torch.zeros(3, 4, dtype=torch.float64)
for t in range(3):
    buf[t].copy_(x[t] * y)
buf.t()[1].mul_(2)
loss = (buf * w).sum() + buf.sum()
loss.backward()
cases["kv_cache"] = (loss, x.grad, y.grad)
# writes through a transposed view and a diagonal of a non-leaf
x, w, y = leafs()
h = x + 0
h.t()[2].copy_(y[:3])
h[:, :3].diagonal().mul_(y[1:])
loss = (h * h * w).sum()
loss.backward()
cases["transposed_and_diagonal"] = (loss, x.grad, y.grad)
for name, (loss, gx, gy) in cases.items():
    print(f'{{"{name}", {loss.item():.17g}, {{{flat(gx)}}}, {{{flat(gy) if gy is not None else ""}}}}},')

# leaf views written in place: each raises
w = torch.ones(2, 3, requires_grad=True)
for name, f in {"view.fill_": lambda: w.view(3, 2).fill_(1), "unsqueeze.zero_": lambda: w.unsqueeze(0).zero_(),
                "reshape.copy_": lambda: w.reshape(6).copy_(torch.zeros(6)), "select.add_": lambda: w[0].add_(1)}.items():
    try:
        f()
        print("// no error:", name)
    except RuntimeError as e:
        print("//", name, "->", str(e).splitlines()[0])
# a saved value changed in place through a view
x = torch.ones(3, requires_grad=True)
h = x * 2
s = h * h
h[1:].add_(1)
try:
    s.sum().backward()
except RuntimeError as e:
    print("// saved:", str(e).splitlines()[0])
