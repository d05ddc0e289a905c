"""Grading checkouts with `python -m classroom grade`: per-function points, the JSON, the CSV and
the class report; and the pieces of the grading engine a grade rests on, each on its own."""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys

import pytest
from tests.scenarios import HOSTILE, REPO, checkout, reference_modules, run, survivors

pytestmark = pytest.mark.timeout(600)  # the scenario: one grading run of four checkouts, every kata, one job at a time


@pytest.fixture(scope="session")
def graded(edition, scenario_root):
    """`grade` on a solved checkout, the untouched stubs, one with the first kata solved but its first
    function wrong (and its README edited) and, where bwrap runs, an attacker that kills what it sees and leaves a process (in
    kata 03, with kata 04 solved beside it)."""
    folder, katas = edition
    root = scenario_root / "grade"
    solved = reference_modules(katas)
    first = katas[0]
    module = f"katas/{first.folder}/{first.module}.py"
    half = {module: solved[module] + f"\n\n{first.functions[0]} = None\n",
            f"katas/{first.folder}/README.md": "edited\n"}
    checkouts = {
        "solved": checkout(folder, root / "solved", solved),
        "stubs": checkout(folder, root / "stubs"),
        "half": checkout(folder, root / "half", half),
    }
    if shutil.which("bwrap"):
        attack = "".join((HOSTILE / f"{case}.py").read_text() + "\n" for case in ("kill_other_jobs", "outlive_grading"))
        checkouts["attacker"] = checkout(folder, root / "attacker", {
            "katas/04_init/initializers.py": solved["katas/04_init/initializers.py"],
            "katas/03_einsum/einsum_ops.py": solved["katas/03_einsum/einsum_ops.py"] + "\n" + attack})
    ran = run([sys.executable, "-m", "classroom", "grade", *map(str, checkouts.values()), "--jobs", "1",
               "--json", str(root / "grades"), "--csv", str(root / "gradebook.csv"),
               "--html", str(root / "graded.html")], REPO)
    assert ran.code == 0, ran.output[-3000:]
    grades = {p.stem: json.loads(p.read_text()) for p in (root / "grades").glob("*.json")}
    return {"root": root, "katas": katas, "checkouts": checkouts, "output": ran.output, "grades": grades}


def test_grade_cli_scores_per_function_with_json_and_csv(graded):
    root, katas, grades = graded["root"], graded["katas"], graded["grades"]
    total = sum(sum(k.points.values()) for k in katas)
    assert set(grades) == set(graded["checkouts"])
    assert grades["solved"]["score"] == total
    assert grades["stubs"]["score"] == 0
    first = katas[0]
    lost = first.points[first.functions[0]]
    assert grades["half"]["score"] == sum(first.points.values()) - lost, "partial credit: only the wrong function loses"
    functions = {f["function"]: f for f in grades["half"]["katas"][0]["functions"]}
    assert functions[first.functions[0]]["score"] == 0
    assert all(f["score"] == f["points"] for name, f in functions.items() if name != first.functions[0])
    assert any("README.md: edited" in note for note in grades["half"]["ignored"])
    with open(root / "gradebook.csv") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    assert rows["solved"]["score"] == str(total) and rows["stubs"]["score"] == "0"
    assert rows["half"][f"{first.folder}.{first.functions[0]}"] == "0"
    assert "solved" in graded["output"] and f"{total}/{total}" in graded["output"]
    for grade in grades.values():
        assert set(grade["run"]) == {"graded_at", "tests_commit", "uncommitted_changes", "torch", "python"}
        assert re.fullmatch(r"[0-9a-f]{40}|unknown", grade["run"]["tests_commit"])
        assert grade["limits"]["memory_mb"] == 3072 and grade["memory"] and grade["isolation"]
    if "attacker" in grades:  # it tried to kill every process in sight, and to outlive grading
        scores = {k["folder"]: k["score"] for k in grades["attacker"]["katas"]}
        init = next(k for k in katas if k.folder == "04_init")
        assert scores["03_einsum"] == 0 and scores["04_init"] == sum(init.points.values()), grades["attacker"]
        assert not survivors(), f"processes started by the attacker are still running: {survivors()}"


def test_class_report_from_graded_checkouts(graded, tmp_path):
    """`grade ... --json grades/` then `report grades/ --html report.html`; and `grade --html` at once."""
    import torch

    from classroom.__main__ import main

    root = graded["root"]
    assert main(["report", str(root / "grades"), "--html", str(tmp_path / "report.html")]) == 0
    count = len(graded["checkouts"])
    for html in ((tmp_path / "report.html").read_text(), (root / "graded.html").read_text()):
        assert f"<b>{count}</b> submissions" in html and torch.__version__ in html
        assert html.count("<tr data-name=") == count
        for name in ("solved", "stubs", "half"):
            assert f'<td class="who">{name}</td>' in html
