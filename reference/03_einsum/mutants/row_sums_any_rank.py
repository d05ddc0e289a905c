"""row_sums sums the last dim of any tensor ('...j->...'): a vector gives a 0-dim sum and a 3-D
tensor a matrix, where only a matrix (I, J) is allowed."""


def row_sums(a):
    return torch.einsum("...j->...", a)
