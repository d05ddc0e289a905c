"""orthogonal_ draws the Gaussian in the default dtype (float32) and lets copy_ convert: float64 weights are only float32-orthogonal."""


def orthogonal_(tensor, gain=1.0, generator=None):
    _check_at_least_2d("orthogonal_", tensor)
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    gaussian = torch.randn(max(rows, cols), min(rows, cols), generator=generator, device=tensor.device)
    q, r = torch.linalg.qr(gaussian)
    q = q * r.diagonal().sign()
    if rows < cols:
        q = q.T
    with torch.no_grad():
        tensor.copy_(q.reshape(tensor.shape) * gain)
    return tensor
