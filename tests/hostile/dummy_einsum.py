"""Attack: satisfy the kata's required call with an einsum whose result is thrown away (the
reference's own, which also checks the shapes), and compute every function with broadcasting and
nansum (no forbidden call among them): right values, and none of the lesson.

Defeated by: the guard follows every tensor computed from the required call's result while the
function runs; a result that does not come from einsum fails the rule.
Score: 0
Reason: its result is not computed from what torch.einsum returned
"""

import torch as _torch

# the reference's functions: each attack first calls its own (the shape checks the tests expect; the
# einsum result thrown away)
_checked = {name: globals()[name] for name in ("transpose", "total_sum", "dot", "matmul", "batched_matmul",
                                                "hadamard", "outer", "row_sums", "trace", "diagonal", "linear",
                                                "bilinear", "attention_scores", "pairwise_sq_dists")}

def transpose(a):
    _checked["transpose"](a)
    return a.T.clone()


def total_sum(a):
    _checked["total_sum"](a)
    return a.nansum()


def dot(u, v):
    _checked["dot"](u, v)
    return (u * v).nansum()


def matmul(a, b):
    _checked["matmul"](a, b)
    return (a[:, :, None] * b[None]).nansum(1)


def batched_matmul(a, b):
    _checked["batched_matmul"](a, b)
    return (a[:, :, :, None] * b[:, None]).nansum(2)


def hadamard(a, b):
    _checked["hadamard"](a, b)
    return a * b


def outer(u, v):
    _checked["outer"](u, v)
    return u[:, None] * v[None]


def row_sums(a):
    _checked["row_sums"](a)
    return a.nansum(1)


def trace(a):
    _checked["trace"](a)
    return (a * _torch.eye(a.shape[0], dtype=a.dtype, device=a.device)).nansum()


def diagonal(a):
    _checked["diagonal"](a)
    return (a * _torch.eye(a.shape[0], dtype=a.dtype, device=a.device)).nansum(1)


def linear(x, w):
    _checked["linear"](x, w)
    return (x[..., None, :] * w).nansum(-1)


def bilinear(x, w, y):
    _checked["bilinear"](x, w, y)
    return (x[:, None, :, None] * w[None] * y[:, None, None, :]).nansum((-1, -2))


def attention_scores(q, k):
    _checked["attention_scores"](q, k)
    return (q[..., :, None, :] * k[..., None, :, :]).nansum(-1) * q.shape[-1] ** -0.5


def pairwise_sq_dists(x, y):
    _checked["pairwise_sq_dists"](x, y)
    return ((x[:, None] - y[None]) ** 2).nansum(-1)
