"""linear spells out the subscripts for each rank it expects (1-D, 2-D, 3-D x) instead of using
'...': any other number of leading dims fails."""


def linear(x, w):
    _check(x.ndim >= 1 and w.ndim == 2 and x.shape[-1] == w.shape[1], "linear", "(..., I) and (O, I)", x, w)
    spec = {1: "i,oi->o", 2: "bi,oi->bo", 3: "bti,oi->bto"}[x.ndim]
    return torch.einsum(spec, x, w)
