"""Attack: sleep forever inside a function (no CPU used, so no CPU limit fires).

Graded as the student sees it: the first of its tests fails at the per-test limit (the shipped
`timeout`), saying where it was, and its other tests fail at once; the other functions keep their points.
Score: full - 1
Reason: still running after this test.s 10 s limit
"""

import time as _time


def diagonal(a):
    _time.sleep(10**6)
