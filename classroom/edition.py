"""What the student edition contains and how it installs, defined once: ``export`` writes it,
``bundle`` grades with it, the workflow, the autograder and the student README install it."""

from __future__ import annotations

import re
import shlex
import shutil

# The students' README.md and README.ru.md are written by export.student_readme, not copied.
ROOT_FILES = ("conftest.py", "requirements.txt", ".gitignore")
FIRST_KATA = "03_einsum"  # the model kata, where both student READMEs (and the top README) say to start
PACKAGES = ("katas", "katas/harness")  # their *.py: the student CLI (python -m katas) and the harness
# The classroom modules that `check` and `grade` need, in the edition and in the Classroom 50 bundle.
RUNTIME = ("__init__.py", "__main__.py", "audit.py", "core.py", "edition.py", "feedback.py", "gradebook.py",
           "grader.py", "grades.py", "intake.py", "isolation.py", "job.py", "judging.py", "memory.py",
           "protocol.py", "sandbox.py", "scoring.py", "similarity.py", "spec.py", "tamper.py", "watcher.py",
           "zygote.py")
HIDDEN = re.compile(r"hidden", re.IGNORECASE)  # hidden tests never leave the instructor's repository
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*hidden*", "*HIDDEN*")
# The torch release the gate validated the course with: the workflow, the autograder, the student
# README and .ci/run install exactly this one (requirements.txt accepts any torch 2.x for students).
TORCH_VERSION = "2.13.0"
# The CPU wheel: a plain `pip install torch` pulls the multi-GB CUDA build.
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def install_commands(python: str = "python", requirements: str = "requirements.txt", quiet: bool = False) -> list[list[str]]:
    """The command that installs what the katas need, the validated torch as its CPU wheel: with the
    CPU index beside PyPI, pip takes `torch 2.x.y+cpu`, which ranks above PyPI's CUDA `2.x.y`."""
    pip = [python, "-m", "pip", "install", *(["--quiet"] if quiet else [])]
    return [[*pip, f"torch=={TORCH_VERSION}", "-r", requirements, "--extra-index-url", TORCH_CPU_INDEX]]


def install_shell(**options) -> str:
    return " && ".join(map(shlex.join, install_commands(**options)))
