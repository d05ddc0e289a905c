"""Attack: keep references to the forbidden functions at import (before the guard swaps module
attributes) and compute every function with them, right values and all, after the reference's own
call (its shape checks, and an einsum whose result is thrown away).

Defeated by: the guard watches torch functions with a TorchFunctionMode while a kata function runs,
which sees a call however the function was reached: each function breaks the kata's rules and fails.
Score: 0
Reason: called (torch.matmul|torch.dot|torch.bmm|torch.mul|torch.outer|torch.sum|torch.trace|torch.diagonal|torch.nn.functional.linear|torch.nn.functional.bilinear), which is off-limits
"""

import torch as _torch
import torch.nn.functional as _F

# the reference's functions: each attack first calls its own (the shape checks the tests expect; the
# einsum result thrown away)
_checked = {name: globals()[name] for name in ("transpose", "total_sum", "dot", "matmul", "batched_matmul",
                                                "hadamard", "outer", "row_sums", "trace", "diagonal", "linear",
                                                "bilinear", "attention_scores", "pairwise_sq_dists")}

_kept = {"mm": _torch.matmul, "dot": _torch.dot, "bmm": _torch.bmm, "outer": _torch.outer, "sum": _torch.sum, "trace": _torch.trace,
         "diagonal": _torch.diagonal, "linear": _F.linear, "bilinear": _F.bilinear}


def transpose(a):
    _checked["transpose"](a)
    return _kept["mm"](_torch.eye(a.shape[1], dtype=a.dtype, device=a.device), a.T)


def total_sum(a):
    _checked["total_sum"](a)
    return _kept["sum"](a)


def dot(u, v):
    _checked["dot"](u, v)
    return _kept["dot"](u, v)


def matmul(a, b):
    _checked["matmul"](a, b)
    return _kept["mm"](a, b)


def batched_matmul(a, b):
    _checked["batched_matmul"](a, b)
    return _kept["bmm"](a, b)


def hadamard(a, b):
    _checked["hadamard"](a, b)
    return _kept["sum"](_torch.stack([a * b]), 0)


def outer(u, v):
    _checked["outer"](u, v)
    return _kept["outer"](u, v)


def row_sums(a):
    _checked["row_sums"](a)
    return _kept["sum"](a, 1)


def trace(a):
    _checked["trace"](a)
    return _kept["trace"](a)


def diagonal(a):
    _checked["diagonal"](a)
    return _kept["diagonal"](a).clone()


def linear(x, w):
    _checked["linear"](x, w)
    return _kept["linear"](x, w)


def bilinear(x, w, y):
    _checked["bilinear"](x, w, y)
    return _kept["bilinear"](x, y, w)


def attention_scores(q, k):
    _checked["attention_scores"](q, k)
    return _kept["mm"](q, k.transpose(-1, -2)) * q.shape[-1] ** -0.5


def pairwise_sq_dists(x, y):
    _checked["pairwise_sq_dists"](x, y)
    return _kept["sum"]((x[:, None] - y[None]) ** 2, -1)
