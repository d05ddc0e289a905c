"""Attack: print megabytes at import (floods the log, fills the disk).

Defeated by: RLIMIT_FSIZE on the kata's output, with SIGXFSZ restored to its default (Python ignores it).
Reason: wrote more than
"""

for _ in range(64):
    print("x" * (1 << 20))
