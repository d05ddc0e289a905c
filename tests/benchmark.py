"""How long students and instructors wait. Run: python tests/benchmark.py [--runs 5] [--gate] [--grade] [--report]

Reports the median wall time of each command next to the floor every run pays anyway,
`python -c "import torch, pytest"`. --grade times `python -m classroom grade` on 5 solved
checkouts and on 20 mixed ones (solved, untouched stubs, one function wrong, half the katas solved).
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from katas.harness.kata import ROOT, all_katas  # noqa: E402


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gate", action="store_true", help="also time the whole instructor gate (once)")
    parser.add_argument("--grade", action="store_true", help="also time grading 5 solved and 20 mixed checkouts")
    parser.add_argument("--report", action="store_true", help="only time the class report of 200 submissions")
    options = parser.parse_args()
    if options.report:
        return report(options.runs)
    python = sys.executable
    floor = median_seconds([python, "-c", "import torch, pytest"], options.runs)
    print(f"{'import torch, pytest (the floor)':<52} {floor:6.2f} s")
    for kata in all_katas():
        command = [python, "-m", "pytest", f"katas/{kata.folder}", "--impl", "reference", "-q"]
        seconds = median_seconds(command, options.runs)
        print(f"{'pytest katas/' + kata.folder + ' --impl reference':<52} {seconds:6.2f} s  {seconds / floor:4.2f}x floor")
    if options.grade:
        grade_throughput(python, options.runs)
    if options.gate:
        seconds = median_seconds([python, "-m", "pytest", "-q", "-n", "auto"], 1)
        print(f"{'pytest (the whole instructor gate)':<52} {seconds:6.2f} s")


def report(runs: int) -> None:
    """The class report of 200 synthetic graded submissions: rendering it, and `classroom report` whole."""
    import json
    import tempfile

    from classroom import classreport
    from tests.test_report import as_json, synthetic_class

    grades = as_json(synthetic_class(200))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        html = classreport.render(grades)
        times.append(time.perf_counter() - start)
    print(f"{'render the class report of 200 submissions':<52} {statistics.median(times):6.2f} s  "
          f"{len(html.encode()) / 1e6:.2f} MB")
    with tempfile.TemporaryDirectory() as folder:
        for number, grade in enumerate(grades):
            (Path(folder) / f"{number}.json").write_text(json.dumps(grade))
        command = [sys.executable, "-m", "classroom", "report", folder, "--html", str(Path(folder) / "report.html")]
        print(f"{'python -m classroom report (200 JSON files)':<52} {median_seconds(command, runs):6.2f} s")
    floor = median_seconds([sys.executable, "-c", "import classroom.__main__"], runs)
    print(f"{'import the classroom CLI, which it pays':<52} {floor:6.2f} s")


def checkouts(root: Path, count: int, mixed: bool) -> list[Path]:
    """Student checkouts: the edition with some kata modules replaced by the reference's."""
    sys.path.insert(0, str(ROOT))
    from classroom import export

    edition = root / "edition"
    if not edition.exists():
        export.build(edition)
    katas = all_katas()
    made = []
    for number in range(count):
        kind = ("solved", "stubs", "one-wrong", "half")[number % 4] if mixed else "solved"
        dest = root / f"{'mixed' if mixed else 'solved'}-{number:02d}-{kind}"
        shutil.copytree(edition, dest)
        for index, kata in enumerate(katas):
            if kind == "stubs" or (kind == "half" and index % 2):
                continue
            code = (ROOT / "reference" / kata.folder / f"{kata.module}.py").read_text()
            if kind == "one-wrong" and index == 0:
                code += f"\n\n{kata.functions[0]} = None\n"
            (dest / "katas" / kata.folder / f"{kata.module}.py").write_text(code)
        made.append(dest)
    return made


def grade_throughput(python: str, runs: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="katas-benchmark-"))
    try:
        for count, mixed in ((5, False), (20, True)):
            subs = checkouts(root, count, mixed)
            seconds = median_seconds([python, "-m", "classroom", "grade", *map(str, subs)], runs)
            label = f"classroom grade: {count} {'mixed' if mixed else 'solved'} submissions"
            print(f"{label:<52} {seconds:6.2f} s  {seconds / count:5.2f} s each")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
