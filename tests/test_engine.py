"""The grading engine's pieces, each on its own: the job spec, the channel's protocol, the grader's
pipes to its zygote, reading a job's result strictly, intake, the clipping policy and memory
counting. No kata code runs here."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from classroom.grader import Wire
from classroom.intake import ignored_files, take_module
from classroom.memory import _resident_and_files
from classroom.protocol import Channel, frame, line
from classroom.scoring import Invalid, read_result
from classroom.spec import STARTUP_S, JobSpec, Limits, PlannedTest
from katas.harness.clip import MESSAGE_CHARS, MESSAGE_LINES, clip
from katas.harness.kata import all_katas
from katas.harness.report import RunReport

KATA = next(k for k in all_katas() if k.folder == "03_einsum")
SECRET = b"s" * 32


# --------------------------------------------------------------------------------------------------
# the job spec


def test_limits_are_positive_or_auto_and_travel_as_json():
    limits = Limits(test_timeout_s=3, memory_mb=512, jobs=1)
    assert Limits.from_json(json.loads(json.dumps(limits.to_json()))) == limits
    assert Limits().kata_timeout_s is None, "None is auto"
    for bad in (0, -1, "3", True):
        with pytest.raises(ValueError, match="positive number"):
            Limits(memory_mb=bad)


def test_every_limit_has_its_flag():
    parser = argparse.ArgumentParser()
    Limits.add_flags(parser)
    flags = {action.dest: action for action in parser._actions if action.dest != "help"}
    assert set(flags) == {f.name for f in fields(Limits)}
    args = parser.parse_args(["--test-timeout", "2.5", "--memory-mb", "100", "--jobs", "3"])
    assert Limits.from_args(args) == Limits(test_timeout_s=2.5, memory_mb=100, jobs=3)
    assert all(action.help and "default" in action.help for action in flags.values())


def test_a_job_spec_travels_as_json_and_sizes_its_budget_from_the_tests_that_run():
    tests = (PlannedTest("a::t1", "matmul", 10.0, True), PlannedTest("a::t2", "matmul", 60.0, True),
             PlannedTest("a::t3[cuda]", "matmul", 10.0, False))
    spec = JobSpec(id=3, kind="kata", folders=("03_einsum",), limits=Limits(), module="einsum_ops",
                   source=b"\x00\xffdef f(): pass\n", tests=tests, deny_read=("/x",), area="/tmp/a")
    assert JobSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec
    assert spec.wall_s == STARTUP_S + 70, "a test's own limit counts, a skipped test does not"
    assert spec.cpu_s == spec.wall_s
    assert tests[1].grace_s == 120, "past its 60 s limit, a silent test gets as long again"


# --------------------------------------------------------------------------------------------------
# the channel


def signed_run(tests: int) -> list[bytes]:
    said = [line(SECRET, "collected", tests)]
    for number in range(tests):
        said += [line(SECRET, "start", number), line(SECRET, "end", number)]
    return said


def test_the_channel_follows_a_signed_run_and_its_result():
    channel = Channel(SECRET, 2)
    for said in signed_run(2):
        channel.add(said)
    channel.add(frame(SECRET, {"exit": 0})[:7])  # a frame may come in pieces
    channel.add(frame(SECRET, {"exit": 0})[7:])
    assert not channel.forged and channel.result == {"exit": 0} and channel.progress == 4


@pytest.mark.parametrize("said, why", [
    ([b"start\n"], "does not know"),
    ([line(b"x" * 32, "collected", 2)], "without the job's secret"),
    ([line(SECRET, "collected", 3)], "where the plan has 2"),
    ([line(SECRET, "collected", 2), line(SECRET, "start", 0), line(SECRET, "start", 1)], "out of turn"),
    ([line(SECRET, "collected", 2), line(SECRET, "start", 1), line(SECRET, "end", 1), line(SECRET, "start", 0)],
     "out of turn"),
    ([line(SECRET, "collected", 2), line(SECRET, "start", 2)], "out of turn"),
    ([line(SECRET, "collected", 2), line(SECRET, "end", 0)], "out of turn"),
    ([frame(SECRET, {"exit": 0}).replace(b'"exit": 0', b'"exit": 9')], "result frame without"),
    ([frame(SECRET, {"exit": 0}), line(SECRET, "start", 0)], "more after its result"),
    ([b"x" * 1000], "garbage"),
])
def test_the_channel_refuses_what_the_job_did_not_sign_or_the_plan_does_not_hold(said, why):
    channel = Channel(SECRET, 2)
    for data in said:
        channel.add(data)
    assert why in channel.forged


def test_the_grader_reads_while_it_sends_so_that_two_full_pipes_do_not_wait_on_each_other():
    """A zygote busy writing a big result reads no job spec until the grader takes that result: a
    grader blocked on sending a big spec would wait for it forever."""
    child = subprocess.Popen([sys.executable, "-c", ECHO_AFTER_A_BIG_MESSAGE], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
    try:
        wire = Wire(child.stdin.fileno(), child.stdout.fileno())
        wire.send({"spec": "s" * (4 << 20)})
        assert wire.read(30.0) == {"result": "r" * (4 << 20)}
        assert wire.read(30.0) == {"read": 4 << 20}
    finally:
        child.kill()
        child.wait()


ECHO_AFTER_A_BIG_MESSAGE = """
import json, sys
sys.stdout.write(json.dumps({"result": "r" * (4 << 20)}) + "\\n")
sys.stdout.flush()
message = json.loads(sys.stdin.readline())
sys.stdout.write(json.dumps({"read": len(message["spec"])}) + "\\n")
"""


# --------------------------------------------------------------------------------------------------
# reading a job's result


def planned() -> list[PlannedTest]:
    return [PlannedTest(f"katas/03_einsum/test_einsum_ops.py::test_{f}", f, 10.0, True) for f in KATA.points]


def honest_payload() -> dict:
    from katas.harness.report import FunctionResult, KataResult, TestResult
    from katas.harness.status import Outcome

    functions = [FunctionResult(f, p, [TestResult(f"katas/03_einsum/test_einsum_ops.py::test_{f}", Outcome.PASSED)])
                 for f, p in KATA.points.items()]
    report = RunReport("student", [KataResult(KATA.folder, KATA.title, KATA.module, functions)])
    outcomes = {t.nodeid: {"setup": "passed", "call": "passed", "teardown": "passed"} for t in planned()}
    return json.loads(json.dumps({"exit": 0, "report": report.to_json(), "violations": [], "outcomes": outcomes}))


def test_an_honest_result_reads_back():
    exit_status, ran, violations, outcomes = read_result(honest_payload(), KATA, planned())
    assert exit_status == 0 and violations == [] and len(outcomes) == len(KATA.points)
    assert [f.status.value for f in ran.katas[0].functions] == ["done"] * len(KATA.points)


def poisoned(change) -> dict:
    payload = honest_payload()
    change(payload)
    return payload


RESULTS = lambda p: p["report"]["katas"][0]["functions"][0]["results"]  # noqa: E731


@pytest.mark.parametrize("payload, why", [
    (None, "not a dict"),
    (poisoned(lambda p: p.update(extra=1)), "fields"),
    (poisoned(lambda p: p.update(exit="0")), "exit status"),
    (poisoned(lambda p: p["report"].update(schema="other")), "schema"),
    (poisoned(lambda p: p["report"]["katas"].append(p["report"]["katas"][0])), "other katas"),
    (poisoned(lambda p: p["report"]["katas"][0]["functions"].pop()), "functions"),
    (poisoned(lambda p: RESULTS(p).append(dict(RESULTS(p)[0]))), "twice"),
    (poisoned(lambda p: RESULTS(p)[0].update(nodeid="katas/03_einsum/test_x.py::made_up")), "not one of"),
    (poisoned(lambda p: RESULTS(p)[0].update(outcome="excellent")), "an outcome"),
    (poisoned(lambda p: RESULTS(p)[0].update(message=["a", "list"])), "not a str"),
    (poisoned(lambda p: RESULTS(p)[0].update(message="x" * (3 * MESSAGE_CHARS))), "longer than any"),
    (poisoned(lambda p: RESULTS(p)[0].pop("reason")), "fields"),
    (poisoned(lambda p: p["outcomes"].update({k: 5 for k in p["outcomes"]})), "pytest reports"),
    (poisoned(lambda p: p.update(violations=[{"not": "text"}])), "not a str"),
])
def test_a_result_no_run_could_write_is_refused_with_the_reason(payload, why):
    with pytest.raises(Invalid, match=why):
        read_result(payload, KATA, planned())


# --------------------------------------------------------------------------------------------------
# intake


def test_intake_follows_no_link_anywhere_in_the_path(tmp_path):
    module = f"katas/{KATA.folder}/{KATA.module}.py"
    honest = tmp_path / "honest" / f"katas/{KATA.folder}"
    honest.mkdir(parents=True)
    (honest / f"{KATA.module}.py").write_text("def matmul(a, b): ...\n")
    assert take_module(tmp_path / "honest", KATA, None) == b"def matmul(a, b): ...\n"

    linked_folder = tmp_path / "linked_folder" / "katas"
    linked_folder.mkdir(parents=True)
    (linked_folder / KATA.folder).symlink_to(honest)
    linked_file = tmp_path / "linked_file" / f"katas/{KATA.folder}"
    linked_file.mkdir(parents=True)
    (linked_file / f"{KATA.module}.py").symlink_to(honest / f"{KATA.module}.py")
    linked_root = tmp_path / "linked_root"
    linked_root.mkdir()
    (linked_root / "katas").symlink_to(tmp_path / "honest" / "katas")
    for name in ("linked_folder", "linked_file", "linked_root"):
        grade = take_module(tmp_path / name, KATA, None)
        assert grade.score == 0 and "symlink" in grade.reason, (name, grade)
        notes = ignored_files(tmp_path / name, {}, [KATA])
        assert f"{module}: a link, or inside a linked folder (refused" in " ".join(notes), (name, notes)


# --------------------------------------------------------------------------------------------------
# the clipping policy, and memory


def test_clipping_keeps_head_and_tail_within_the_bounds_and_says_what_it_left_out():
    text = "\n".join(f"line {number}: " + "x" * 90 for number in range(200)) + "\nHint: the last line"
    clipped = clip(text)
    assert len(clipped) <= MESSAGE_CHARS and len(clipped.splitlines()) <= MESSAGE_LINES
    assert clipped.startswith("line 0:") and clipped.endswith("Hint: the last line")
    (note,) = [row for row in clipped.splitlines() if row.startswith("[... ")]
    kept = len(clipped) - len(note) - 2  # head and tail, without the note and its line breaks
    assert note == f"[... {len(text) - kept} characters left out ...]"
    assert clip("short") == "short"


def test_memory_without_a_cgroup_counts_memory_backed_files_the_process_holds():
    before = _resident_and_files(str(os.getpid()))
    descriptor = os.memfd_create("counted")
    try:
        os.write(descriptor, b"\1" * (32 << 20))
        assert _resident_and_files(str(os.getpid())) - before >= 32 << 20
    finally:
        os.close(descriptor)


def test_the_readme_limits_table_names_every_limit_by_its_flag():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    table = readme.split("**Limits**", 1)[1].split("\n\n", 2)[1]
    for f in fields(Limits):
        assert f"`{f.metadata['flag']}`" in table, f"README's limits table lacks {f.metadata['flag']}"
