"""Attack: an endless loop at import time.

Defeated by: RLIMIT_CPU ends the kata process (SIGXCPU) once it has used its CPU time.
Reason: CPU time|timed out
"""

while True:
    pass
