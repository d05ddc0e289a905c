"""Attack: start a shell (to read files, or leave a process behind that outlives the grader).

Defeated by: the audit hook refuses process creation in kata code and records it (processes started
by ways it cannot see: ``outlive_grading``).
Reason: tried to start a process
"""

import os as _os

try:
    _os.system("sleep 1000 &")
except OSError:
    pass
