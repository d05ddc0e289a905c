"""batched_matmul leaves the batch letter out of the output ('bik,bkj->ij'), so the batch is summed away."""


def batched_matmul(a, b):
    _check(
        a.ndim == 3 and b.ndim == 3 and a.shape[0] == b.shape[0] and a.shape[2] == b.shape[1],
        "batched_matmul", "(B, I, K) and (B, K, J)", a, b,
    )
    return torch.einsum("bik,bkj->ij", a, b)
