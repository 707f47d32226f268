# Reference numbers for tests/core/test_indexing.cpp, computed by PyTorch 1.13 (/usr/bin/python3 with
# python3-torch). The tests hold the printed numbers; nothing at build or test time needs torch.
import torch


def flat(t, digits=9):
    return ", ".join(f"{v:.{digits}g}" if isinstance(v, float) else str(v) for v in t.detach().reshape(-1).tolist())


def base():
    return torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)


ids = torch.tensor([2, 0, 2])
mask = torch.tensor([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
cases = {
    "x[:, -1]": lambda x: x[:, -1],
    "x[0, 1::2]": lambda x: x[0, 1::2],
    "x[None, ..., 0]": lambda x: x[None, ..., 0],
    "x[1]": lambda x: x[1],
    "x[..., 1:3]": lambda x: x[..., 1:3],
    "x[:, ids]": lambda x: x[:, ids],
    "x[ids]": lambda x: x[torch.tensor([1, 0, -1])],
    "x[0][mask]": lambda x: x[0][mask],
    "x[:, mask]": lambda x: x[:, mask],
    "x[ids2, :, ids3]": lambda x: x[torch.tensor([[0], [1]]), :, torch.tensor([3, 1])],
    "x[:, ids, ids]": lambda x: x[:, torch.tensor([0, 2]), torch.tensor([1, 3])],
    "x[True]": lambda x: x[True],
}
for name, f in cases.items():
    v = f(base())
    print(f'{{"{name}", {{{", ".join(map(str, v.shape))}}}, {{{flat(v)}}}}},')

print("// index_put_")
puts = {
    "x[:, 0] = v": lambda x: x.__setitem__((slice(None), 0), torch.tensor([-1., -2., -3., -4.])),
    "x[ids] = 5": lambda x: x[0].__setitem__(torch.tensor([2, 0]), 5.),
    "x[mask] = -7": lambda x: x[1].__setitem__(mask, -7.),
    "x[:, ids, ids] = v": lambda x: x.__setitem__((slice(None), torch.tensor([0, 2]), torch.tensor([1, 3])), torch.tensor([[10., 20.], [30., 40.]])),
}
for name, f in puts.items():
    x = base()
    f(x)
    print(f'{{"{name}", {{{flat(x)}}}}},')

print("// index_select, gather, scatter, scatter_add, index_add_, masked_select")
x = base()[0]  # (3, 4)
print("index_select", flat(x.index_select(1, torch.tensor([3, 0, 3]))))
g = torch.tensor([[0, 3], [2, 2], [1, 0]])
print("gather", flat(x.gather(1, g)))
src = torch.arange(6, dtype=torch.float32).reshape(3, 2) * 10
print("scatter", flat(x.scatter(1, g, src)))
print("scatter_add", flat(x.scatter_add(1, g, src)))
print("index_add", flat(x.clone().index_add_(0, torch.tensor([2, 0, 2]), torch.ones(3, 4))))
print("masked_select", flat(x.masked_select(x > 6.5)))

print("// gradients through each (float64 leaves)")
w = (torch.arange(12, dtype=torch.float64) * 2.0 / 11.0 - 1.0).reshape(3, 4)
xs = (torch.arange(12, dtype=torch.float64).reshape(3, 4) * 0.5 - 2).requires_grad_(True)
s = (torch.arange(6, dtype=torch.float64).reshape(3, 2) * 0.25 + 1).requires_grad_(True)
loss = (xs[:, torch.tensor([1, 3, 1])] ** 2).sum() + (xs[mask] * 3).sum() + (xs.gather(1, g) ** 3).sum() \
    + (xs.scatter(1, g, s) * w).sum() + (xs.scatter_add(1, g, s) ** 2 * w).sum() \
    + (xs.index_add(0, torch.tensor([2, 0, 2]), torch.ones(3, 4, dtype=torch.float64) * s[0, 0]) * w).sum() \
    + xs.masked_select(xs > 0.4).sum() + xs.index_select(1, torch.tensor([2, 2])).sum()
loss.backward()
print(f"{loss.item():.17g}")
print(flat(xs.grad, 17))
print(flat(s.grad, 17))
v = (torch.arange(8, dtype=torch.float64) * 0.5).requires_grad_(True)
h = torch.zeros(3, 4, dtype=torch.float64)
h[torch.tensor([0, 2])] = v.view(2, 4)
h[:, 1] = v[:3] * 2
loss2 = (h * w).sum()
loss2.backward()
print("index_put grads", f"{loss2.item():.17g}", flat(v.grad, 17))
