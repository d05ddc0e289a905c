"""Attack (or a student's bad day): three functions loop forever. Before, each of their tests waited
out its own 10 s limit: 15 tests, two and a half minutes of grading for one kata.

Handled as the student's own pytest handles it: the first test of a function that runs past its
limit fails saying where the code was, and that function's other tests fail at once; the three
functions are failing and the others keep their points. The kata costs one limit per looping function.
Score: full - 3
Reason: still running after this test.s 10 s limit
"""

import time as _time


def _forever(*args):
    while True:
        _time.sleep(0.05)


matmul = hadamard = outer = _forever
