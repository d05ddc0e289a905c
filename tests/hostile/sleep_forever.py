"""Attack: sleep forever inside a function (no CPU used, so no CPU limit fires).

Graded as the student sees it: the per-test timeout (pytest-timeout, the shipped `timeout`) fails
that function's tests; the other functions keep their points.
Score: 14
Reason: Timeout
"""

import time as _time


def diagonal(a):
    _time.sleep(10**6)
