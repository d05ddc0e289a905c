"""The classroom tooling: export, the autograding workflow, the Classroom 50 bundle, grading.

Everything that runs kata code runs in subprocesses (the gate's own process has run torch, and
forking it would be unsafe), all started right after collection so that they run while the gate
works; this file's tests come last and read their results. Run this file alone as a script (``python tests/test_classroom.py hostile OUT.json``)
and it grades the hostile corpus, which is what the hostile test does in the background.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
HOSTILE = Path(__file__).resolve().parent / "hostile"
CLONE = "99_einsum_clone"  # an honest second kata next to the attacked one: it must still score fully
# The shipped per-test timeout (10 s) bounds the sleeper and the busy loops, as it does for students;
# a small memory and disk cap keeps the hogs quick.
HOSTILE_LIMITS = dict(memory_mb=1024, disk_mb=64, output_kb=16, jobs=4)
SLOW_FIRST = ("hang_blocking_alarm", "sleep_forever", "hang_at_import", "slow_calls")  # they hold a slot longest
# Without bwrap: the cases whose defence does not need the sandbox, and the honest habits.
WITHOUT_SANDBOX = ("print_megabytes", "scratch_files", "write_tests", "spawn_process",
                   "fill_tmp", "patch_isclose", "forge_result_channel", "allocate_50gb")
SURVIVOR = "86399"  # outlive_grading starts `sleep 86399`: nothing may be left of it after grading

# The tests wait on background runs that share two CPUs with everything else: pytest-timeout's
# 20 s (meant for one kata test) would cut them off.
pytestmark = pytest.mark.timeout(900)

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


@dataclass(frozen=True)
class Case:
    reason: str  # a regex the grade must show: the kata's reason, broken message or function details
    score: int  # kata 03's points (15: an honest habit that must keep them all)
    output: str = ""  # a regex the kata's kept output must show
    needs_sandbox: bool = False  # only safe, or only defeated, inside bwrap


def hostile_cases() -> dict[str, Case]:
    """case -> what its grade must show (the docstring's Reason:, Score:, Output: and Needs: lines)."""
    cases = {}
    for path in sorted(HOSTILE.glob("*.py")):
        text = path.read_text()
        fields = dict(re.findall(r"^(Reason|Score|Output|Needs): (.+)$", text, re.MULTILINE))
        assert "Reason" in fields or "Output" in fields, f"{path.name}: its docstring needs a 'Reason:' line"
        score = fields.get("Score", "0").strip()
        cases[path.stem] = Case(fields.get("Reason", "").strip(), 15 if score == "full" else int(score),
                                fields.get("Output", "").strip(), fields.get("Needs", "").strip() == "sandbox")
    return cases


BUILT_CASES = {  # hostile submissions that are not a module: built by grade_hostile below
    "symlink_to_reference": Case("is a symlink", 0),
    # graded with the pristine tests (which the stubs fail as "not started"); the files listed as ignored
    "edited_tests_and_conftest": Case("not started", 0),
}


def grade_hostile(out: Path, isolate: bool | None = None, only: list[str] = ()) -> None:
    """Grade every hostile case (and an honest control) in one run; write the grades to ``out``.
    ``isolate=False``: without the sandbox, only the cases it does not need; ``only``: these cases."""
    from classroom import bundle, core, export, sandbox

    work = Path(tempfile.mkdtemp(prefix="classroom-hostile-"))
    try:
        manifest = bundle.grading_tree(work / "pristine")
        shutil.copytree(work / "pristine" / "katas" / "03_einsum", work / "pristine" / "katas" / CLONE)
        edition = work / "edition"
        export.build(edition)
        reference = (REPO / "reference" / "03_einsum" / "einsum_ops.py").read_text()
        honest = {f"katas/{CLONE}/einsum_ops.py": reference}
        submissions = {"honest_control": checkout(edition, work / "honest_control",
                                                  {**honest, "katas/03_einsum/einsum_ops.py": reference})}
        cases = hostile_cases()
        if isolate is False:
            cases = {name: cases[name] for name in WITHOUT_SANDBOX}
        elif sandbox.why_not_isolated():  # never let those loose on a bare machine
            cases = {name: case for name, case in cases.items() if not case.needs_sandbox}
        if only:
            cases = {name: case for name, case in cases.items() if name in only}
        for case in sorted(cases, key=lambda c: c not in SLOW_FIRST):
            attack = (HOSTILE / f"{case}.py").read_text()
            submissions[case] = checkout(edition, work / case, {
                **honest, "katas/03_einsum/einsum_ops.py": reference + "\n\n# --- the attack ---\n" + attack})
        if isolate is not False and not only:
            linked = checkout(edition, work / "symlink_to_reference", honest)
            (linked / "katas/03_einsum/einsum_ops.py").unlink()
            (linked / "katas/03_einsum/einsum_ops.py").symlink_to(REPO / "reference/03_einsum/einsum_ops.py")
            submissions["symlink_to_reference"] = linked
            stub = (edition / "katas/03_einsum/einsum_ops.py").read_text()
            submissions["edited_tests_and_conftest"] = checkout(edition, work / "edited_tests_and_conftest", {
                **honest,
                "katas/03_einsum/einsum_ops.py": stub + "\n# not the handout byte for byte: it really runs\n",
                "katas/03_einsum/test_einsum_ops.py": "import pytest\n\n\n@pytest.mark.checks('matmul')\ndef test_ok():\n    pass\n",
                "conftest.py": "import pytest\n\n\n@pytest.hookimpl(wrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
                               "    report = yield\n    report.outcome = 'passed'\n    return report\n",
                "katas/03_einsum/conftest.py": "collect_ignore = ['test_einsum_ops.py']\n",
                ".github/workflows/classroom.yml": "name: everything passes\n",
            })
        grades = core.grade(list(submissions.values()), work / "pristine", work / "grading",
                            limits=core.Limits(**HOSTILE_LIMITS), manifest=manifest,
                            protect=[REPO / "reference"], names=list(submissions), isolate=isolate)
        out.write_text(json.dumps({g.submission: g.to_json() for g in grades}, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
# Every subprocess starts at once, right after collection; each test waits for the ones it reads.


class Background:
    def __init__(self, root: Path):
        self.root = root
        self.runs: dict[str, tuple[subprocess.Popen, Path, float]] = {}
        self.env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
                    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        for name in ("KATA_IMPL", "PYTEST_ADDOPTS"):
            self.env.pop(name, None)

    def start(self, name: str, command: list[str] | str, cwd: Path) -> None:
        log = self.root / f"{name}.log"
        handle = open(log, "w")
        process = subprocess.Popen(command, cwd=cwd, env=self.env, stdout=handle, stderr=subprocess.STDOUT,
                                   shell=isinstance(command, str))
        handle.close()
        self.runs[name] = (process, log, time.monotonic())

    def result(self, name: str, timeout: float = 600) -> tuple[int, str]:
        process, log, _ = self.runs[name]
        process.wait(timeout=timeout)
        return process.returncode, log.read_text()

    def stop(self) -> None:
        for process, _, _ in self.runs.values():
            if process.poll() is None:
                process.kill()
                process.wait()


_started: dict = {}  # what start_background built and started, for the classroom fixture


def start_background() -> None:
    """Build the edition, the bundle and the checkouts, and start every run on them.

    tests/conftest.py calls this as soon as collection ends, so the runs go on while the gate
    works in this process; the tests of this file come last and read their results.
    """
    from classroom import bundle, export, workflow

    root = Path(tempfile.mkdtemp(prefix="classroom-tests-"))
    edition = root / "edition"
    katas = export.build(edition)
    solved = reference_modules(katas)
    half = dict(solved)
    first = katas[0]
    wrong = half[f"katas/{first.folder}/{first.module}.py"] + f"\n\n{first.functions[0]} = None\n"
    half[f"katas/{first.folder}/{first.module}.py"] = wrong
    checkouts = {
        "solved": checkout(edition, root / "solved", solved),
        "stubs": checkout(edition, root / "stubs"),
        "half": checkout(edition, root / "half", {**half, f"katas/{first.folder}/README.md": "edited\n"}),
    }
    bundle.build(root / "bundle")
    bundle_pristine = tree_digest(root / "bundle" / "pristine")
    if shutil.which("bwrap"):  # kata code that kills what it sees and leaves a process behind
        attack = "".join((HOSTILE / f"{case}.py").read_text() + "\n" for case in ("kill_other_jobs", "outlive_grading"))
        checkouts["attacker"] = checkout(edition, root / "attacker", {
            **solved, "katas/03_einsum/einsum_ops.py": solved["katas/03_einsum/einsum_ops.py"] + "\n" + attack})
    jobs = Background(root)
    py = sys.executable
    jobs.start("verify", [py, "-c", "import sys; from pathlib import Path; from classroom import export; "
                          "p = export.verify(Path(sys.argv[1])); print('\\n'.join(p)); sys.exit(bool(p))",
                          str(edition)], REPO)
    jobs.start("hostile", [py, str(Path(__file__).resolve()), "hostile", str(root / "hostile.json")], REPO)
    jobs.start("hostile-without-bwrap", [py, str(Path(__file__).resolve()), "hostile-without-bwrap",
                                         str(root / "hostile-without-bwrap.json")], REPO)
    steps = root / "steps.txt"
    steps.write_text("\n".join(workflow.command(kata) for kata in katas))
    for name in ("solved", "stubs"):
        run_in = checkout(edition, root / f"steps-{name}", solved if name == "solved" else None)
        jobs.start(f"steps-{name}", [py, str(Path(__file__).resolve()), "steps", str(steps),
                                     str(root / f"steps-{name}.json")], run_in)
    (root / "steps-half.txt").write_text(workflow.command(first))  # one kata: its first function fails
    jobs.start("steps-half", [py, str(Path(__file__).resolve()), "steps", str(root / "steps-half.txt"),
                              str(root / "steps-half.json")], checkout(edition, root / "steps-half", half))
    for name in ("solved", "stubs"):
        run_in = checkout(edition, root / f"autograder-{name}", solved if name == "solved" else None)
        (run_in / "result.json").write_text('{"score": 999}')  # a committed result must not survive
        (run_in / "release-body.md").write_text("all tests pass\n")  # nor a committed release body
        jobs.start(f"autograder-{name}", [py, str(root / "bundle" / "autograder.py")], run_in)
    # a committed result.json/ folder, and kata code that rewrites the grading tree's tests
    attacked = {**solved, "katas/03_einsum/einsum_ops.py": solved["katas/03_einsum/einsum_ops.py"] + "\n"
                + (HOSTILE / "write_tests.py").read_text()}
    run_in = checkout(edition, root / "autograder-hostile", attacked)
    (run_in / "result.json").mkdir()
    (run_in / "result.json" / "score").write_text("999")
    jobs.start("autograder-hostile", [py, str(root / "bundle" / "autograder.py")], run_in)
    # result.json a link to a file outside the checkout: replaced, never written through
    run_in = checkout(edition, root / "autograder-link")
    (root / "link-target.json").write_text("{}")
    (run_in / "result.json").symlink_to(root / "link-target.json")
    jobs.start("autograder-link", [py, str(root / "bundle" / "autograder.py")], run_in)

    jobs.start("grade", [py, "-m", "classroom", "grade", *(str(p) for p in checkouts.values()),
                         "--json", str(root / "grades"), "--csv", str(root / "gradebook.csv"),
                         "--html", str(root / "graded.html")], REPO)
    _started.update(root=root, edition=edition, katas=katas, jobs=jobs, checkouts=checkouts,
                    bundle_pristine=bundle_pristine)


@pytest.fixture(scope="session")
def classroom():
    if not _started:
        start_background()
    yield _started
    _started["jobs"].stop()
    shutil.rmtree(_started["root"], ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# export


def test_export_holds_the_katas_and_nothing_instructor_only(classroom):
    from classroom import export

    edition, katas = classroom["edition"], classroom["katas"]
    for kata in katas:
        for name in ("README.md", "kata.json", f"{kata.module}.py"):
            assert (edition / "katas" / kata.folder / name).is_file(), f"{kata.folder}/{name} missing"
    for name in ("conftest.py", "pyproject.toml", "README.md", ".github/workflows/classroom.yml",
                 "classroom/core.py", "katas/harness/plugin.py", "katas/__init__.py", "katas/notebook.py"):
        assert (edition / name).is_file(), name
    for name in ("reference", "tests", "tox.ini", "classroom/export.py", "classroom/bundle.py"):
        assert not (edition / name).exists(), f"{name} must not be handed out"
    assert export.leaks(edition) == []
    assert 'testpaths = ["katas"]' in (edition / "pyproject.toml").read_text()


def test_leak_check_finds_reference_bodies(classroom, tmp_path):
    from classroom import export

    kata = classroom["katas"][0]
    copy = checkout(classroom["edition"], tmp_path / "leaky", reference_modules([kata]))
    found = export.leaks(copy)
    assert any(f"{kata.module}.py" in line and "body of reference" in line for line in found), found


def test_export_verifies_itself(classroom):
    code, output = classroom["jobs"].result("verify")
    assert code == 0, output


def test_export_refuses_a_folder_in_use(tmp_path):
    from classroom import export

    (tmp_path / "something").write_text("x")
    with pytest.raises(FileExistsError):
        export.build(tmp_path)


# --------------------------------------------------------------------------------------------------
# the GitHub Classroom workflow


def test_workflow_has_one_grader_step_per_kata_and_the_reporter(classroom):
    from classroom import workflow

    katas = classroom["katas"]
    data = yaml.safe_load((classroom["edition"] / workflow.PATH).read_text())
    assert set(data["on"]) >= {"push", "repository_dispatch"}
    steps = data["jobs"]["run-autograding-tests"]["steps"]
    graders = [s for s in steps if s.get("uses") == "classroom-resources/autograding-command-grader@v1"]
    assert [s["name"] for s in graders] == [k.folder for k in katas], "every kata exactly once, in order"
    for step, kata in zip(graders, katas):
        inputs = step["with"]
        assert set(inputs) == {"test-name", "setup-command", "command", "timeout", "max-score"}
        assert inputs["max-score"] == sum(kata.points.values())
        assert 1 <= inputs["timeout"] <= 10, "minutes: a kata's tests run in seconds"
        assert inputs["command"] == workflow.command(kata)
    ids = [s["id"] for s in graders]
    assert len(set(ids)) == len(ids)
    reporter = steps[-1]
    assert reporter["uses"] == "classroom-resources/autograding-grading-reporter@v1"
    assert reporter["with"]["runners"].split(",") == ids
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}" for i in ids}
    assert steps.index(reporter) > max(steps.index(s) for s in graders)


def test_workflow_steps_pass_on_the_reference_and_fail_on_the_stubs(classroom):
    for name, expected_code in (("solved", 0), ("stubs", 1)):
        code, output = classroom["jobs"].result(f"steps-{name}")
        assert code == 0, output[-3000:]
        results = json.loads((classroom["root"] / f"steps-{name}.json").read_text())
        for kata in classroom["katas"]:
            step = results[workflow_command(kata)]
            assert step["code"] == expected_code, f"{kata.folder} step on the {name} checkout:\n{step['output'][-3000:]}"
            points = sum(kata.points.values())
            assert (f"PASS: {points}/{points}" if name == "solved" else "not started") in step["output"]


def test_workflow_step_log_shows_a_failing_functions_first_message_and_hint(classroom):
    code, output = classroom["jobs"].result("steps-half")
    assert code == 0, output[-3000:]
    first = classroom["katas"][0]
    (step,) = json.loads((classroom["root"] / "steps-half.json").read_text()).values()
    assert step["code"] == 1, step["output"][-3000:]
    function = first.functions[0]
    lines = step["output"].splitlines()
    row = next(n for n, line in enumerate(lines) if line.split()[:1] == [function])
    assert "failing" in lines[row]
    assert lines[row + 1].lstrip().startswith("| "), "the first failure's message, below its function"
    assert f"hint: python -m katas hint {first.folder} {function}" in step["output"]
    assert not [line for line in lines if line.startswith("::")]


def workflow_command(kata) -> str:
    from classroom import workflow

    return workflow.command(kata)


def run_steps(commands: Path, out: Path) -> None:
    """Run each workflow step's command in this checkout, in one process so torch is imported once.

    A step's command is `python -m classroom ARGS`, run in the checkout: this calls the checkout's
    own entry point with ARGS.
    """
    import contextlib
    import io
    import shlex

    sys.path.insert(0, os.getcwd())  # the checkout's classroom package, as `python -m` would find it
    from classroom.__main__ import main

    results = {}
    for command in commands.read_text().splitlines():
        words = shlex.split(command)
        assert words[:3] == ["python", "-m", "classroom"], f"a step runs something else: {command}"
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            code = main(words[3:])
        results[command] = {"code": code, "output": output.getvalue()}
    out.write_text(json.dumps(results, indent=1))


# --------------------------------------------------------------------------------------------------
# the Classroom 50 bundle


def test_bundle_holds_the_grader_and_no_reference(classroom):
    from classroom import export

    bundle = classroom["root"] / "bundle"
    assert (bundle / "autograder.py").is_file()
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest == {p.relative_to(classroom["edition"]).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in classroom["edition"].rglob("*") if p.is_file()}, "the handout, file by file"
    assert [line for line in export.leaks(bundle) if "hidden" not in line] == []


def test_hidden_tests_go_to_the_grading_tree_only(tmp_path):
    """reference/NN_topic/hidden/test_*.py: graded by `grade` and the bundle, never handed out."""
    from classroom import bundle, export

    repo = tmp_path / "repo"
    for name in ("katas", "reference", "conftest.py", "pyproject.toml", "requirements.txt"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, repo / name)
    kata = export.katas_of(repo)[0]
    hidden = repo / "reference" / kata.folder / "hidden"
    hidden.mkdir()
    (hidden / "test_extra.py").write_text(
        "import pytest\nfrom katas.harness import implementation\n\nkata = implementation(__file__)\n\n\n"
        f"@pytest.mark.checks({kata.functions[0]!r})\ndef test_extra():\n    assert kata.{kata.functions[0]}\n")
    edition = tmp_path / "edition"
    export.build(edition, repo)
    assert not [p for p in edition.rglob("*") if "hidden" in p.name or "extra" in p.name]
    tree = tmp_path / "tree"
    manifest = bundle.grading_tree(tree, repo)
    assert (tree / "katas" / kata.folder / "test_hidden_extra.py").is_file()
    assert f"katas/{kata.folder}/test_hidden_extra.py" not in manifest, "not part of what students got"
    shutil.copy2(hidden / "test_extra.py", edition / "katas" / kata.folder / "test_hidden_extra.py")
    assert any("instructor-only" in line for line in export.leaks(edition, repo))


@pytest.mark.parametrize("name", ["solved", "stubs"])
def test_bundle_autograder_writes_a_classroom50_result(classroom, name):
    code, output = classroom["jobs"].result(f"autograder-{name}")
    assert code == 0, output[-3000:]
    result = json.loads((classroom["root"] / f"autograder-{name}" / "result.json").read_text())
    assert result["schema"] == "classroom50/result/v1"
    for key in ("classroom", "assignment", "submission", "commit", "release", "review", "datetime"):
        assert isinstance(result[key], str) and result[key], key
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result["datetime"])
    katas = classroom["katas"]
    expected = [f"{k.folder}::{f}" for k in katas for f in k.points]
    assert [t["test-name"] for t in result["tests"]] == expected, "one entry per kata function"
    for test in result["tests"]:
        assert set(test) >= {"test-name", "passed", "score", "max-score"}
        assert isinstance(test["score"], int) and isinstance(test["passed"], bool)
    assert result["score"] == sum(t["score"] for t in result["tests"])
    assert result["max-score"] == sum(t["max-score"] for t in result["tests"]) == sum(
        sum(k.points.values()) for k in katas)
    if name == "solved":
        assert result["score"] == result["max-score"] and all(t["passed"] for t in result["tests"])
    else:
        assert result["score"] == 0 and not any(t["passed"] for t in result["tests"])

    # beside it, the release body: the same score, and every function with its status and points
    body = (classroom["root"] / f"autograder-{name}" / "release-body.md").read_text(encoding="utf-8")
    assert body.startswith(f"## torch-katas: {result['score']}/{result['max-score']} points"), body[:300]
    # (08's regression_loss ships with the lecture's bug: failing, with its message, from the start)
    status = "done" if name == "solved" else r"(not started|failing, \d+/\d+ tests pass)"
    for test in result["tests"]:
        function = test["test-name"].split("::")[1].replace("_", "\\_")
        assert re.search(rf"^\| {re.escape(function)} \| \S+ {status} \| {test['score']}/{test['max-score']} \|$",
                         body, re.MULTILINE), f"{test['test-name']} in the release body"
    if name == "solved":
        assert "```" not in body, "no messages: nothing failed"


def test_bundle_autograder_replaces_any_result_json_and_keeps_its_grading_tree(classroom):
    """A committed result.json/ folder, or a link, is replaced by the result (never written through),
    and kata code that rewrites the grading tree's tests changes nothing for this run or the next."""
    root = classroom["root"]
    code, output = classroom["jobs"].result("autograder-hostile")
    assert code == 0, output[-3000:]
    result = json.loads((root / "autograder-hostile" / "result.json").read_text())
    assert result["schema"] == "classroom50/result/v1"
    scores = {t["test-name"].split("::")[0]: 0 for t in result["tests"]}
    for test in result["tests"]:
        scores[test["test-name"].split("::")[0]] += test["score"]
    for kata in classroom["katas"]:
        expected = 0 if kata.folder == "03_einsum" else sum(kata.points.values())
        assert scores[kata.folder] == expected, (kata.folder, result["tests"])
    assert any("tried to write" in t["message"] for t in result["tests"] if t["test-name"].startswith("03_einsum"))
    assert tree_digest(root / "bundle" / "pristine") == classroom["bundle_pristine"], "the bundle's tests changed"
    code, output = classroom["jobs"].result("autograder-link")
    assert code == 0, output[-3000:]
    link = root / "autograder-link" / "result.json"
    assert not link.is_symlink() and json.loads(link.read_text())["schema"] == "classroom50/result/v1"
    assert (root / "link-target.json").read_text() == "{}", "written through the link"


# --------------------------------------------------------------------------------------------------
# grade


def test_grade_cli_scores_per_function_with_json_and_csv(classroom):
    code, output = classroom["jobs"].result("grade")
    assert code == 0, output[-3000:]
    root, katas = classroom["root"], classroom["katas"]
    total = sum(sum(k.points.values()) for k in katas)
    grades = {p.stem: json.loads(p.read_text()) for p in (root / "grades").glob("*.json")}
    assert set(grades) == set(classroom["checkouts"])
    assert grades["solved"]["score"] == total
    assert grades["stubs"]["score"] == 0
    first = katas[0]
    lost = first.points[first.functions[0]]
    assert grades["half"]["score"] == total - lost, "partial credit: only the broken function loses points"
    functions = {f["function"]: f for f in grades["half"]["katas"][0]["functions"]}
    assert functions[first.functions[0]]["score"] == 0
    assert all(f["score"] == f["points"] for name, f in functions.items() if name != first.functions[0])
    assert any("README.md: edited" in note for note in grades["half"]["ignored"])
    with open(root / "gradebook.csv") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    assert rows["solved"]["score"] == str(total) and rows["stubs"]["score"] == "0"
    assert rows["half"][f"{first.folder}.{first.functions[0]}"] == "0"
    assert "solved" in output and f"{total}/{total}" in output
    for grade in grades.values():
        assert set(grade["run"]) == {"graded_at", "tests_commit", "uncommitted_changes", "torch", "python"}
        assert re.fullmatch(r"[0-9a-f]{40}|unknown", grade["run"]["tests_commit"])
    if "attacker" in grades:  # it tried to kill every process in sight, and to outlive grading
        scores = {k["folder"]: k["score"] for k in grades["attacker"]["katas"]}
        assert scores.pop("03_einsum") == 0 and all(scores[k.folder] == sum(k.points.values()) for k in katas
                                                    if k.folder in scores), grades["attacker"]
        assert not survivors(), f"processes started by the attacker are still running: {survivors()}"


def test_class_report_from_graded_checkouts(classroom, tmp_path):
    """`grade ... --json grades/` then `report grades/ --html report.html`; and `grade --html` at once."""
    from classroom.__main__ import main

    code, output = classroom["jobs"].result("grade")
    assert code == 0, output[-3000:]
    root = classroom["root"]
    assert main(["report", str(root / "grades"), "--html", str(tmp_path / "report.html")]) == 0
    import torch

    graded = len(classroom["checkouts"])
    for html in ((tmp_path / "report.html").read_text(), (root / "graded.html").read_text()):
        assert f"<b>{graded}</b> submissions" in html and torch.__version__ in html
        assert html.count("<tr data-name=") == graded
        for name in ("solved", "stubs", "half"):
            assert f'<td class="who">{name}</td>' in html


def hostile_problems(grades: dict, cases: dict[str, Case]) -> list[str]:
    """What the hostile run got wrong: a case's kata 03 off its score or silent on its reason, or the
    honest kata next to it (or the honest control) short of full marks."""
    control = {k["folder"]: k for k in grades["honest_control"]["katas"]}
    problems = [f"honest control, {kata}: {control[kata]['score']}/15 ({control[kata]['reason']})"
                for kata in ("03_einsum", CLONE) if control[kata]["score"] != 15]
    for case, expected in cases.items():
        katas = {k["folder"]: k for k in grades[case]["katas"]}
        attacked, clone = katas["03_einsum"], katas[CLONE]
        said = " | ".join([attacked["reason"], attacked["broken"],
                           *(f["detail"] or f["status"] for f in attacked["functions"])])
        if attacked["score"] != expected.score:
            problems.append(f"{case}: kata 03 scored {attacked['score']}, expected {expected.score} ({said[:300]})")
        if expected.reason and not re.search(expected.reason, said):
            problems.append(f"{case}: expected the grade to say {expected.reason!r}, it says: {said[:300]}")
        if expected.output and not re.search(expected.output, attacked["output"]):
            problems.append(f"{case}: expected its output to show {expected.output!r}: {attacked['output'][-300:]}")
        if clone["score"] != 15:
            problems.append(f"{case}: the honest kata next to it scored {clone['score']}: {clone['reason']}")
    return problems


def test_hostile_submissions_score_zero_for_the_attacked_kata_only(classroom):
    """Every attack scores zero for its own kata only, every honest habit keeps its points, and
    nothing an attack started outlives grading."""
    code, output = classroom["jobs"].result("hostile")
    assert code == 0, output[-3000:]
    grades = json.loads((classroom["root"] / "hostile.json").read_text())
    sandboxed = grades["honest_control"]["isolated"]
    if shutil.which("bwrap") and sys.platform.startswith("linux"):
        assert sandboxed, f"bwrap is installed, yet grading was not sandboxed:\n{output[-2000:]}"
    cases = {**hostile_cases(), **BUILT_CASES}
    if not sandboxed:
        cases = {name: case for name, case in cases.items() if not case.needs_sandbox}
    problems = hostile_problems(grades, cases)
    ignored = " | ".join(grades["edited_tests_and_conftest"]["ignored"])
    for name in ("katas/03_einsum/test_einsum_ops.py: edited", "conftest.py: edited",
                 "katas/03_einsum/conftest.py: not in the handout", ".github/workflows/classroom.yml: edited"):
        if name not in ignored:
            problems.append(f"edited_tests_and_conftest: {name!r} not reported as ignored: {ignored}")
    assert not problems, "\n".join(problems)
    assert not survivors(), f"processes started by outlive_grading are still running: {survivors()}"


def test_without_bwrap_grading_still_runs_and_says_so_once(classroom):
    """No bubblewrap: the same jobs as plain processes, limits and audit hook included, and one clear
    notice that kata code is not OS-isolated."""
    code, output = classroom["jobs"].result("hostile-without-bwrap")
    assert code == 0, output[-3000:]
    grades = json.loads((classroom["root"] / "hostile-without-bwrap.json").read_text())
    assert not grades["honest_control"]["isolated"]
    assert output.count("NOT OS-isolated") == 1, output[-3000:]
    cases = hostile_cases()
    problems = hostile_problems(grades, {name: cases[name] for name in WITHOUT_SANDBOX})
    assert not problems, "\n".join(problems)


if __name__ == "__main__":
    if sys.argv[1:2] == ["hostile"]:  # hostile OUT.json [CASE...]
        grade_hostile(Path(sys.argv[2]), only=sys.argv[3:])
    elif sys.argv[1:2] == ["hostile-without-bwrap"]:
        grade_hostile(Path(sys.argv[2]), isolate=False, only=sys.argv[3:])
    elif sys.argv[1:2] == ["steps"]:
        run_steps(Path(sys.argv[2]), Path(sys.argv[3]))
