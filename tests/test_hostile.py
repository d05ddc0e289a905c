"""The hostile corpus (tests/hostile/): every attack scores zero for its own kata, every honest habit
keeps its points, an honest kata beside each keeps full marks, and nothing an attack started outlives
grading. Each case is graded once per gate run, in one grading run, and judged on its grade."""

from __future__ import annotations

import shutil
import sys

import pytest
from tests.scenarios import WITHOUT_SANDBOX, hostile_cases, hostile_problems, survivors

pytestmark = pytest.mark.timeout(900)  # its own grading run: ~50 kata jobs one at a time, and the sleepers


@pytest.fixture(scope="session")
def hostile(scenario_root):
    from tests.scenarios import grade_hostile

    return grade_hostile(scenario_root / "hostile")


def test_hostile_submissions_score_zero_for_the_attacked_kata_only(hostile):
    grades, cases = hostile
    if shutil.which("bwrap") and sys.platform.startswith("linux"):
        assert grades["honest_control"]["isolated"], "bwrap is installed, yet grading was not sandboxed"
    problems = hostile_problems(grades, cases)
    ignored = " | ".join(grades["edited_tests_and_conftest"]["ignored"])
    for name in ("katas/03_einsum/test_einsum_ops.py: edited", "conftest.py: edited",
                 "katas/03_einsum/conftest.py: not in the handout", ".github/workflows/classroom.yml: edited"):
        if name not in ignored:
            problems.append(f"edited_tests_and_conftest: {name!r} not reported as ignored: {ignored}")
    if "symlinked_kata_folder" in grades:
        ignored = " | ".join(grades["symlinked_kata_folder"]["ignored"])
        if "katas/03_einsum/einsum_ops.py: a link, or inside a linked folder" not in ignored:
            problems.append(f"symlinked_kata_folder: the linked module is not listed as refused: {ignored}")
    assert not problems, "\n".join(problems)
    assert not survivors(), f"processes started by outlive_grading are still running: {survivors()}"


def test_a_looping_kata_costs_one_limit_per_looping_function(hostile):
    """loop_in_every_function: three functions loop; grading waits one 10 s limit for each, not
    one for each of their 15 tests."""
    grades, _ = hostile
    (kata,) = [k for k in grades["loop_in_every_function"]["katas"] if k["folder"] == "03_einsum"]
    assert kata["seconds"] < 3 * 10 + 25, f"the looping kata took {kata['seconds']} s to grade"


def test_memory_is_counted_by_a_cgroup_where_the_machine_has_one(hostile):
    grades, _ = hostile
    memory = grades["honest_control"]["memory"]
    from classroom.memory import RunCgroup

    cgroup = RunCgroup()
    try:
        assert memory == cgroup.counted_by, f"graded with {memory!r}, this machine offers {cgroup.counted_by!r}"
    finally:
        cgroup.remove()


def test_without_bwrap_grading_still_runs_and_says_so_once(scenario_root, capfd, monkeypatch):
    """No bubblewrap: the same jobs as plain processes, limits and audit hook included, and one clear
    notice that kata code is not OS-isolated (once per grading process: none said before here)."""
    from classroom import isolation
    from tests.scenarios import grade_hostile

    monkeypatch.setattr(isolation, "_noticed", set())
    grades, cases = grade_hostile(scenario_root / "hostile-without-bwrap", isolate=False)
    said = capfd.readouterr().err
    assert not grades["honest_control"]["isolated"]
    assert said.count("NOT OS-isolated") == 1, said[-3000:]
    problems = hostile_problems(grades, {name: cases[name] for name in WITHOUT_SANDBOX})
    assert not problems, "\n".join(problems)
