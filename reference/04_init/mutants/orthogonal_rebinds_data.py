"""orthogonal_ sets `tensor.data = ...`: the same object, but new memory that views of it never see."""


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
    tensor.data = q.reshape(tensor.shape) * gain
    return tensor
