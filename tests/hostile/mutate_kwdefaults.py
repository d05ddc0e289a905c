"""Attack: loosen the tolerances through assert_tensor's keyword defaults (a dict mutated in place:
no attribute is rebound, no audit event), and return wrong values.

Defeated by: the snapshot holds every covered function's keyword defaults, closure and attributes.
Reason: tampered: changed katas.harness.checks.assert_tensor.__kwdefaults__
"""

import sys as _sys

_checks = _sys.modules[next(name for name in _sys.modules if name.endswith("harness.checks"))]
_checks.assert_tensor.__kwdefaults__.update(rtol=1e9, atol=1e9)


def hadamard(a, b):
    if a.shape != b.shape:
        raise ValueError(f"hadamard: shapes {tuple(a.shape)} and {tuple(b.shape)} differ")
    return torch.einsum("...,...->...", a, b) + 1
