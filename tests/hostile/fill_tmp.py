"""Attack: fill /tmp (and so the grading machine's disk or memory) at import.

Defeated by: in the sandbox /tmp is the job's own tmpfs, capped in size, and filling it zeroes the
kata; without the sandbox each file the job writes is capped (RLIMIT_FSIZE), and a write past the cap
ends the job, which zeroes the kata too.
Reason: filled its scratch space|tried to write
"""

_chunk = b"x" * (1 << 20)
try:
    with open("/tmp/fill-the-disk", "wb") as _handle:
        for _ in range(4096):  # 4 GiB at most, whatever happens
            _handle.write(_chunk)
except OSError:
    pass
