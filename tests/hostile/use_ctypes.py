"""Attack: use ctypes to write the process's memory (here: overwrite the harness's tolerance table in
place, where no Python code sees it) and return wrong values.

Defeated by: the audit hook refuses ctypes when kata code asks for it. (Native code the hook cannot see
at all is the residual risk the README names: the tmpfs is noexec, so a kata cannot load its own.)
Reason: tried to use ctypes
"""

import ctypes as _ctypes

_libc = _ctypes.CDLL(None)
_ctypes.memmove(_ctypes.c_char_p(b"x"), b"y", 1)


def linear(x, w):
    if x.shape[-1] != w.shape[-1] or w.ndim != 2:
        raise ValueError(f"linear: shapes {tuple(x.shape)} and {tuple(w.shape)} do not fit")
    return torch.einsum("...i,oi->...o", x, w) + 0.5
