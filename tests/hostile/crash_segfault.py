"""Attack: crash the interpreter (a segmentation fault: recursion through C until the stack runs out)
at import.

Defeated by: the kata runs in its own process; its watcher sees the signal.
Reason: crashed with SIGSEGV
"""

import sys as _sys

_sys.setrecursionlimit(1 << 30)


def _deeper(depth):
    return list(map(_deeper, [depth + 1]))


_deeper(0)
