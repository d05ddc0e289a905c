"""Attack: find the instructor's reference solution through any imported module's path and exec it.

Defeated by: the grading tree holds no reference, and an audit hook refuses (and records) any read of
the reference folder or another submission.
Reason: tried to read
"""

import sys as _sys
from pathlib import Path as _Path

for _module in list(_sys.modules.values()):
    _file = getattr(_module, "__file__", None)
    if not _file:
        continue
    for _parent in _Path(_file).resolve().parents:
        _candidate = _parent / "reference" / "03_einsum" / "einsum_ops.py"
        if _candidate.exists():
            try:
                exec(_candidate.read_text(), globals())
            except OSError:
                pass
            break
