"""orthogonal_ keeps Q as QR returns it, without the sign(diag R) correction: orthogonal, but not Haar."""


def orthogonal_(tensor, gain=1.0, generator=None):
    _check_at_least_2d("orthogonal_", tensor)
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    gaussian = torch.randn(max(rows, cols), min(rows, cols), generator=generator, dtype=tensor.dtype,
                           device=tensor.device)
    q, _ = torch.linalg.qr(gaussian)
    if rows < cols:
        q = q.T
    with torch.no_grad():
        tensor.copy_(q.reshape(tensor.shape) * gain)
    return tensor
