"""Honest habit: slow code, half a second of CPU in every call of trace: each test stays well inside
the per-test limit the student's pytest gives it (10 s), but the kata as a whole takes longer than a
fixed CPU budget per kata allowed (60 s by default once every function is this slow; this test's
limits were 2.5 s).

Handled by: each test has the student's per-test limit; a kata's whole budget is that limit times
its number of tests.
Score: full
Reason: done
"""

import time as _time

_reference_trace = trace


def trace(a):
    start = _time.process_time()
    while _time.process_time() - start < 0.5:
        pass
    return _reference_trace(a)
