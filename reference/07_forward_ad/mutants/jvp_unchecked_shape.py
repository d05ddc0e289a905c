"""jvp reshapes v to x's shape instead of rejecting it, so a (3, 2) v passes for a (2, 3) x."""


def jvp(f, x, v):
    return torch.func.jvp(f, (x,), (v.reshape(x.shape),))
