"""Honest habit: a debug print of 64 MB at import. `pytest katas/03_einsum` passes, so grading must too.

Handled by: the job's output goes to its watcher, which keeps the first and last part and says how
much it left out; output is never a reason for zero.
Score: full
Output: bytes of output left out
"""

for _ in range(64):
    print("x" * (1 << 20))
