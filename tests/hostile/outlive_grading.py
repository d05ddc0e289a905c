"""Attack: start a process in a new session, where the audit hook cannot see it, that outlives
grading (to rewrite --json, --csv or result.json once the grader has written them).

Defeated by: in the sandbox every process of a job dies with it (the job is PID 1 of its own PID
namespace) and the grader's files are not in its view; the job's watcher sees the extra process.
The test checks afterwards that no `sleep 86399` survives.
Needs: sandbox
Reason: started a process
"""

import os as _os
import subprocess as _subprocess

import _posixsubprocess

_read, _write = _os.pipe()
_arguments = [[b"/usr/bin/sleep", b"86399"], [b"/usr/bin/sleep"], True, (_write,), None, None,
              -1, -1, -1, -1, -1, -1, _read, _write, True, True, -1, None, None, None, -1, None]
for _extra in ([getattr(_subprocess, "_USE_VFORK", True)], []):
    try:
        _posixsubprocess.fork_exec(*_arguments, *_extra)
        break
    except TypeError:
        continue

import time as _time

_time.sleep(1)
