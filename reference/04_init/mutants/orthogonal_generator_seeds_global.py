"""orthogonal_ turns the generator into a seed for the global RNG: one generator gives the same matrix every call, and the global RNG is clobbered."""


def orthogonal_(tensor, gain=1.0, generator=None):
    _check_at_least_2d("orthogonal_", tensor)
    if tensor.numel() == 0:
        return tensor
    if generator is not None:
        torch.manual_seed(generator.initial_seed())
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    gaussian = torch.randn(max(rows, cols), min(rows, cols), dtype=tensor.dtype, device=tensor.device)
    q, r = torch.linalg.qr(gaussian)
    q = q * r.diagonal().sign()
    if rows < cols:
        q = q.T
    with torch.no_grad():
        tensor.copy_(q.reshape(tensor.shape) * gain)
    return tensor
