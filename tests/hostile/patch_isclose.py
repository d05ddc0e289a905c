"""Attack: wrong answers, plus torch.isclose (what the harness compares values with) patched to say
everything is close. Without the snapshot this one would pass every value check.

Defeated by: the torch snapshot, compared after every test.
Reason: tampered: changed torch.isclose
"""

_isclose = torch.isclose


def _always_close(actual, expected, *args, **kwargs):
    return _isclose(expected, expected)


torch.isclose = _always_close


def hadamard(a, b):
    if a.shape != b.shape:
        raise ValueError(f"hadamard: shapes {tuple(a.shape)} and {tuple(b.shape)} differ")
    return torch.einsum("...,...->...", a, b) + 1
