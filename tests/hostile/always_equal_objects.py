"""Attack: return objects whose == is always True (a plain object, and a Tensor subclass).

Defeated by: assert_tensor checks the exact type (torch.Tensor or Parameter) before anything else.
Reason: should be a torch.Tensor
"""


class _Anything:
    shape = dtype = device = None

    def __eq__(self, other):
        return True

    def __bool__(self):
        return True


class _AgreeableTensor(torch.Tensor):
    def __eq__(self, other):
        return torch.ones_like(other, dtype=torch.bool)


def _einsum_then_anything(*tensors):
    torch.einsum("...->...", tensors[0])  # the kata requires an einsum call: make one
    return _Anything()


def transpose(a):
    return _einsum_then_anything(a)


def total_sum(a):
    return _einsum_then_anything(a)


def dot(u, v):
    return _einsum_then_anything(u, v)


def matmul(a, b):
    return _einsum_then_anything(a, b)


def batched_matmul(a, b):
    torch.einsum("...->...", a)
    return torch.zeros(a.shape[0], a.shape[1], b.shape[2]).as_subclass(_AgreeableTensor)


def hadamard(a, b):
    return _einsum_then_anything(a, b)


def outer(u, v):
    return _einsum_then_anything(u, v)


def row_sums(a):
    return _einsum_then_anything(a)


def trace(a):
    return _einsum_then_anything(a)


def diagonal(a):
    return _einsum_then_anything(a)


def linear(x, w):
    return _einsum_then_anything(x, w)


def bilinear(x, w, y):
    return _einsum_then_anything(x, w, y)


def attention_scores(q, k):
    return _einsum_then_anything(q, k)


def pairwise_sq_dists(x, y):
    return _einsum_then_anything(x, y)
