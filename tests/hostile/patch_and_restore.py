"""Attack: patch torch.isclose inside a call with a fake that restores the real one the first time it
is used: by the time the test ends (and the teardown check runs) nothing looks changed.

Defeated by: a checkpoint before every assertion helper call, while the patch is still in place.
Reason: tampered: changed torch.isclose
"""

_isclose = torch.isclose


def _once(actual, expected, *args, **kwargs):
    torch.isclose = _isclose
    return _isclose(expected, expected, *args, **kwargs)


def row_sums(a):
    if a.ndim != 2:
        raise ValueError(f"row_sums: expected a matrix, got shape {tuple(a.shape)}")
    torch.isclose = _once
    return torch.einsum("ij->i", a) * 0
