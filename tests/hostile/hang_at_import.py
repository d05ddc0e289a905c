"""Attack: an endless loop at import time.

Defeated by: the import happens inside the first test, whose per-test timeout (the one students get)
stops it: the module is broken and every test fails, as it does for the student.
Reason: Timeout|timed out
"""

while True:
    pass
