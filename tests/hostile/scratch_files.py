"""Honest habit: a debug log in the working directory, one next to the module itself and a temporary
file, at import and in every call.

Handled by: each job has a private, size-capped scratch folder as its working directory, its own
writable copy of the kata module, and a private /tmp.
Score: full
Reason: done
"""

import tempfile as _tempfile
from pathlib import Path as _Path

_here = _Path(__file__).resolve().parent
(_here / "debug.log").write_text("imported\n")
_Path("debug.log").write_text("imported\n")
with _tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as _log:
    _log.write("imported\n")

_reference_matmul = matmul


def matmul(a, b):
    with open("debug.log", "a") as log:
        log.write(f"matmul {tuple(a.shape)} {tuple(b.shape)}\n")
    with open(_here / "debug.log", "a") as log:
        log.write("matmul\n")
    return _reference_matmul(a, b)
