"""hadamard checks only that the sizes agree (numel) and multiplies the flattened tensors: a (3, 4)
and a (4, 3) are paired element by element in memory order, silently."""


def hadamard(a, b):
    _check(a.numel() == b.numel(), "hadamard", "two tensors of the same shape", a, b)
    return torch.einsum("i,i->i", a.reshape(-1), b.reshape(-1)).reshape(a.shape)
