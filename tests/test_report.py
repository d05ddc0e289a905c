"""What instructors and students see after grading: the class report (HTML) and the per-function
feedback (the release body Classroom 50 publishes, and the text of a grading log).

Everything here renders from grades built in memory, with the real katas' functions: no grading runs.
The graded end-to-end runs (`grade --json` then `report`, the bundle's autograder) are checked in
test_classroom.py. Run this file as a script to render a synthetic class: ``python tests/test_report.py
OUT.html [STUDENTS]``.
"""

from __future__ import annotations

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

from classroom import classreport, gradebook  # noqa: E402
from classroom.grades import FunctionGrade, KataGrade, SubmissionGrade  # noqa: E402
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
                     reason=reason, broken=broken)


def submission(name: str, katas: list[KataGrade]) -> SubmissionGrade:
    return SubmissionGrade(name, f"/subs/{name}", sum(k.score for k in katas), sum(k.max_score for k in katas), katas)


def as_json(grades: list[SubmissionGrade]) -> list[dict]:
    return [{**g.to_json(), "run": RUN} for g in grades]


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

    gradebook.write_json(small_class(), tmp_path / "grades", RUN)
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
    names = list(einsum.points)
    statuses = {names[0]: (Status.DONE, ""), names[1]: (Status.FAILING, "einsum_ops.batched_matmul: wrong shape"),
                names[2]: (Status.BLOCKED, "einsum_ops.hadamard: blocked by matmul, which is not implemented yet"),
                names[3]: (Status.SKIPPED, ""), names[4]: (Status.NOT_RUN, "test_x[cpu-row_sums]: not run"),
                names[5]: (Status.NOT_STARTED, "")}
    return submission("alice", [kata_grade(optimizers, broken="SyntaxError: invalid syntax (signum.py, line 3)"),
                                kata_grade(indexing, reason="the kata's process ran past its CPU limit (60 s)"),
                                kata_grade(einsum, statuses)])


def test_release_body_says_each_status_points_message_and_hint():
    grade = every_status()
    body = gradebook.release_body(grade)
    tokens = markdown(body)
    assert body.startswith(f"## torch-katas: {grade.score}/{grade.max_score} points")
    assert sum(t.type == "table_open" for t in tokens) == 1 + len(grade.katas), "the tables parse as tables"
    for kata in grade.katas:
        for f in kata.functions:
            assert re.search(rf"^\| {re.escape(gradebook.md_text(f.function))} \| .*{re.escape(gradebook.md_text(str(f.status)))}.* \| "
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
    body = gradebook.release_body(grade)
    tokens = markdown(body)
    fences = [t for t in tokens if t.type == "fence"]
    assert [f.content for f in fences] == [message.rstrip().replace("\r\n", "\n").replace("\x00", "\ufffd") + "\n"]
    assert not [t for t in tokens if t.type.startswith("html")], "no HTML outside code"
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert not any("pwned" in h or "Heading" in h or "fake" in h for h in headings), headings
    links = [c for t in tokens if t.children for c in t.children if c.type == "link_open"]
    assert not links


def test_release_body_truncates_long_output_and_stays_under_githubs_limit():
    einsum = next(k for k in KATAS if k.folder == "03_einsum")
    long = "x" * 200_000
    one = gradebook.release_body(submission("eve", [kata_grade(einsum, {"hadamard": (Status.FAILING, long)})]))
    assert len(one) < 5000 and "more characters not shown" in one
    fence = next(t for t in markdown(one) if t.type == "fence")
    assert len(fence.content) == gradebook.MESSAGE_CHARS + 1
    lines = "\n".join(f"line {n}" for n in range(1000))
    tall = gradebook.release_body(submission("eve", [kata_grade(einsum, {"hadamard": (Status.FAILING, lines)})]))
    fence = next(t for t in markdown(tall) if t.type == "fence")
    assert fence.content.count("\n") == gradebook.MESSAGE_LINES and "more characters not shown" in tall
    every = gradebook.release_body(submission("eve", [
        kata_grade(k, {f: (Status.FAILING, long) for f in k.points}) for k in KATAS]))
    assert len(every) < 125_000 and "more messages left out" in every
    assert every.count("python -m katas hint") > 20, "as many messages as fit"


def test_log_feedback_shows_the_first_message_indented_with_the_hint():
    grade = every_status()
    einsum = grade.katas[2]
    einsum.functions[1].detail = "einsum_ops.batched_matmul: wrong shape\n::error::forged\n\x1b[2Jcleared"
    text = gradebook.feedback(grade)
    assert "einsum_ops.batched_matmul: wrong shape" in text
    assert "hint: python -m katas hint 03_einsum batched_matmul" in text
    assert "the kata's process ran past its CPU limit (60 s)" in text and "SyntaxError: invalid syntax" in text
    assert not [line for line in text.splitlines() if line.startswith("::")], "a workflow command at a line's start"
    assert "\x1b" not in text
    assert "python -m katas hint 03_einsum matmul " not in text


if __name__ == "__main__":
    out = Path(sys.argv[1])
    classreport.write(as_json(synthetic_class(int(sys.argv[2]) if len(sys.argv) > 2 else 200)), out)
    print(f"wrote {out}")
