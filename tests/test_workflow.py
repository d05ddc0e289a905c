"""The GitHub Classroom workflow the edition carries, and its steps run in student checkouts."""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from tests import scenarios
from tests.scenarios import checkout, reference_modules, run

pytestmark = pytest.mark.timeout(600)  # the scenario: every kata's step on two checkouts, in subprocesses


@pytest.fixture(scope="session")
def steps(edition, scenario_root):
    """The steps of the model kata and of the kata handed out with a bug, run in a solved and in an
    untouched checkout, and the first kata's step in one whose first function is wrong: step command
    -> (its exit status, its log), per checkout. (Every kata has its step: the workflow's own test;
    every kata's reference grades fully: the other grading scenarios.)"""
    from classroom import workflow

    folder, katas = edition
    root = scenario_root / "steps"
    root.mkdir()
    solved = reference_modules(katas)
    first = katas[0]
    half = dict(solved)
    half[f"katas/{first.folder}/{first.module}.py"] += f"\n\n{first.functions[0]} = None\n"
    stepped = [k for k in katas if k.folder == "03_einsum" or k.ships_with_bug]
    runs = {"solved": (solved, stepped), "stubs": ({}, stepped), "half": (half, katas[:1])}
    found = {}
    for name, (files, stepped) in runs.items():
        commands = root / f"{name}.txt"
        commands.write_text("\n".join(workflow.command(kata) for kata in stepped))
        ran = run([sys.executable, scenarios.__file__, "steps", str(commands),
                   str(root / f"{name}.json")], checkout(folder, root / name, files))
        assert ran.code == 0, ran.output[-3000:]
        found[name] = json.loads((root / f"{name}.json").read_text())
    return found


def test_workflow_has_one_grader_step_per_kata_and_the_reporter(edition):
    from classroom import workflow

    folder, katas = edition
    data = yaml.safe_load((folder / workflow.PATH).read_text())
    assert set(data["on"]) >= {"push", "repository_dispatch"}
    steps = data["jobs"]["run-autograding-tests"]["steps"]
    pinned = {name: workflow.uses(name).split(" #")[0] for name in ("command-grader", "reporter")}  # YAML drops the comment
    graders = [s for s in steps if s.get("uses") == pinned["command-grader"]]
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
    assert reporter["uses"] == pinned["reporter"]
    assert reporter["with"]["runners"].split(",") == ids
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}" for i in ids}
    assert steps.index(reporter) > max(steps.index(s) for s in graders)


def test_workflow_steps_pass_on_the_reference_and_fail_on_the_stubs(edition, steps):
    from classroom import workflow

    for name, expected_code in (("solved", 0), ("stubs", 1)):
        for kata in (k for k in edition[1] if workflow.command(k) in steps[name]):
            step = steps[name][workflow.command(kata)]
            assert step["code"] == expected_code, f"{kata.folder} step on the {name} checkout:\n{step['output'][-3000:]}"
            points = sum(kata.points.values())
            assert (f"PASS: {points}/{points}" if name == "solved" else "not started") in step["output"]


def test_workflow_step_log_shows_a_failing_functions_first_message_and_hint(edition, steps):
    first = edition[1][0]
    (step,) = steps["half"].values()
    assert step["code"] == 1, step["output"][-3000:]
    function = first.functions[0]
    lines = step["output"].splitlines()
    row = next(n for n, line in enumerate(lines) if line.split()[:1] == [function])
    assert "failing" in lines[row]
    assert lines[row + 1].lstrip().startswith("| "), "the first failure's message, below its function"
    assert f"hint: python -m katas hint {first.folder} {function}" in step["output"]
    assert not [line for line in lines if line.startswith("::")]
