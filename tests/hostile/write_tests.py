"""Attack: overwrite the grading tree's tests with ones that always pass, from inside kata code.

Defeated by: the grading tree is mounted read-only in the sandbox, and the audit hook refuses (and
records) writes outside the job's scratch folder; tests were collected before any kata code ran.
Reason: tried to write
"""

import sys as _sys
from pathlib import Path as _Path

for _module in list(_sys.modules.values()):
    _file = getattr(_module, "__file__", None) or ""
    if _file.endswith("test_einsum_ops.py"):
        for _test in _Path(_file).parent.parent.glob("*/test_*.py"):
            try:
                _test.write_text("def test_nothing():\n    pass\n")
            except OSError:
                pass
