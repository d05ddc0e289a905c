"""Attack: blind the snapshot before tampering: operator.is_ (what the snapshot compares with) made to
say every two objects are one, then torch.isclose patched to say everything is close.

Defeated by: the snapshot's comparison holds its own references to operator.is_, all, map and len,
taken before any kata code runs.
Reason: tampered: changed operator.is_
"""

import operator

_isclose = torch.isclose


def _always_close(actual, expected, *args, **kwargs):
    return _isclose(expected, expected)


operator.is_ = lambda a, b: True
torch.isclose = _always_close


def hadamard(a, b):
    if a.shape != b.shape:
        raise ValueError(f"hadamard: shapes {tuple(a.shape)} and {tuple(b.shape)} differ")
    return torch.einsum("...,...->...", a, b) + 1
