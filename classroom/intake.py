"""What grading takes from a submission: its kata modules (regular files only, size-capped, read once
and handed to the job as bytes: kata code never sees the submission's folder), and a list of every
other file it changed, which the grade reports as ignored."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from katas.harness.status import Status

from .grades import KataGrade, zero

MAX_MODULE_BYTES = 1 << 20
SKIP_DIRS = {".git", "__pycache__", ".venv", "venv", ".tox", ".pytest_cache", "node_modules", ".mypy_cache"}
MAX_FILES_LOOKED_AT = 20000


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_of(root: Path) -> dict[str, str]:
    """relative path -> sha256 of every file of an edition (what a student was handed)."""
    return {
        p.relative_to(root).as_posix(): sha256(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(root).parts)
    }


def module_path(kata) -> str:
    return f"katas/{kata.folder}/{kata.module}.py"


def take_module(submission: Path, kata, manifest: dict | None) -> bytes | KataGrade:
    """The submission's kata module, as bytes; a KataGrade when it cannot be graded."""
    relative = module_path(kata)
    source = submission / relative
    try:
        info = os.lstat(source)
    except FileNotFoundError:
        return zero(kata, f"{relative} is missing from the submission")
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        return zero(kata, f"{relative} is a symlink or not a regular file: only regular files are graded")
    if info.st_size > MAX_MODULE_BYTES:
        return zero(kata, f"{relative} is larger than {MAX_MODULE_BYTES >> 20} MiB")
    descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as handle:
        code = handle.read(MAX_MODULE_BYTES + 1)
    if len(code) > MAX_MODULE_BYTES:
        return zero(kata, f"{relative} is larger than {MAX_MODULE_BYTES >> 20} MiB")
    if manifest and manifest.get(relative) == hashlib.sha256(code).hexdigest() and not kata.ships_with_bug:
        return zero(kata, "", status=Status.NOT_STARTED)  # the untouched stub: nothing to run
    return code


def ignored_files(submission: Path, manifest: dict[str, str], katas) -> list[str]:
    """Files of the submission that differ from the handout and were not used for the grade."""
    modules = {module_path(k) for k in katas}
    notes = []
    for relative, digest in manifest.items():
        if relative in modules:
            continue
        path = submission / relative
        if path.is_symlink() or (path.exists() and not path.is_file()):
            notes.append(f"{relative}: replaced by a link or folder (ignored: graded with the handed-out copy)")
        elif not path.exists():
            notes.append(f"{relative}: deleted (ignored: graded with the handed-out copy)")
        elif sha256(path) != digest:
            notes.append(f"{relative}: edited (ignored: graded with the handed-out copy)")
    seen = 0
    for directory, subdirs, files in os.walk(submission):
        subdirs[:] = [d for d in subdirs if d not in SKIP_DIRS]
        for name in files:
            seen += 1
            if seen > MAX_FILES_LOOKED_AT:
                return notes + [f"(stopped looking for extra files after {MAX_FILES_LOOKED_AT})"]
            relative = Path(directory, name).relative_to(submission).as_posix()
            if relative in manifest or relative in modules:
                continue
            if name.endswith((".py", ".yml", ".yaml", ".toml", ".ini", ".cfg")):
                notes.append(f"{relative}: not in the handout (ignored)")
    return notes
