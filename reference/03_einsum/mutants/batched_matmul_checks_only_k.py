"""batched_matmul checks the ranks and K but not that the batch sizes agree: mismatched batches reach
einsum, whose RuntimeError names no shapes, instead of a ValueError that does."""


def batched_matmul(a, b):
    _check(a.ndim == 3 and b.ndim == 3 and a.shape[2] == b.shape[1], "batched_matmul", "(B, I, K) and (B, K, J)", a, b)
    return torch.einsum("bik,bkj->bij", a, b)
