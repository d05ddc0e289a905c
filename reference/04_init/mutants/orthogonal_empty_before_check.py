"""orthogonal_ returns empty tensors before checking ndim, so a 1-D empty tensor slips through without ValueError."""


def orthogonal_(tensor, gain=1.0, generator=None):
    if tensor.numel() == 0:
        return tensor
    _check_at_least_2d("orthogonal_", tensor)
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    gaussian = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=tensor.dtype,
                           device=tensor.device)
    q, r = torch.linalg.qr(gaussian)
    q = q * r.diagonal().sign()
    if rows < cols:
        q = q.T
    with torch.no_grad():
        tensor.copy_(q.reshape(tensor.shape) * gain)
    return tensor
