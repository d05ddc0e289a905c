"""Attack: an endless loop at import time.

Defeated by: the import happens inside the first test, whose per-test limit (the one students get)
stops it: the module is broken, saying where it was, and every test fails, as it does for the student.
Reason: could not be imported: TestTimedOut: .* limit, at einsum_ops.py:\d+ in <module>
"""

while True:
    pass
