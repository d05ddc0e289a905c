"""Attack: sys.exit(0) at import.

Defeated by: the harness loader catches SystemExit as a broken module; no test passes.
Reason: SystemExit
"""

import sys

sys.exit(0)
