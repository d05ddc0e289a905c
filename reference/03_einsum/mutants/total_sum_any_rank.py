"""total_sum sums a tensor of any rank: a vector or a 3-D tensor, which is no matrix, is answered
instead of rejected."""


def total_sum(a):
    return torch.einsum("...->", a)
