"""The classroom tests' scenarios: student checkouts built from the student edition, and the runs of
the classroom tools on them (grade, the Classroom 50 autograder, the workflow steps, export's own
verification, the hostile corpus).

Each scenario is built once per gate run by a session fixture, synchronously, when a test first needs
it, and runs its subprocesses one at a time with grading jobs one at a time (the hostile corpus, whose
sleepers use no CPU, two): under pytest-xdist a scenario takes about the one CPU its worker has, so
no test waits on a CPU that another test's background work took. Run as a script it is a workflow-steps runner (``python tests/scenarios.py steps ...``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile"
NEIGHBOUR = "99_neighbour"  # an honest second kata next to the attacked one: it must still score fully
# The shipped per-test timeout (10 s) bounds the sleeper and the busy loops, as it does for students;
# a small memory and disk cap keeps the hogs quick; two jobs at a time, since the sleepers use no CPU.
HOSTILE_LIMITS = dict(memory_mb=1024, disk_mb=64, output_kb=16, jobs=2)
SLOW_FIRST = ("hang_blocking_alarm", "sleep_forever", "hang_at_import", "slow_calls", "loop_in_every_function")
# Without bwrap: the cases whose defence does not need the sandbox, and the honest habits.
WITHOUT_SANDBOX = ("print_megabytes", "scratch_files", "write_tests", "spawn_process", "fill_tmp", "patch_isclose",
                   "forge_result_channel", "allocate_50gb", "memfd_hoard", "poison_result_json",
                   "progress_without_secret", "honest_debugging", "honest_dynamo_import")
NEIGHBOUR_POINTS = 15
EINSUM_POINTS = sum(json.loads((REPO / "katas" / "03_einsum" / "kata.json").read_text())["points"].values())
SURVIVOR = "86399"  # outlive_grading starts `sleep 86399`: nothing may be left of it after grading

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def reference_modules(katas) -> dict[str, str]:
    return {f"katas/{k.folder}/{k.module}.py": (REPO / "reference" / k.folder / f"{k.module}.py").read_text()
            for k in katas}


def checkout(edition: Path, dest: Path, files: dict[str, str] | None = None) -> Path:
    """A student's checkout: the handed-out edition with some files replaced."""
    shutil.copytree(edition, dest)
    for relative, text in (files or {}).items():
        (dest / relative).parent.mkdir(parents=True, exist_ok=True)
        (dest / relative).write_text(text)
    return dest


def environment() -> dict[str, str]:
    """What the tools run with: this Python first on PATH, no gate settings."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("KATA_IMPL", "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT"):
        env.pop(name, None)
    return env


@dataclass
class Ran:
    code: int
    output: str


def run(command: list[str], cwd: Path) -> Ran:
    done = subprocess.run(command, cwd=cwd, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace")
    return Ran(done.returncode, done.stdout)


# --------------------------------------------------------------------------------------------------
# the hostile corpus


@dataclass(frozen=True)
class Case:
    reason: str  # a regex the grade must show: the kata's reason, broken message or function details
    score: int  # kata 03's points (EINSUM_POINTS: an honest habit that must keep them all)
    output: str = ""  # a regex the kata's kept output must show
    needs_sandbox: bool = False  # only safe, or only defeated, inside bwrap


def hostile_cases() -> dict[str, Case]:
    """case -> what its grade must show (the docstring's Reason:, Score:, Output: and Needs: lines)."""
    cases = {}
    for path in sorted(HOSTILE.glob("*.py")):
        text = path.read_text()
        fields = dict(re.findall(r"^(Reason|Score|Output|Needs): (.+)$", text, re.MULTILINE))
        assert "Reason" in fields or "Output" in fields, f"{path.name}: its docstring needs a 'Reason:' line"
        cases[path.stem] = Case(fields.get("Reason", "").strip(), points(fields.get("Score", "0")),
                                fields.get("Output", "").strip(), fields.get("Needs", "").strip() == "sandbox")
    return cases


def points(score: str) -> int:
    """A case's ``Score:``: a number, ``full`` (all of kata 03's points) or ``full - N`` (N points short)."""
    full, _, short = score.strip().partition("-")
    return int(score) if full.strip() != "full" else EINSUM_POINTS - int(short or 0)


BUILT_CASES = {  # hostile submissions that are not a module: built by grade_hostile below
    "symlink_to_reference": Case("symlink", 0),
    "symlinked_kata_folder": Case("symlink", 0),
    # graded with the pristine tests (which the stubs fail as "not started"); the files listed as ignored
    "edited_tests_and_conftest": Case("not started", 0),
}

NEIGHBOUR_FILES = {
    "kata.json": json.dumps({"schema": "torch-katas/kata/v1", "title": "an honest neighbour", "module": "neighbour",
                             "points": {"scale": NEIGHBOUR_POINTS}}),
    "neighbour.py": "def scale(x, factor):\n    return x * factor\n",
    "test_neighbour.py": (
        "import pytest\nimport torch\n\nfrom katas.harness import assert_tensor, implementation\n\n"
        "neighbour = implementation(__file__)\n\n\n@pytest.mark.checks('scale')\n"
        "@pytest.mark.parametrize('factor', [2.0, -0.5])\ndef test_scale(factor, device):\n"
        "    x = torch.linspace(-1, 1, 5, device=device)\n"
        "    assert_tensor(neighbour.scale(x, factor), x * factor, hint='multiply')\n"),
}


def neighbour_kata(root: Path) -> None:
    """A tiny honest kata beside kata 03: whatever an attack on 03 does, it keeps full marks."""
    folder = root / "katas" / NEIGHBOUR
    folder.mkdir(parents=True)
    for name, text in NEIGHBOUR_FILES.items():
        (folder / name).write_text(text)


def cpu_half_only(pristine: Path) -> None:
    """The grading tree's tests on the CPU alone: an attack does the same on either device, and the
    CUDA half (emulated here) would double the corpus's time for nothing more it shows. The solved
    checkouts of the other scenarios are graded on both."""
    config = pristine / "pyproject.toml"
    text = config.read_text()
    assert "addopts = [" in text, "the grading tree's pyproject.toml names its pytest options in addopts"
    config.write_text(text.replace("addopts = [", 'addopts = ["--device", "cpu", ', 1))


def grade_hostile(work: Path, isolate: bool | None = None, only: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """Grade every hostile case (and an honest control) in one run: (case -> its grade as JSON, the
    cases graded). ``isolate=False``: without the sandbox, only the cases it does not need."""
    from classroom import bundle, core, export, sandbox
    from classroom.spec import Limits

    manifest = bundle.grading_tree(work / "pristine")
    neighbour_kata(work / "pristine")
    cpu_half_only(work / "pristine")
    edition = work / "edition"
    export.build(edition)
    neighbour_kata(edition)
    reference = (REPO / "reference" / "03_einsum" / "einsum_ops.py").read_text()
    submissions = {"honest_control": checkout(edition, work / "honest_control", {"katas/03_einsum/einsum_ops.py": reference})}
    cases = hostile_cases()
    if isolate is False:
        cases = {name: cases[name] for name in WITHOUT_SANDBOX}
    elif sandbox.why_not_available():  # never let those loose on a bare machine
        cases = {name: case for name, case in cases.items() if not case.needs_sandbox}
    if only:
        cases = {name: case for name, case in cases.items() if name in only}
    for case in sorted(cases, key=lambda c: c not in SLOW_FIRST):
        attack = (HOSTILE / f"{case}.py").read_text()
        submissions[case] = checkout(edition, work / case, {
            "katas/03_einsum/einsum_ops.py": reference + "\n\n# --- the attack ---\n" + attack})
    if isolate is not False and not only:
        cases.update(BUILT_CASES)
        linked = checkout(edition, work / "symlink_to_reference")
        (linked / "katas/03_einsum/einsum_ops.py").unlink()
        (linked / "katas/03_einsum/einsum_ops.py").symlink_to(REPO / "reference/03_einsum/einsum_ops.py")
        submissions["symlink_to_reference"] = linked
        classmate = checkout(edition, work / "classmate", {"katas/03_einsum/einsum_ops.py": reference})
        copier = checkout(edition, work / "symlinked_kata_folder")
        shutil.rmtree(copier / "katas/03_einsum")
        (copier / "katas/03_einsum").symlink_to(os.path.relpath(classmate / "katas/03_einsum", copier / "katas"))
        submissions["symlinked_kata_folder"] = copier
        stub = (edition / "katas/03_einsum/einsum_ops.py").read_text()
        submissions["edited_tests_and_conftest"] = checkout(edition, work / "edited_tests_and_conftest", {
            "katas/03_einsum/einsum_ops.py": stub + "\n# not the handout byte for byte: it really runs\n",
            "katas/03_einsum/test_einsum_ops.py": "import pytest\n\n\n@pytest.mark.checks('matmul')\ndef test_ok():\n    pass\n",
            "conftest.py": "import pytest\n\n\n@pytest.hookimpl(wrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
                           "    report = yield\n    report.outcome = 'passed'\n    return report\n",
            "katas/03_einsum/conftest.py": "collect_ignore = ['test_einsum_ops.py']\n",
            ".github/workflows/classroom.yml": "name: everything passes\n",
        })
    grades = core.grade(list(submissions.values()), work / "pristine", work / "grading",
                        limits=Limits(**HOSTILE_LIMITS), manifest=manifest, only=["03_einsum", NEIGHBOUR],
                        protect=[REPO / "reference", work / "classmate"], names=list(submissions), isolate=isolate)
    return {g.submission: g.to_json() for g in grades}, cases


def hostile_problems(grades: dict, cases: dict[str, Case]) -> list[str]:
    """What the hostile run got wrong: a case's kata 03 off its score or silent on its reason, or the
    honest kata next to it (or the honest control) short of full marks."""
    control = {k["folder"]: k for k in grades["honest_control"]["katas"]}
    problems = [f"honest control, {kata}: {control[kata]['score']}/{full} ({control[kata]['reason']})"
                for kata, full in (("03_einsum", EINSUM_POINTS), (NEIGHBOUR, NEIGHBOUR_POINTS))
                if control[kata]["score"] != full]
    for case, expected in cases.items():
        katas = {k["folder"]: k for k in grades[case]["katas"]}
        attacked, neighbour = katas["03_einsum"], katas[NEIGHBOUR]
        said = " | ".join([attacked["reason"], attacked["broken"],
                           *(f["detail"] or f["status"] for f in attacked["functions"])])
        if attacked["score"] != expected.score:
            problems.append(f"{case}: kata 03 scored {attacked['score']}, expected {expected.score} ({said[:300]})")
        if expected.reason and not re.search(expected.reason, said):
            problems.append(f"{case}: expected the grade to say {expected.reason!r}, it says: {said[:300]}")
        if expected.output and not re.search(expected.output, attacked["output"]):
            problems.append(f"{case}: expected its output to show {expected.output!r}: {attacked['output'][-300:]}")
        if neighbour["score"] != NEIGHBOUR_POINTS:
            problems.append(f"{case}: the honest kata next to it scored {neighbour['score']}: {neighbour['reason']}")
    return problems


def survivors() -> list[str]:
    """Processes still running `sleep 86399` (what outlive_grading started)."""
    found = []
    for name in os.listdir("/proc") if os.path.isdir("/proc") else []:
        try:
            command = (Path("/proc") / name / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if name.isdigit() and command[:2] == [b"/usr/bin/sleep", SURVIVOR.encode()]:
            found.append(name)
    return found


# --------------------------------------------------------------------------------------------------
# the GitHub workflow's steps


def run_steps(commands: Path, out: Path) -> None:
    """Run each workflow step's command in this checkout, in one process so torch is imported once.

    A step's command is `python -m classroom ARGS`, run in the checkout: this calls the checkout's
    own entry point with ARGS.
    """
    sys.path.insert(0, os.getcwd())  # the checkout's classroom package, as `python -m` would find it
    from classroom.__main__ import main

    results = {}
    for command in commands.read_text().splitlines():
        words = shlex.split(command)
        assert words[:3] == ["python", "-m", "classroom"], f"a step runs something else: {command}"
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            code = main([*words[3:], "--jobs", "1"])
        results[command] = {"code": code, "output": output.getvalue()}
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    if sys.argv[1:2] == ["steps"]:  # steps COMMANDS OUT
        run_steps(Path(sys.argv[2]), Path(sys.argv[3]))
