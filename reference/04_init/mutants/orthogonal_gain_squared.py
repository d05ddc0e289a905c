"""orthogonal_ scales by gain ** 2 (confusing W's scale with W W^T's)."""


def orthogonal_(tensor, gain=1.0, generator=None):
    _check_at_least_2d("orthogonal_", tensor)
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    gaussian = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=tensor.dtype,
                           device=tensor.device)
    q, r = torch.linalg.qr(gaussian)
    q = q * r.diagonal().sign()
    if rows < cols:
        q = q.T
    with torch.no_grad():
        tensor.copy_(q.reshape(tensor.shape) * gain ** 2)
    return tensor
