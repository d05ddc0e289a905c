"""Attack: overwrite the grading tree's tests with ones that always pass, from inside kata code.

Defeated by: the audit hook refuses (and records) writes into the grading tree; tests were collected
before any kata code ran anyway.
Reason: tried to write
"""

from pathlib import Path as _Path

for _test in _Path.cwd().glob("katas/*/test_*.py"):
    try:
        _test.write_text("def test_nothing():\n    pass\n")
    except OSError:
        pass
