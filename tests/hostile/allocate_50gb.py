"""Attack: allocate 50 GB inside a function (would take the grading machine down).

Defeated by: RLIMIT_AS makes the allocation fail at once; running out of memory zeroes the kata.
Reason: ran out of memory
"""

_reference_matmul = matmul


def matmul(a, b):
    hog = torch.ones(50 * 2**30 // 4)  # 50 GB of float32, touched
    return _reference_matmul(a, b) + hog[0] * 0
