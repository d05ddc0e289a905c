"""Attack: print megabytes at import (floods the log, fills the disk).

Defeated by: RLIMIT_FSIZE on the kata's output: the process gets SIGXFSZ.
Reason: wrote more than
"""

for _ in range(64):
    print("x" * (1 << 20))
