"""The Classroom 50 bundle: what `python -m classroom bundle` writes, and its autograder run in
student checkouts as the runner runs it."""

from __future__ import annotations

import hashlib
import json
import re
import sys

import pytest
from tests.scenarios import HOSTILE, checkout, reference_modules, run, tree_digest

pytestmark = pytest.mark.timeout(600)  # the scenario: four autograder runs, each grading every kata, one job at a time


@pytest.fixture(scope="session")
def autograded(edition, scenario_root):
    """The bundle, and its autograder run in checkouts: solved, the stubs, a hostile one (kata code in
    kata 03 that rewrites the grading tree's tests, kata 04 solved after it, and a committed
    result.json/ folder) and one whose result.json is a link out of the checkout."""
    from classroom import bundle

    folder, katas = edition
    root = scenario_root / "autograder"
    bundle.build(root / "bundle")
    pristine = tree_digest(root / "bundle" / "pristine")
    solved = reference_modules(katas)
    checkouts = {"solved": checkout(folder, root / "solved", solved), "stubs": checkout(folder, root / "stubs")}
    for run_in in checkouts.values():
        (run_in / "result.json").write_text('{"score": 999}')  # a committed result must not survive
        (run_in / "release-body.md").write_text("all tests pass\n")  # nor a committed release body
    attack = solved["katas/03_einsum/einsum_ops.py"] + "\n" + (HOSTILE / "write_tests.py").read_text()
    after = {name: code for name, code in solved.items() if name.startswith("katas/04_")}
    checkouts["hostile"] = checkout(folder, root / "hostile", {**after, "katas/03_einsum/einsum_ops.py": attack})
    (checkouts["hostile"] / "result.json").mkdir()
    (checkouts["hostile"] / "result.json" / "score").write_text("999")
    checkouts["link"] = checkout(folder, root / "link")
    (root / "link-target.json").write_text("{}")
    (checkouts["link"] / "result.json").symlink_to(root / "link-target.json")
    ran = {name: run([sys.executable, str(root / "bundle" / "autograder.py"), "--jobs", "1"], where)
           for name, where in checkouts.items()}
    return {"root": root, "katas": katas, "edition": folder, "pristine": pristine, "ran": ran}


def result_of(autograded, name: str) -> dict:
    ran = autograded["ran"][name]
    assert ran.code == 0, ran.output[-3000:]
    return json.loads((autograded["root"] / name / "result.json").read_text())


def test_bundle_holds_the_grader_and_no_reference(autograded):
    from classroom import export

    bundle = autograded["root"] / "bundle"
    assert (bundle / "autograder.py").is_file()
    manifest = json.loads((bundle / "manifest.json").read_text())
    edition = autograded["edition"]
    assert manifest == {p.relative_to(edition).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in edition.rglob("*") if p.is_file()}, "the handout, file by file"
    assert [line for line in export.leaks(bundle) if "hidden" not in line] == []


@pytest.mark.parametrize("name", ["solved", "stubs"])
def test_bundle_autograder_writes_a_classroom50_result(autograded, name):
    result = result_of(autograded, name)
    assert result["schema"] == "classroom50/result/v1"
    for key in ("classroom", "assignment", "submission", "commit", "release", "review", "datetime"):
        assert isinstance(result[key], str) and result[key], key
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result["datetime"])
    katas = autograded["katas"]
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
    body = (autograded["root"] / name / "release-body.md").read_text(encoding="utf-8")
    assert body.startswith(f"## torch-katas: {result['score']}/{result['max-score']} points"), body[:300]
    # (08's regression_loss ships with the lecture's bug: failing, with its message, from the start)
    status = "done" if name == "solved" else r"(not started|failing, \d+/\d+ tests pass)"
    for test in result["tests"]:
        function = test["test-name"].split("::")[1].replace("_", "\\_")
        assert re.search(rf"^\| {re.escape(function)} \| \S+ {status} \| {test['score']}/{test['max-score']} \|$",
                         body, re.MULTILINE), f"{test['test-name']} in the release body"
    if name == "solved":
        assert "```" not in body, "no messages: nothing failed"


def test_bundle_autograder_replaces_any_result_json_and_keeps_its_grading_tree(autograded):
    """A committed result.json/ folder, or a link, is replaced by the result (never written through),
    and kata code that rewrites the grading tree's tests changes nothing for this run (kata 04,
    graded after it, keeps its points) or the next."""
    result = result_of(autograded, "hostile")
    assert result["schema"] == "classroom50/result/v1"
    scores = {t["test-name"].split("::")[0]: 0 for t in result["tests"]}
    for test in result["tests"]:
        scores[test["test-name"].split("::")[0]] += test["score"]
    for kata in autograded["katas"]:
        expected = sum(kata.points.values()) if kata.folder == "04_init" else 0
        assert scores[kata.folder] == expected, (kata.folder, result["tests"])
    assert any("tried to write" in t["message"] for t in result["tests"] if t["test-name"].startswith("03_einsum"))
    assert tree_digest(autograded["root"] / "bundle" / "pristine") == autograded["pristine"], "the bundle's tests changed"
    link = autograded["root"] / "link" / "result.json"
    assert result_of(autograded, "link")["schema"] == "classroom50/result/v1"
    assert not link.is_symlink()
    assert (autograded["root"] / "link-target.json").read_text() == "{}", "written through the link"
