"""Attack: hold 3 GiB in memory-backed files (os.memfd_create) that no process maps: resident memory
never shows them, and scaled up the machine's OOM killer would pick among everyone's processes.

Defeated by: the job's memory cgroup counts every page it touches, memory-backed files included
(where the machine has no cgroup for it, the watcher adds the memory-backed files the job holds open
to its resident memory); past the limit the job ends and the kata scores zero.
Reason: ran out of memory
"""

import os as _os

_reference_matmul = matmul
_hoard = []


def matmul(a, b):
    chunk = b"\1" * (64 << 20)
    for _ in range(48):  # 3 GiB, 64 MiB at a time
        fd = _os.memfd_create("hoard")
        _os.write(fd, chunk)
        _hoard.append(fd)
    return _reference_matmul(a, b)
