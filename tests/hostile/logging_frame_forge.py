"""Attack: get a real frame from logging.currentframe() (the standard library's helper that hands its
caller's frame back), walk up to the job's locals, take the result channel's secret, and write a
signed "everything passed" result for doubled values.

Defeated by: the audit hook lets a frame-asking standard-library helper through only when the code
object that called it is the one that keeps the frame to itself (logging's findCaller), never by the
file it lives in: logging.currentframe() called from kata code is refused and recorded. Were a frame
reached anyway, the judge (a process kata code never runs in) would find every value doubled.
Reason: tried to reach the grader's frames|tried to use the grader's frames|the judge's check
"""

import json as _json
import logging as _logging
import os as _os


def _forge():
    frame = _logging.currentframe()
    while frame is not None:
        secret = frame.f_locals.get("secret")
        if isinstance(secret, bytes):
            from classroom.protocol import frame as _signed

            _os.write(3, _signed(secret, {"exit": 0, "report": {}, "violations": [], "outcomes": {}}))
            _os._exit(83)
        frame = frame.f_back


_reference_matmul = matmul


def matmul(a, b):
    try:
        _forge()
    except PermissionError:
        pass
    return _reference_matmul(a, b) * 2


_json.dumps  # the forged frame is plain JSON
