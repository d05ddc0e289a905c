"""Attack: os._exit(0) at import, hoping "exit status 0" reads as "all tests passed".

Defeated by: points come only from the result file the kata process writes after pytest ends.
Reason: before its tests reported
"""

import os

os._exit(0)
