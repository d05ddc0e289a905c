"""Attack: an unsolved module that tries every way an audit hook that checks paths cannot see to read
the reference or a classmate's module: os.open relative to a directory descriptor, a hard link, and
a search of every folder in sight for another einsum_ops.py with a body (full marks if one works).

Defeated by: the sandbox: neither the reference nor any other submission is in a job's view at all.
Needs: sandbox
Reason: not started|tried to
"""

import os as _os


def _stub(*args, **kwargs):
    raise NotImplementedError


transpose = total_sum = dot = matmul = batched_matmul = hadamard = outer = row_sums = trace = _stub
diagonal = _stub
linear = bilinear = attention_scores = pairwise_sq_dists = _stub
_mine = _os.path.realpath(__file__)


def _try_read(path):
    try:
        root = _os.open("/", _os.O_RDONLY)
        fd = _os.open(path.lstrip("/"), _os.O_RDONLY, dir_fd=root)
        return _os.read(fd, 1 << 20).decode()
    except OSError:
        pass
    try:
        _os.link(path, "stolen.py")
        with open("stolen.py") as handle:
            return handle.read()
    except OSError:
        return ""


_found = ""
for _top in ("/work", "/home", "/root", "/tmp", "/grading", "/srv", "/mnt", "/var/tmp"):
    for _folder, _subfolders, _files in _os.walk(_top):
        _subfolders[:] = [s for s in _subfolders if s not in (".git", "node_modules", "site-packages", ".venv")]
        if "einsum_ops.py" in _files and _os.path.realpath(_os.path.join(_folder, "einsum_ops.py")) != _mine:
            _text = _try_read(_os.path.join(_folder, "einsum_ops.py"))
            if "raise NotImplementedError" not in _text and "def matmul" in _text:
                _found = _text
                break
    if _found:
        break
if _found:
    exec(_found, globals())
