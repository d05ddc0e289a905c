"""How long students and instructors wait. Run: python tests/benchmark.py [--runs 5] [--gate] [--report]

Reports the median wall time of each command next to the floor every run pays anyway,
`python -c "import torch, pytest"`.
"""

import argparse
import statistics
import subprocess
import sys
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
    if options.gate:
        seconds = median_seconds([python, "-m", "pytest", "-q"], 1)
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
    floor = median_seconds([sys.executable, "-c", "import katas.harness"], runs)
    print(f"{'import katas.harness (torch with it), which it pays':<52} {floor:6.2f} s")


if __name__ == "__main__":
    main()
