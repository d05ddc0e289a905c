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


class NotAFile(OSError):
    """A link somewhere on the way, or something other than a regular file."""


def read_inside(root: Path, relative: str, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes of ``root/relative``, opened one component at a time without
    following a link anywhere on the way (a linked folder would graft another tree, a classmate's
    say, into the submission). Raises FileNotFoundError, or NotAFile."""
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        *folders, name = relative.split("/")
        for part in folders:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
            os.close(folder)
            folder = inner
        descriptor = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except FileNotFoundError:
        raise
    except OSError as error:  # ELOOP, ENOTDIR: a link on the way
        raise NotAFile(error.errno, error.strerror) from None
    finally:
        os.close(folder)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise NotAFile(0, "not a regular file")
        return handle.read(limit + 1)


def take_module(submission: Path, kata, manifest: dict | None) -> bytes | KataGrade:
    """The submission's kata module, as bytes; a KataGrade when it cannot be graded."""
    relative = module_path(kata)
    try:
        code = read_inside(submission, relative, MAX_MODULE_BYTES)
    except FileNotFoundError:
        return zero(kata, f"{relative} is missing from the submission")
    except NotAFile:
        return zero(kata, f"{relative} is a symlink, inside a linked folder, or not a regular file: only "
                          "regular files are graded")
    if len(code) > MAX_MODULE_BYTES:
        return zero(kata, f"{relative} is larger than {MAX_MODULE_BYTES >> 20} MiB")
    if manifest and manifest.get(relative) == hashlib.sha256(code).hexdigest():
        return zero(kata, "", status=Status.NOT_STARTED)  # the module as handed out: nothing to run
    return code


def digest_inside(root: Path, relative: str) -> str | None:
    """sha256 of ``root/relative`` read as ``read_inside`` does; None when absent; '' when it is a
    link, inside a linked folder, or not a regular file."""
    try:
        return hashlib.sha256(read_inside(root, relative, 1 << 30)).hexdigest()
    except FileNotFoundError:
        return None
    except NotAFile:
        return ""


def ignored_files(submission: Path, manifest: dict[str, str], katas, known=()) -> list[str]:
    """Files of the submission that differ from the handout and were not used for the grade, and the
    modules of ``katas`` refused for a link on the way. A module of a ``known`` kata this run does not
    grade is not listed: its own kata grades it."""
    graded = {module_path(k) for k in katas}
    modules = graded | {module_path(k) for k in known}
    notes = [f"{relative}: a link, or inside a linked folder (refused: only regular files are graded)"
             for relative in sorted(graded) if digest_inside(submission, relative) == ""]
    for relative, digest in manifest.items():
        if relative in modules:
            continue
        found = digest_inside(submission, relative)
        if found == "":
            notes.append(f"{relative}: replaced by a link or folder (ignored: graded with the handed-out copy)")
        elif found is None:
            notes.append(f"{relative}: deleted (ignored: graded with the handed-out copy)")
        elif found != digest:
            notes.append(f"{relative}: edited (ignored: graded with the handed-out copy)")
    seen = 0
    for directory, subdirs, files in os.walk(submission):
        relative_dir = Path(directory).relative_to(submission)
        for name in subdirs:
            if os.path.islink(os.path.join(directory, name)) and name not in SKIP_DIRS:
                notes.append(f"{(relative_dir / name).as_posix()}: a link to a folder (ignored)")
        subdirs[:] = [d for d in subdirs if d not in SKIP_DIRS]
        for name in files:
            seen += 1
            if seen > MAX_FILES_LOOKED_AT:
                return notes + [f"(stopped looking for extra files after {MAX_FILES_LOOKED_AT})"]
            relative = (relative_dir / name).as_posix()
            if relative in manifest or relative in modules:
                continue
            if name.endswith((".py", ".yml", ".yaml", ".toml", ".ini", ".cfg")):
                notes.append(f"{relative}: not in the handout (ignored)")
    return notes
