"""Attack: block SIGALRM (pytest-timeout's signal), then loop forever while writing progress lines
("start", "end") on every file descriptor, the job's channel among them: a watchdog that trusted
any progress would wait forever, and one budget counted from the CUDA-skipped tests too.

Defeated by: every line on the channel is signed with a secret only the job holds, and checked
against the planned tests; an unsigned line is tampering, and ends the job at once.
Reason: tampered: wrote into the grader's result channel
"""

import os as _os
import signal as _signal


def matmul(a, b):
    _signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGALRM})
    while True:
        for _fd in range(3, 16):
            try:
                _os.write(_fd, b"start\nend\nstart 0 0\nend 0 0\n")
            except OSError:
                pass
