"""Attack: block SIGALRM (pytest-timeout's signal) and then loop forever inside a function.

Defeated by: RLIMIT_CPU: the kernel ends the process (SIGXCPU), whatever signals it blocks.
Reason: CPU time|timed out
"""

import signal as _signal


def matmul(a, b):
    _signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGALRM})
    while True:
        pass
