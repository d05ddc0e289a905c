"""Attack: allocate 50 GB inside a function, 256 MB at a time, every page touched (would take the
grading machine down).

Defeated by: the job's watcher reads its resident memory (no address-space limit: that breaks CUDA)
and ends it past the memory limit; running out of memory zeroes the kata.
Reason: ran out of memory
"""

_reference_matmul = matmul


def matmul(a, b):
    hog = [torch.ones(2**26) for _ in range(200)]  # 200 x 256 MB of float32, touched
    return _reference_matmul(a, b) + hog[0][0] * 0
