"""Attack: block SIGALRM (pytest-timeout's signal) and then loop forever inside a function.

Defeated by: the parent's wall-clock timeout kills the kata's whole process group.
Reason: timed out|CPU time
"""

import signal as _signal


def matmul(a, b):
    _signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGALRM})
    while True:
        pass
