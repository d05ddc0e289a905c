"""Attack: an unsolved module that finds the instructor's reference solution through any imported
module's path and execs it (full marks if it can read it).

Defeated by: in the sandbox the reference is not there at all; without it, the audit hook refuses
(and records) any read of the reference folder or another submission.
Reason: tried to read|not started
"""

import sys as _sys
from pathlib import Path as _Path


def _stub(*args, **kwargs):
    raise NotImplementedError


transpose = total_sum = dot = matmul = batched_matmul = hadamard = outer = row_sums = trace = _stub
diagonal = _stub
linear = bilinear = attention_scores = pairwise_sq_dists = _stub

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
