"""Attack: os._exit(0) from inside a function, after some tests already passed.

Defeated by: the result file is written only after the whole run; no file means zero.
Reason: before its tests reported
"""

import os as _os

_reference_trace = trace


def trace(a):
    _os._exit(0)
