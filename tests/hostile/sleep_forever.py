"""Attack: sleep forever inside a function (no CPU used, so no CPU limit fires).

Defeated by: the parent's wall-clock backstop kills the kata's whole process group.
Reason: timed out
"""

import time as _time


def diagonal(a):
    _time.sleep(10**6)
