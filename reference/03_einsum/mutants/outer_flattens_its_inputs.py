"""outer flattens whatever it is given instead of rejecting what is not a vector: a (3, 1) column is
silently taken for a vector of 3."""


def outer(u, v):
    return torch.einsum("i,j->ij", u.reshape(-1), v.reshape(-1))
