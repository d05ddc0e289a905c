"""Honest habit: slow code, half a second of CPU in every call of trace that gets past its shape
check: each test stays well inside the per-test limit the student's pytest gives it (10 s, with room
for a loaded 2-core machine: a full second per call timed out there), but a fixed CPU budget per kata
(the 60 s grading allowed, once every function is this slow; 2.5 s in this test's old limits) would
zero the kata.

Handled by: each test has the student's per-test limit; a kata's whole budget is that limit times
its number of tests, plus a minute.
Score: full
Reason: done
"""

import time as _time

_reference_trace = trace


def trace(a):
    if a.ndim == 2 and a.shape[0] == a.shape[1]:  # the shape tests get their ValueError at once
        start = _time.process_time()
        while _time.process_time() - start < 0.5:
            pass
    return _reference_trace(a)
