"""What the student edition contains and how it installs, defined once: ``export`` writes it,
``bundle`` grades with it, the workflow, the autograder and the student README install it."""

from __future__ import annotations

import re
import shlex
import shutil

# README.ru.md: the students' README in Russian (the English one is written by export.student_readme).
ROOT_FILES = ("conftest.py", "requirements.txt", ".gitignore", "README.ru.md")
PACKAGES = ("katas", "katas/harness")  # their *.py: the student CLI (python -m katas) and the harness
# The classroom modules that `check` and `grade` need, in the edition and in the Classroom 50 bundle.
RUNTIME = ("__init__.py", "__main__.py", "audit.py", "core.py", "edition.py", "gradebook.py", "grader.py",
           "grades.py", "intake.py", "isolation.py", "job.py", "memory.py", "protocol.py", "sandbox.py",
           "scoring.py", "spec.py", "tamper.py", "watcher.py", "zygote.py")
HIDDEN = re.compile(r"hidden", re.IGNORECASE)  # hidden tests never leave the instructor's repository
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*hidden*", "*HIDDEN*")
# The CPU wheel: a plain `pip install torch` pulls the multi-GB CUDA build.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def install_commands(python: str = "python", requirements: str = "requirements.txt", quiet: bool = False) -> list[list[str]]:
    """The commands that install what the katas need: CPU torch first, then the rest."""
    pip = [python, "-m", "pip", "install", *(["--quiet"] if quiet else [])]
    return [[*pip, "torch", "--index-url", TORCH_CPU_INDEX], [*pip, "-r", requirements]]


def install_shell(**options) -> str:
    return " && ".join(map(shlex.join, install_commands(**options)))
