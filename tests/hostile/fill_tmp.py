"""Attack: fill /tmp (and so the grading machine's disk or memory) at import.

Defeated by: in the sandbox /tmp is the job's own tmpfs, capped in size, and filling it zeroes the
kata; without the sandbox the audit hook refuses writes outside the job's scratch folder.
Reason: filled its scratch space|tried to write
"""

_chunk = b"x" * (1 << 20)
try:
    with open("/tmp/fill-the-disk", "wb") as _handle:
        for _ in range(4096):  # 4 GiB at most, whatever happens
            _handle.write(_chunk)
except OSError:
    pass
