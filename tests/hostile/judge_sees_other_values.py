"""Attack: answer right only while a kata test runs (the harness marks the running test) and doubled
otherwise: the tests in the kata's own process all pass, while the function is wrong.

Defeated by: the judge. A worker that loads the module and nothing of the tests makes the judge's
calls on inputs drawn from a seed secret to the run; the judge, a process that never runs kata code,
finds every value doubled: the verdict of the kata's own process was not the truth, and the kata
scores zero.
Reason: tampered: the judge's check of `matmul` failed
"""

from katas.harness import loader as _loader

_reference_matmul = matmul


def matmul(a, b):
    right = _reference_matmul(a, b)
    return right if _loader._running.get() is not None else right * 2
