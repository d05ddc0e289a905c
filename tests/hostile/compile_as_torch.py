"""Attack: compile code under a file name inside torch (compile() lets the caller choose it), so that
an audit hook trusting code by its file name takes the code's request for the stack's frames for
torch's own, then clear the violations it finds.

Defeated by: code that kata code compiles may not claim a file of torch's or of the standard library;
the attempt is refused and recorded.
Reason: tried to compile code that claims to come from
"""

import torch as _torch

_source = "import sys\nframe = sys._getframe(1)\n"
try:
    exec(compile(_source, _torch.__file__, "exec"), {})
except PermissionError:
    pass
