"""Attack: an endless loop at import time.

Defeated by: the per-test timeout (pytest-timeout) fails the import; the wall-clock kill backs it up.
Reason: ran longer than|timed out
"""

while True:
    pass
