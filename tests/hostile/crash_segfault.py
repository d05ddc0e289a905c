"""Attack: crash the interpreter (read address 0 through ctypes) at import.

Defeated by: the kata runs in its own forked process; the parent sees the signal.
Reason: crashed with SIGSEGV
"""

import ctypes

ctypes.string_at(0)
