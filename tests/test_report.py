"""What instructors and students see after grading: the class report (HTML) and the per-function
feedback (the release body Classroom 50 publishes, and the text of a grading log).

Everything here renders from grades built in memory, with the real katas' functions: no grading runs.
The graded end-to-end runs (`grade --json` then `report`, the bundle's autograder) are checked in
test_classroom.py. Run this file as a script to render a synthetic class: ``python tests/test_report.py
OUT.html [STUDENTS]``.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from classroom import classreport, feedback, gradebook, similarity  # noqa: E402
from classroom.grades import FunctionGrade, KataGrade, SubmissionGrade  # noqa: E402
from classroom.spec import Limits  # noqa: E402
from katas.harness.clip import MESSAGE_CHARS, MESSAGE_LINES  # noqa: E402
from katas.harness.kata import all_katas  # noqa: E402
from katas.harness.status import Status  # noqa: E402

KATAS = all_katas()
RUN = {"graded_at": "2026-09-01T10:00:00Z", "tests_commit": "0123456789abcdef0123456789abcdef01234567",
       "uncommitted_changes": False, "torch": "2.13.0+cpu", "python": "3.12.3"}
HOSTILE = "````\n# pwned\n<script>alert(1)</script> <img src=x onerror=alert(2)> [link](http://evil) | a | b |\n```"


def kata_grade(kata, statuses: dict[str, tuple[Status, str]] | None = None, *, default: Status = Status.NOT_STARTED,
               reason: str = "", broken: str = "") -> KataGrade:
    functions = []
    for function, worth in kata.points.items():
        status, detail = (statuses or {}).get(function, (default, ""))
        if reason:
            status, detail = Status.ZERO, ""
        elif broken:
            status, detail = Status.BROKEN, ""
        passed = {Status.DONE: 6, Status.FAILING: 3}.get(status, 0)
        functions.append(FunctionGrade(function, worth, worth if status is Status.DONE else 0, status, passed, 6, detail))
    return KataGrade(kata.folder, kata.title, sum(f.score for f in functions), sum(kata.points.values()), functions,
                     reason=reason, broken=broken, test_limit_s=10.0)


def submission(name: str, katas: list[KataGrade]) -> SubmissionGrade:
    return SubmissionGrade(name, f"/subs/{name}", sum(k.score for k in katas), sum(k.max_score for k in katas), katas,
                           isolation="sandbox", memory="memory cgroup v1", limits=Limits().to_json())


def as_json(grades: list[SubmissionGrade]) -> list[dict]:
    return [gradebook.record(g, RUN) for g in grades]


# --------------------------------------------------------------------------------------------------
# fixtures: a small class with one of everything, and a large synthetic one


def small_class() -> list[SubmissionGrade]:
    einsum = next(k for k in KATAS if k.folder == "03_einsum")
    others = [k for k in KATAS if k is not einsum]
    shape = "einsum_ops.hadamard: returned shape ({}, {}), expected ({}, {})\nHint: multiply elementwise: 'ij,ij->ij'"
    return [
        submission("alice", [kata_grade(k, default=Status.DONE) for k in KATAS]),
        submission("bob", [kata_grade(einsum, {"matmul": (Status.DONE, ""), "hadamard": (Status.FAILING, shape.format(2, 3, 3, 2))}),
                           *(kata_grade(k) for k in others)]),
        submission("carol", [kata_grade(einsum, {"hadamard": (Status.FAILING, shape.format(40, 5, 5, 40)),
                                                 "outer": (Status.BLOCKED, "einsum_ops.outer: blocked by matmul, which is not implemented yet")}),
                             *(kata_grade(k) for k in others)]),
        submission("dave <script>alert('name')</script>",
                   [kata_grade(einsum, reason="the kata's process ran past its CPU limit (60 s) " + HOSTILE),
                    *(kata_grade(k) for k in others)]),
        submission("erin", [kata_grade(einsum, broken="SyntaxError: invalid syntax (einsum_ops.py, line 12)"),
                            *(kata_grade(k, default=Status.DONE) for k in others)]),
        submission("mallory", [kata_grade(einsum, {"hadamard": (Status.FAILING, HOSTILE)}), *(kata_grade(k) for k in others)]),
    ]


MESSAGES = [
    "{m}.{f}: returned shape ({a}, {b}), expected ({b}, {a})\nHint: check which axis the subscripts keep",
    "{m}.{f}: has wrong values.\nMismatched elements: {a} / {n} ({p:.1f}%)\nGreatest absolute difference: {x:.4f} at index ({a}, 0)",
    "{m}.{f}: has dtype torch.float32, expected torch.float64 (keep the input's dtype)",
    "{m}.{f}: modified its input `x` in place\nHint: work on a copy, or use out-of-place operations",
    "{m}.{f}: never called torch.einsum: every function in this kata is one (or a few) torch.einsum calls",
]


def synthetic_class(students: int, seed: int = 0) -> list[SubmissionGrade]:
    """A class of ``students`` with abilities spread out: done, failing, blocked and not started
    functions with the harness's kinds of messages, and a few zeroed and broken katas."""
    rng = random.Random(seed)
    grades = []
    for number in range(students):
        ability = rng.betavariate(2, 1.6)
        katas = []
        for kata in KATAS:
            luck = rng.random()
            if luck < 0.02:
                katas.append(kata_grade(kata, reason=rng.choice([
                    "the kata's process ran past its CPU limit (60 s)", "memory limit (3072 MB) exceeded",
                    "tampering: the kata changed torch.allclose during the run", "printed more than 1024 KB of output"])))
                continue
            if luck < 0.04:
                katas.append(kata_grade(kata, broken=f"SyntaxError: invalid syntax ({kata.module}.py, line {rng.randint(5, 90)})"))
                continue
            statuses = {}
            for function in kata.points:
                r = rng.random()
                if r < ability:
                    statuses[function] = (Status.DONE, "")
                elif r < ability + (1 - ability) * 0.45:
                    a, b = rng.randint(2, 64), rng.randint(2, 64)
                    message = rng.choice(MESSAGES[:3] if rng.random() < 0.8 else MESSAGES).format(
                        m=kata.module, f=function, a=a, b=b, n=a * b, p=100 * a / (a * b + 1), x=rng.random())
                    statuses[function] = (Status.FAILING, message)
                elif r < ability + (1 - ability) * 0.5:
                    statuses[function] = (Status.BLOCKED, f"{kata.module}.{function}: blocked by a function that is not implemented yet")
            katas.append(kata_grade(kata, statuses))
        grades.append(submission(f"student-{number:03d}", katas))
    return grades


class Page(HTMLParser):
    """The tags and attributes of an HTML page, and its text."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def count(self, tag: str, **attrs) -> int:
        return sum(t == tag and all(a.get(k) == v for k, v in attrs.items()) for t, a in self.tags)


# --------------------------------------------------------------------------------------------------
# the class report


def test_report_shows_heatmap_shares_messages_histograms_zeroed_and_the_run():
    grades = as_json(small_class())
    html = classreport.render(grades)
    page, text = Page(html), "".join(Page(html).text)
    functions = sum(len(k.points) for k in KATAS)

    cells = [a for t, a in page.tags if t == "td" and "c" in a.get("class", "").split()]
    assert len(cells) == len(grades) * functions, "one heatmap cell per student and function"
    assert page.count("th", **{"data-sort": "name"}) == 1 and page.count("th", **{"data-sort": "total"}) == 1
    assert sum(1 for t, a in page.tags if t == "th" and re.fullmatch(r"k\d+", a.get("data-sort", ""))) == len(KATAS)
    # the table reads without colour: each status has its own glyph, and the tooltip says it in words
    glyphs = {status: look[1] for status, look in classreport.LOOK.items()}
    assert len(set(glyphs.values())) == len(glyphs)
    assert any(a["title"].startswith("bob · 03_einsum.hadamard: failing (3/6 tests pass)") for a in cells)

    # per function: shares, and bob's and carol's shape mistakes counted as one message
    row = re.search(r"<tr><td><code>hadamard</code>.*?</tr>", html, re.S).group(0)
    assert "1 (17%)" in row, "done: alice"
    assert "3 (50%)" in row, "failing: bob, carol, mallory"
    assert "<b>2×</b> <code>returned shape (…), expected (…)</code>" in row
    # per kata: a histogram with its median, per kata and for the whole class
    assert page.count("svg", role="img") > len(KATAS)
    assert "median" in text and text.count("full marks") == len(KATAS) + 1
    # zeroed and broken, with the reasons
    assert "ran past its CPU limit (60 s)" in text and "SyntaxError: invalid syntax" in text
    # the run
    for value in ("2026-09-01", RUN["tests_commit"], "2.13.0+cpu", "3.12.3", "6</b> submissions"):
        assert value in html, value


def test_report_escapes_everything_and_needs_nothing_from_outside():
    html = classreport.render(as_json(small_class()))
    page = Page(html)
    assert page.count("script") == 1, "only the sorting script: no student text became a tag"
    assert page.count("img") == 0 and "<script>alert" not in html
    assert "dave &lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in html
    for tag, attrs in page.tags:
        assert "src" not in attrs and not tag.startswith("link"), (tag, attrs)
        assert attrs.get("href", "#").startswith("#"), (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    assert "<table id=\"heatmap\">" in html and "student-" not in html  # the rows are in the page itself


def test_report_of_old_grades_without_run_info_says_unknown():
    grades = [g.to_json() for g in small_class()]
    html = classreport.render(grades)
    assert "<code>unknown</code>" in html


def test_report_of_200_submissions_renders_in_under_2_s_and_2_mb():
    grades = as_json(synthetic_class(200))
    start, cpu = time.perf_counter(), time.process_time()
    html = classreport.render(grades)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    size = len(html.encode())
    print(f"class report of 200 submissions: {seconds:.3f} s ({cpu:.3f} s of CPU), {size / 1e6:.2f} MB")
    # CPU time: the gate's background grading shares the machine's cores with this test
    assert cpu < 2.0 and size < 2_000_000, (seconds, cpu, size)


def test_report_cli_reads_a_folder_of_grades_and_skips_other_json(tmp_path):
    from classroom.__main__ import main

    gradebook.save(as_json(small_class()), tmp_path / "grades")
    (tmp_path / "grades" / "notes.json").write_text('{"not": "a grade"}')
    assert main(["report", str(tmp_path / "grades"), "--html", str(tmp_path / "report.html")]) == 0
    html = (tmp_path / "report.html").read_text()
    assert "6</b> submissions" in html and RUN["tests_commit"] in html
    assert main(["report", str(tmp_path / "nothing"), "--html", str(tmp_path / "x.html")]) == 2


def chromium() -> str | None:
    return next((found for name in ("chromium", "chromium-browser", "google-chrome") if (found := shutil.which(name))), None)


@pytest.mark.timeout(300)  # a browser's start, on a machine busy with the gate's background grading
def test_report_renders_in_a_headless_browser(tmp_path):
    browser = chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium; .ci/run installs it): "
                    "the report was checked as HTML only, not rendered")
    report = classreport.write(as_json(synthetic_class(30, seed=3)), tmp_path / "report.html")
    artifacts = Path(os.environ.get("KATAS_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "class-report.png"
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1400,1000", report.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"no screenshot from {browser}"
    assert shot.stat().st_size > 20_000, "the screenshot is (nearly) blank"
    dom = subprocess.run([*flags, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert 'class="js"' in dom, "the sorting script did not run"
    assert dom.count("<tr data-name=") == 30
    print(f"screenshot of the class report: {shot}")


# --------------------------------------------------------------------------------------------------
# the release body and the log feedback


def markdown(body: str):
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py (requirements-instructor.txt) parses the "
                                      "release body as CommonMark")
    return markdown_it.MarkdownIt("commonmark").enable("table").parse(body)


def every_status() -> SubmissionGrade:
    einsum = next(k for k in KATAS if k.folder == "03_einsum")
    indexing = next(k for k in KATAS if k.folder == "02_indexing")
    optimizers = next(k for k in KATAS if k.folder == "01_optimizers")
    statuses = {"matmul": (Status.DONE, ""), "batched_matmul": (Status.FAILING, "einsum_ops.batched_matmul: wrong shape"),
                "hadamard": (Status.BLOCKED, "einsum_ops.hadamard: blocked by matmul, which is not implemented yet"),
                "outer": (Status.SKIPPED, ""), "row_sums": (Status.NOT_RUN, "test_x[cpu-row_sums]: not run"),
                "trace": (Status.NOT_STARTED, "")}
    return submission("alice", [kata_grade(optimizers, broken="SyntaxError: invalid syntax (signum.py, line 3)"),
                                kata_grade(indexing, reason="the kata's process ran past its CPU limit (60 s)"),
                                kata_grade(einsum, statuses)])


def test_release_body_says_each_status_points_message_and_hint():
    grade = every_status()
    body = feedback.release_body(grade)
    tokens = markdown(body)
    assert body.startswith(f"## torch-katas: {grade.score}/{grade.max_score} points")
    assert sum(t.type == "table_open" for t in tokens) == 1 + len(grade.katas), "the tables parse as tables"
    for kata in grade.katas:
        for f in kata.functions:
            assert re.search(rf"^\| {re.escape(feedback.md_text(f.function))} \| .*{re.escape(feedback.md_text(str(f.status)))}.* \| "
                             rf"{f.score}/{f.points} \|$", body, re.MULTILINE), f"{kata.folder}.{f.function}"
    fences = [t.content for t in tokens if t.type == "fence"]
    assert fences == ["SyntaxError: invalid syntax (signum.py, line 3)\n",
                      "the kata's process ran past its CPU limit (60 s)\n",
                      "einsum_ops.batched_matmul: wrong shape\n",
                      "einsum_ops.hadamard: blocked by matmul, which is not implemented yet\n",
                      "test_x[cpu-row_sums]: not run\n"], "a message for broken, zero, failing, blocked and not run only"
    assert "`python -m katas hint 03_einsum batched_matmul`" in body
    assert "`pytest katas/03_einsum -k batched_matmul`" in body
    assert "python -m katas hint 03_einsum matmul" not in body, "no hint for a function that is done"
    assert "2 of 3 katas" not in body and "0 of 3 katas complete" in body


@pytest.mark.parametrize("message", [
    HOSTILE,
    "`" * 40 + " a run of backticks longer than any fence " + "`" * 41,
    "</details><details open><summary>fake</summary>\n\n# Heading\n\n| x |\n|---|\n",
    "~~~\nnot a fence\n~~~\n\x1b[31mred\x1b[0m \x00 \r\n@everyone #1",
])
def test_release_body_keeps_hostile_messages_inside_their_code_block(message):
    einsum = next(k for k in KATAS if k.folder == "03_einsum")
    grade = submission("eve", [kata_grade(einsum, {"hadamard": (Status.FAILING, message)},
                                          reason="")])
    body = feedback.release_body(grade)
    tokens = markdown(body)
    fences = [t for t in tokens if t.type == "fence"]
    unwrapped = [f.content.replace("\n  ", "") for f in fences]  # a line past MESSAGE_WIDTH goes on indented
    assert unwrapped == [message.rstrip().replace("\r\n", "\n").replace("\x00", "\ufffd") + "\n"]
    assert not [t for t in tokens if t.type.startswith("html")], "no HTML outside code"
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert not any("pwned" in h or "Heading" in h or "fake" in h for h in headings), headings
    links = [c for t in tokens if t.children for c in t.children if c.type == "link_open"]
    assert not links


def test_release_body_truncates_long_output_and_stays_under_githubs_limit():
    einsum = next(k for k in KATAS if k.folder == "03_einsum")
    long = "x" * 200_000
    one = feedback.release_body(submission("eve", [kata_grade(einsum, {"hadamard": (Status.FAILING, long)})]))
    assert len(one) < 5000
    fence = next(t for t in markdown(one) if t.type == "fence")
    assert len(fence.content) <= MESSAGE_CHARS + 1 and "characters left out ...]" in fence.content
    lines = "\n".join(f"line {n}" for n in range(1000))
    tall = feedback.release_body(submission("eve", [kata_grade(einsum, {"hadamard": (Status.FAILING, lines)})]))
    fence = next(t for t in markdown(tall) if t.type == "fence")
    assert fence.content.count("\n") <= MESSAGE_LINES and fence.content.rstrip().endswith("line 999")
    every = feedback.release_body(submission("eve", [
        kata_grade(k, {f: (Status.FAILING, long) for f in k.points}) for k in KATAS]))
    assert len(every) < 125_000 and "more messages left out" in every
    assert every.count("python -m katas hint") > 20, "as many messages as fit"


def test_log_feedback_shows_the_first_message_indented_with_the_hint():
    grade = every_status()
    einsum = grade.katas[2]
    einsum.functions[1].detail = "einsum_ops.batched_matmul: wrong shape\n::error::forged\n\x1b[2Jcleared"
    text = feedback.log_text(grade)
    assert "einsum_ops.batched_matmul: wrong shape" in text
    assert "hint: python -m katas hint 03_einsum batched_matmul" in text
    assert "the kata's process ran past its CPU limit (60 s)" in text and "SyntaxError: invalid syntax" in text
    assert not [line for line in text.splitlines() if line.startswith("::")], "a workflow command at a line's start"
    assert "\x1b" not in text
    assert "python -m katas hint 03_einsum matmul " not in text


def test_release_body_wraps_a_long_message_so_its_end_stays_on_screen():
    einsum = next(k for k in KATAS if k.folder == "03_einsum")
    message = ("einsum_ops.hadamard: returned shape (3, 4), expected (4, 3) " * 6
               + "Hint: a letter in every input and in the output is multiplied elementwise")
    body = feedback.release_body(submission("eve", [kata_grade(einsum, {"hadamard": (Status.FAILING, message)})]))
    fence = next(t for t in markdown(body) if t.type == "fence")
    lines = fence.content.splitlines()
    assert len(lines) > 3 and all(len(line) <= feedback.MESSAGE_WIDTH for line in lines), lines
    assert "Hint:" in lines[-1] or "Hint:" in lines[-2], "the hint, on screen"
    assert " ".join(fence.content.split()) == " ".join(message.split()), "every word kept, in order"


# --------------------------------------------------------------------------------------------------
# the terminal: a few lines per student


def with_edited_tests(grade: SubmissionGrade) -> SubmissionGrade:
    grade.ignored = ["katas/03_einsum/test_einsum_ops.py: edited (ignored: graded with the handed-out copy)",
                     "conftest.py: edited (ignored: graded with the handed-out copy)",
                     "katas/03_einsum/conftest.py: not in the handout (ignored)",
                     ".github/workflows/classroom.yml: edited (ignored: graded with the handed-out copy)"]
    return grade


def test_table_golden_one_line_per_kata_and_one_per_function_to_look_at():
    assert gradebook.table(with_edited_tests(every_status())) == """\
== alice: 1/41 points
   01_optimizers   0/11  broken: SyntaxError: invalid syntax (signum.py, line 3)
   02_indexing     0/12  zero: the kata's process ran past its CPU limit (60 s)
   03_einsum       1/18  1 done, 1 failing, 1 blocked, 1 not run, 1 skipped, 9 not started
      batched_matmul: failing, 3/6 tests pass: einsum_ops.batched_matmul: wrong shape
      hadamard: blocked: einsum_ops.hadamard: blocked by matmul, which is not implemented yet
      row_sums: not run: test_x[cpu-row_sums]: not run
   ignored (graded with the handed-out copies): katas/03_einsum/test_einsum_ops.py: edited; conftest.py: edited; \
katas/03_einsum/conftest.py: not in the handout; and 1 more"""
    solved = gradebook.table(small_class()[0]).splitlines()
    assert len(solved) == 1 + len(KATAS) and all(line.endswith("  done") for line in solved[1:])


def test_summary_golden_full_kata_names_and_the_legend_only_when_used():
    records = as_json(small_class()[:3]) + [gradebook.absent("zoe", "/subs/zoe", "no such folder", RUN)]
    lines = gradebook.summary(records).splitlines()
    assert lines[0] == ("submission    total  01_optimizers  02_indexing  03_einsum  04_init  05_parametrizations  "
                        "06_distributions  07_forward_ad  08_pitfalls")
    assert lines[2] == ("alice         95/95          11/11        12/12      18/18      6/6                14/14  "
                        "           14/14          10/10        10/10")
    assert lines[-1] == ("zoe               –              –            –          –        –                    –  "
                         "               –              –            –  not graded: no such folder")
    assert "!" not in "\n".join(lines), "no legend for a mark that does not appear"
    marked = gradebook.summary(as_json(small_class()))
    assert "0/18!" in marked and marked.endswith("(! = the kata scored zero for a reason shown above)")


def test_points_are_counted_in_words_with_one_point_singular():
    assert gradebook.plural(1, "point") == "1 point" and gradebook.plural(0, "point") == "0 points"
    optimizers = next(k for k in KATAS if k.folder == "01_optimizers")
    one = submission("ann", [kata_grade(optimizers)])
    one.max_score = 1
    assert gradebook.table(one).startswith("== ann: 0/1 point\n")
    html = classreport.render(as_json(small_class()))
    assert not re.search(r"(?<![\d.])1 points", html) and "(1 point)" in html


# --------------------------------------------------------------------------------------------------
# grades as JSON: regrading merges, the gradebook and the report come from the JSON alone


def regraded(grade: SubmissionGrade, folder: str, status: Status, when: str) -> dict:
    """``grade`` regraded for one kata only, by a later run."""
    kata = next(k for k in KATAS if k.folder == folder)
    again = submission(grade.submission, [kata_grade(kata, default=status)])
    return gradebook.record(again, {**RUN, "graded_at": when})


def test_regrading_one_kata_keeps_the_others_with_their_own_run(tmp_path):
    bob = small_class()[1]
    (path, first, said), = gradebook.save(as_json([bob]), tmp_path / "grades")
    assert said == f"wrote {path}" and first["score"] == 1
    (_, merged, said), = gradebook.save([regraded(bob, "02_indexing", Status.DONE, "2026-09-08T10:00:00Z")],
                                        tmp_path / "grades", merge_katas=True)
    assert said == f"updated {path}: 02_indexing regraded, 7 other katas kept; now 13/95"
    assert json.loads(path.read_text()) == merged
    assert [k["folder"] for k in merged["katas"]] == [k.folder for k in KATAS], "every kata, in order"
    katas = {k["folder"]: k for k in merged["katas"]}
    assert katas["02_indexing"]["score"] == 12 and katas["03_einsum"]["score"] == 1, "the rest as graded before"
    assert katas["02_indexing"]["run"]["graded_at"] == "2026-09-08T10:00:00Z"
    assert katas["03_einsum"]["run"]["graded_at"] == RUN["graded_at"]
    assert merged["score"] == 13 and merged["max_score"] == 95
    html = classreport.render([merged])
    assert "2026-09-08" in html and "2026-09-01" in html, "The run lists both runs"
    # without --kata, a grade replaces the file
    (_, replaced, _), = gradebook.save([regraded(bob, "02_indexing", Status.DONE, "2026-09-09T10:00:00Z")],
                                       tmp_path / "grades")
    assert [k["folder"] for k in replaced["katas"]] == ["02_indexing"]


def test_regrading_a_grade_written_before_katas_had_their_own_run(tmp_path):
    old = small_class()[1].to_json() | {"run": RUN}  # the JSON of earlier releases
    path = tmp_path / "bob.json"
    path.write_text(json.dumps(old))
    (_, merged, _), = gradebook.save([regraded(small_class()[1], "03_einsum", Status.DONE, "2026-09-08T10:00:00Z")],
                                     path, merge_katas=True)
    kept = next(k for k in merged["katas"] if k["folder"] == "01_optimizers")
    assert kept["run"]["graded_at"] == RUN["graded_at"] and merged["score"] == 18


def test_a_submission_not_graded_now_keeps_its_earlier_grade(tmp_path):
    gradebook.save(as_json(small_class()[:1]), tmp_path / "grades")
    (path, kept, said), = gradebook.save([gradebook.absent("alice", "/subs/alice", "no such folder", RUN)],
                                         tmp_path / "grades")
    assert kept["score"] == 95 and json.loads(path.read_text())["score"] == 95
    assert said == f"kept the earlier grade in {path} (alice: not graded now)"


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_report_rebuilds_the_csv_gradebook_from_the_json_alone(tmp_path):
    from classroom.__main__ import main

    records = as_json(small_class()) + [gradebook.absent("zoe", "/subs/zoe", "no such folder", RUN)]
    written = gradebook.save(records, tmp_path / "grades")
    gradebook.write_csv(sorted(records, key=lambda r: next(p.name for p, d, _ in written if d is r)),
                        tmp_path / "direct.csv")  # in the order the files are read back: by file name
    assert main(["report", str(tmp_path / "grades"), "--csv", str(tmp_path / "rebuilt.csv")]) == 0
    rows = read_csv(tmp_path / "rebuilt.csv")
    assert rows == read_csv(tmp_path / "direct.csv"), "the same gradebook, from the files alone"
    by_name = {row["submission"]: row for row in rows}
    assert by_name["alice"]["score"] == "95" and by_name["bob"]["03_einsum.matmul"] == "1"
    assert by_name["zoe"]["not_graded"] == "no such folder" and by_name["zoe"]["03_einsum"] == ""
    assert "ran past its CPU limit" in by_name["dave <script>alert('name')</script>"]["zero_reasons"]
    assert main(["report", str(tmp_path / "grades"), "--csv", str(tmp_path / "g.csv"), "--html",
                 str(tmp_path / "r.html")]) == 0 and (tmp_path / "r.html").is_file()


def test_missing_and_empty_submissions_are_one_line_and_one_row_each(tmp_path, capsys):
    from classroom.__main__ import main

    (tmp_path / "empty").mkdir()
    missing, empty = tmp_path / "missing", tmp_path / "empty"
    assert main(["grade", str(missing), str(empty), "--json", str(tmp_path / "grades"),
                 "--csv", str(tmp_path / "gradebook.csv")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["== missing: not graded: no such folder",
                       "== empty: not graded: no katas/ folder in it (an empty or unrelated checkout)"], out
    assert not [line for line in out if "deleted" in line]
    rows = read_csv(tmp_path / "gradebook.csv")
    assert [(row["submission"], row["not_graded"]) for row in rows] == [
        ("missing", "no such folder"), ("empty", "no katas/ folder in it (an empty or unrelated checkout)")]
    assert {p.name for p in (tmp_path / "grades").iterdir()} == {"missing.json", "empty.json"}


# --------------------------------------------------------------------------------------------------
# the report shows integrity, similarity and the run


def troubled_class() -> list[dict]:
    """A class whose grading met everything: a loop at the per-test limit, 5 MB of output, tampering,
    edited tests, no sandbox, a missing submission."""
    einsum = next(k for k in KATAS if k.folder == "03_einsum")
    others = [k for k in KATAS if k is not einsum]
    loop = kata_grade(einsum, {"matmul": (Status.FAILING, "Failed: Timeout (>10.0s) from pytest-timeout.")})
    loud = kata_grade(einsum, default=Status.DONE)
    loud.output = ("x" * 100 + "\n[... 5242880 bytes of output left out: a grade keeps the first and last 32 KiB "
                   "of a kata's output ...]\n")
    cheat = kata_grade(einsum, reason="tampered: changed torch.allclose (seen after test_values): kata code may not "
                                      "change it")
    grades = [submission("looper", [loop, *(kata_grade(k) for k in others)]),
              submission("printer", [loud, *(kata_grade(k) for k in others)]),
              submission("cheater", [cheat, *(kata_grade(k) for k in others)]),
              with_edited_tests(submission("editor", [kata_grade(k) for k in KATAS]))]
    records = as_json(grades)
    records[1]["katas"][0]["run"]["isolated"] = False
    return records + [gradebook.absent("ghost", "/subs/ghost", "no such folder", RUN)]


def section_of(html: str, anchor: str) -> str:
    return html.split(f'<h2 id="{anchor}"', 1)[1].split("<h2", 1)[0]


def test_report_shows_limits_output_cut_tampering_edited_tests_and_absence():
    records = troubled_class()
    looper = records[0]["katas"][0]
    assert looper["limits_met"] == [{"function": "matmul", "limit": "a test ran past its 10 s limit"}]
    assert gradebook.findings({"functions": [{"function": "matmul", "detail": LOOPED}]})["limits_met"] == [
        {"function": "matmul", "limit": "a test ran past its 10 s limit (at einsum_ops.py:195 in matmul)"}]
    assert records[1]["katas"][0]["output_left_out"] == 5242880
    assert records[2]["katas"][0]["tampering"].startswith("tampered: changed torch.allclose")
    html = classreport.render(records)
    integrity = "".join(Page(section_of(html, "integrity")).text)
    for said in ("03_einsum.matmul: a test ran past its 10 s limit", "03_einsum: 5,242,880 bytes of output left out",
                 "03_einsum: tampered: changed torch.allclose", "03_einsum: graded without the OS sandbox",
                 "4 files it changed besides its kata modules", "katas/03_einsum/test_einsum_ops.py: edited",
                 "not graded: no such folder"):
        assert said in integrity, said
    assert html.count('class="flag"') == 5, "a flag after each of the five names"
    looper_grade = submission("looper", [kata_grade(next(k for k in KATAS if k.folder == "03_einsum"))])
    assert gradebook.table(looper_grade, gradebook.finding_texts(records[0])).splitlines()[-1] == \
        "   seen: 03_einsum.matmul: a test ran past its 10 s limit", "the terminal says it too"
    # the loop's failure keeps its limit where failures are grouped
    assert "<code>Failed: Timeout (&gt;10.0s) from pytest-timeout.</code>" in section_of(html, "functions")


def test_report_lists_the_limits_and_the_isolation_in_force():
    run = "".join(Page(section_of(classreport.render(troubled_class()), "run")).text)
    assert ("limits: each test 10 s; a kata's whole run 60 s plus every test's 10 s (wall clock), its CPU time as "
            "long as its wall clock; memory 3072 MiB; scratch space 256 MiB; output kept: the first and last "
            "32 KiB") in run, run
    assert "kata code ran in: the bubblewrap sandbox, processes only (no OS sandbox)" in run


LOOPED = ("einsum_ops.matmul: still running after this test's 10 s limit, at einsum_ops.py:195 in matmul (an "
          "endless loop, or far too slow?). The other tests of matmul are not run.")  # the harness's message


def test_normalize_keeps_a_limit_with_its_unit_and_masks_plain_numbers():
    assert classreport.normalize("Failed: Timeout (>10.0s) from pytest-timeout.") == \
        "Failed: Timeout (>10.0s) from pytest-timeout."
    assert classreport.normalize(LOOPED) == ("still running after this test's 10 s limit, at einsum_ops.py:# in matmul "
                                             "(an endless loop, or far too slow?). The other tests of matmul are not run.")
    assert classreport.normalize("m.f: expected 0.5, got 3.25.") == "expected #, got #."
    assert classreport.normalize("m.f: returned shape (2, 3), expected (3, 2)") == "returned shape (…), expected (…)"


def test_report_takes_each_status_from_the_grades():
    """08's regression_loss ships with a bug: grading says "not started" until the kata is touched, and the
    report counts what the grade says, never re-deriving it from the tests' counts."""
    pitfalls = next(k for k in KATAS if k.folder == "08_pitfalls")
    grades = [submission(f"s{n}", [kata_grade(pitfalls)]) for n in range(3)]
    for grade in grades:  # what the untouched, shipped-with-a-bug function's grade holds
        function = next(f for f in grade.katas[0].functions if f.function == "regression_loss")
        function.passed, function.expected, function.detail = 0, 6, "pitfalls.regression_loss: wrong values"
    row = re.search(r"<tr><td><code>regression_loss</code>.*?</tr>", classreport.render(as_json(grades)), re.S)[0]
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells[:3] == ["0 (0%)", "0 (0%)", "3 (100%)"], "done, failing, not started"


# --------------------------------------------------------------------------------------------------
# similarity signals

EINSUM_STUB = (REPO / "katas" / "03_einsum" / "einsum_ops.py").read_bytes()
EINSUM_REFERENCE = (REPO / "reference" / "03_einsum" / "einsum_ops.py").read_bytes()
HONEST = b'''"""My einsum kata."""
import torch


def matmul(a, b):
    if a.dim() != 2 or b.dim() != 2 or a.size(1) != b.size(0):
        raise ValueError(f"matmul: cannot multiply shapes {tuple(a.shape)} and {tuple(b.shape)}")
    return torch.einsum("ij,jk->ik", a, b)


def batched_matmul(a, b):
    ok = a.dim() == 3 and b.dim() == 3 and a.size(0) == b.size(0) and a.size(2) == b.size(1)
    if not ok:
        raise ValueError(f"batched_matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not fit")
    return torch.einsum("nij,njk->nik", a, b)


def hadamard(a, b):
    if a.shape != b.shape:
        raise ValueError(f"hadamard: shapes {tuple(a.shape)} and {tuple(b.shape)} differ")
    return torch.einsum("...,...->...", a, b)


def outer(u, v):
    if u.dim() != 1 or v.dim() != 1:
        raise ValueError(f"outer: need two vectors, got shapes {tuple(u.shape)} and {tuple(v.shape)}")
    return torch.einsum("i,j->ij", u, v)
'''
OTHER_OUTER = b'''def outer(u, v):
    if u.ndim == 1 and v.ndim == 1:
        return torch.einsum("a,b->ab", u, v)
    raise ValueError(f"outer: u and v must be 1-D, got {list(u.shape)} and {list(v.shape)}")
'''


def renamed(code: bytes) -> bytes:
    """The module disguised: other names, other comments and docstrings, other layout."""
    text = code.decode()
    text = re.sub(r'"""(.|\n)*?"""', '"""Written by me."""', text)
    text = re.sub(r"#.*", "# my own note", text)
    for old, new in (("tensors", "ts"), ("function", "fn"), ("expected", "want"), (r"\bok\b", "fine"),
                     (r"\ba\b", "left"), (r"\bb\b", "right"), (r"\bx\b", "inp"), (r"\bw\b", "weight")):
        text = re.sub(old, new, text)
    return text.replace(", ", " ,  ").replace("\n\n\n", "\n\n\n\n").encode()


def graded_with(modules: dict[str, bytes]) -> list[dict]:
    einsum = next(k for k in KATAS if k.folder == "03_einsum")
    records = as_json([submission(name, [kata_grade(einsum, default=Status.DONE)]) for name in modules])
    for record, code in zip(records, modules.values()):
        record["katas"][0]["similarity"] = similarity.signature(code, EINSUM_STUB, EINSUM_REFERENCE)
    return records


def test_similarity_names_identical_and_disguised_copies_and_reference_copies():
    records = graded_with({"ann": HONEST, "ben": HONEST, "cat": renamed(HONEST), "dan": HONEST + b"\n# mine\n",
                           "eve": EINSUM_REFERENCE, "fay": renamed(EINSUM_REFERENCE)})
    found = {s.groups: s.what for s in similarity.signals(records)}
    assert found[(("ann", "ben"),)].startswith("identical modules"), "one signal per group of identical modules"
    assert found[(("ann", "ben"), ("cat",))].startswith("nearly identical once names and layout are taken out"), found
    assert found[(("ann", "ben"), ("dan",))].startswith("nearly identical")
    assert found[(("cat",), ("dan",))].startswith("nearly identical")
    assert found[(("eve",),)] == "identical to the reference solution"
    assert "matches the reference solution" in found[(("fay",),)], found
    assert (("eve",), ("fay",)) in found, "a disguised copy of a classmate who copied the reference"
    assert len(found) == 7, "and nothing else: an honest module is no copy of the reference"


def test_similarity_says_nothing_about_different_solutions_or_untouched_stubs():
    records = graded_with({"ann": HONEST, "stub1": EINSUM_STUB, "stub2": EINSUM_STUB, "ref": EINSUM_REFERENCE})
    assert similarity.signals(records) == [similarity.Signal("03_einsum", (("ref",),), "identical to the reference solution")]
    assert similarity.signature(EINSUM_STUB, EINSUM_STUB)["fingerprints"] == [], "the handout is nobody's own code"
    one_of_four = re.sub(rb"def outer.*", b"", HONEST, flags=re.S) + OTHER_OUTER
    assert [s.what[:16] for s in similarity.signals(graded_with({"ann": HONEST, "bea": one_of_four}))] == \
        ["nearly identical"], "three of four functions alike"
    alone = graded_with({"ann": b"import torch\n\n\n" + OTHER_OUTER, "bea": HONEST})
    assert similarity.signals(alone) == [], "one function in common is no signal"


def test_similarity_fingerprints_a_module_that_does_not_parse():
    broken = HONEST.replace(b"def outer(u, v):", b"def outer(u, v:")
    assert similarity.signature(broken, EINSUM_STUB)["fingerprints"]
    assert similarity.signals(graded_with({"ann": broken, "bob": broken}))[0].what.startswith("identical modules")


def test_similarity_tokens_ignore_names_comments_docstrings_and_layout():
    one = 'def f(a, b):\n    """Doc."""\n    # why\n    return torch.einsum("ij,jk->ik", a, b)\n'
    two = 'def g(x,y):\n    "Other doc."\n    return torch.einsum( "ij,jk->ik",\n        x, y )  # note\n'
    assert similarity.tokens(one) == similarity.tokens(two) == [
        "def", "V", "(", "V", ",", "V", ")", ":", "return", "V", ".", "einsum", "(", '"ij,jk->ik"', ",", "V", ",",
        "V", ")"]


def test_report_and_gradebook_show_the_similarity_signals(tmp_path):
    records = graded_with({"ann": HONEST, "ben": HONEST, "eve": EINSUM_REFERENCE})
    found = similarity.signals(records)
    text = "".join(Page(section_of(classreport.render(records), "similarity")).text)
    assert "03_einsumann, benidentical modules" in text and "eveidentical to the reference solution" in text
    gradebook.write_csv(records, tmp_path / "g.csv")
    rows = {row["submission"]: row for row in read_csv(tmp_path / "g.csv")}
    assert rows["ann"]["similarity"] == f"03_einsum: {found[1].what} (with ben)"
    assert rows["eve"]["similarity"] == "03_einsum: identical to the reference solution"
    assert gradebook.signals_text(records).splitlines()[1:] == [
        "   03_einsum: eve: identical to the reference solution", f"   03_einsum: ann, ben: {found[1].what}"]


def test_similarity_of_a_class_of_150_takes_well_under_a_second():
    rng = random.Random(1)
    lines = HONEST.decode().splitlines()
    modules = {f"s{n:03d}": "\n".join(line + (f"  # {rng.random()}" if rng.random() < 0.3 else "")
                                      for line in lines).encode() for n in range(150)}
    records = graded_with(modules)
    cpu = time.process_time()
    found = similarity.signals(records)
    assert time.process_time() - cpu < 1.0 and len(found) == 150 * 149 // 2


if __name__ == "__main__":
    out = Path(sys.argv[1])
    classreport.write(as_json(synthetic_class(int(sys.argv[2]) if len(sys.argv) > 2 else 200)), out)
    print(f"wrote {out}")


def test_every_status_and_outcome_has_its_look_in_every_display():
    """A status or outcome added to katas/harness/status.py shows everywhere, or this fails."""
    from classroom import feedback
    from katas.harness import plugin, table
    from katas.harness.status import Outcome

    for display, looks in (("the release body's marks", feedback.MARK), ("the class report's cells", classreport.LOOK),
                           ("the progress table's colours", table.COLORS)):
        missing = [str(status) for status in Status if status not in looks]
        assert not missing, f"{display} lack {missing}"
    glyphs = [look[1] for look in classreport.LOOK.values()]
    assert len(set(glyphs)) == len(glyphs), "each status its own glyph in the class report"
    assert set(plugin.LOOK) == set(Outcome), "every outcome has its progress letter (or none, said so)"
    letters = [letter for letter, _ in plugin.LOOK.values() if letter]
    assert len(set(letters)) == len(letters) and all(f"{letter} " in plugin.LETTERS for letter in letters)
    assert set(feedback.EXPLAINED) <= set(Status)
