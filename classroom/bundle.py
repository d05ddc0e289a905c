"""The Classroom 50 autograder folder, and the grading tree `grade` uses (the same thing).

A grading tree is the student edition (the pristine tests, harness, kata.json, config) plus the
hidden tests (``reference/NN_topic/hidden/test_*.py``, copied in as ``katas/NN_topic/test_hidden_*.py``)
and never the reference solutions. ``manifest.json`` lists the handed-out files with their hashes,
so that a grade can say which of a student's files it ignored.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import edition, export
from .intake import manifest_of


def hidden_tests(repo: Path, kata) -> list[Path]:
    return sorted((repo / "reference" / kata.folder / "hidden").glob("test_*.py"))


def grading_tree(out: Path, repo: Path = export.ROOT) -> dict[str, str]:
    """Write a grading tree into ``out``; return the manifest of the handed-out edition."""
    katas = export.build(out, repo)
    manifest = manifest_of(out)
    for kata in katas:
        for test in hidden_tests(repo, kata):
            name = test.name if test.name.startswith("test_hidden") else "test_hidden_" + test.name[len("test_"):]
            shutil.copy2(test, out / "katas" / kata.folder / name)
    return manifest


def build(out: Path, repo: Path = export.ROOT) -> None:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; give a new folder")
    out.mkdir(parents=True, exist_ok=True)
    manifest = grading_tree(out / "pristine", repo)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
    (out / "classroom").mkdir()
    for name in edition.RUNTIME:
        shutil.copy2(Path(__file__).parent / name, out / "classroom" / name)
    (out / "autograder.py").write_text((Path(__file__).parent / "autograder_template.py").read_text())
