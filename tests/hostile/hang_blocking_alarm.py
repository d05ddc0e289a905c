"""Attack: block SIGALRM (pytest-timeout's signal) and then loop forever inside a function.

Defeated by: the job's watcher, outside its process: a test that reports nothing for its per-test
limit plus a grace ends the job, whatever signals it blocks (and RLIMIT_CPU backs that up).
Reason: timed out
"""

import signal as _signal


def matmul(a, b):
    _signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGALRM})
    while True:
        pass
