"""linear flattens the leading dims with x.view(-1, I): right for contiguous x, but a view cannot
merge dims whose strides do not line up (a transposed batch), so valid inputs raise."""


def linear(x, w):
    _check(x.ndim >= 1 and w.ndim == 2 and x.shape[-1] == w.shape[1], "linear", "(..., I) and (O, I)", x, w)
    out = torch.einsum("ni,oi->no", x.view(-1, x.shape[-1]), w)
    return out.view(*x.shape[:-1], w.shape[0])
