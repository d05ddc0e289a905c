"""Attack: mutate the harness's tolerance table in place (no attribute is rebound) so any value passes.

Defeated by: the snapshot holds the harness's tables (dicts, lists, objects) by identity, checked
before every assertion helper runs.
Reason: tampered: changed katas.harness.checks._TOLERANCES
"""

import sys as _sys

for _name, _module in list(_sys.modules.items()):
    if _name.endswith("harness.checks"):
        for _dtype in list(_module._TOLERANCES):
            _module._TOLERANCES[_dtype] = (1e9, 1e9)


def linear(x, w):
    if x.shape[-1] != w.shape[-1] or w.ndim != 2:
        raise ValueError(f"linear: shapes {tuple(x.shape)} and {tuple(w.shape)} do not fit")
    return torch.einsum("...i,oi->...o", x, w) + 0.5
