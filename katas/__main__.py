"""python -m katas [list | next | hint KATA [FUNCTION] | watch [KATA] | notebook KATA]: the student's loop
around the kata tests. Every command runs the same pytest tests as `pytest katas/NN_topic` and reads its run
report; nothing here decides a status of its own."""

from __future__ import annotations

import argparse
import io
import sys
import textwrap
import time
from pathlib import Path

from katas.harness import hints
from katas.harness.kata import KATAS_DIR, ROOT, Kata, all_katas
from katas.harness.report import FunctionResult, RunReport
from katas.harness.status import Status

POLL_SECONDS = 0.5


def run(katas: list[Kata]) -> RunReport:
    """Run the katas' tests in this process, quietly; return what they found."""
    from katas.harness.runner import run_in_process

    try:
        return run_in_process([KATAS_DIR / k.folder for k in katas], args=["-q"], output=io.StringIO())
    except RuntimeError:
        raise SystemExit("the tests did not run (a usage error?): try `pytest katas` to see why") from None


def print_table(report: RunReport, katas: list[Kata]) -> None:
    from katas.harness import table

    for text, _ in table.lines(report, {k.folder: k for k in katas}):
        print(text)


def next_function(report: RunReport) -> tuple[str, FunctionResult] | None:
    """The first function, in kata and lesson order, that is not done."""
    for kata in report.katas:
        for function in kata.functions:
            if function.tests and function.status is not Status.DONE:
                return kata.folder, function
    return None


def find_kata(name: str) -> Kata:
    name = Path(name).name
    katas = all_katas()
    found = [k for k in katas if name in (k.folder, k.folder[:2], k.folder[3:], k.module)]
    if len(found) != 1:
        raise SystemExit(f"no kata {name!r}: choose one of {', '.join(k.folder for k in katas)}")
    return found[0]


def first_failure(report: RunReport) -> str:
    for kata in report.katas:
        for function in kata.functions:
            if function.first_failure is not None:
                return f"First failure, {kata.module}.{function.name} ({function.first_failure.nodeid}):\n" \
                       f"{function.first_failure.message}"
    return ""


def command_list(args) -> int:
    katas = all_katas()
    print_table(run(katas), katas)
    print("\nNext: python -m katas next   A hint: python -m katas hint NN_topic FUNCTION")
    return 0


def command_next(args) -> int:
    report = run(all_katas())
    found = next_function(report)
    if found is None:
        print("Every function of every kata is done. Well done!")
        return 0
    folder, function = found
    kata = find_kata(folder)
    print(f"Next: {kata.module}.{function.name} in katas/{folder}/{kata.module}.py ({function.status})")
    print(f"  the lesson:   katas/{folder}/README.md")
    print(f"  its tests:    pytest katas/{folder} -k {function.name}")
    print(f"  a hint:       python -m katas hint {folder} {function.name}")
    return 0


def command_hint(args) -> int:
    kata = find_kata(args.kata)
    function = args.function
    if function is None:
        found = next_function(run([kata]))
        if found is None:
            print(f"{kata.folder} is done: no hint needed.")
            return 0
        function = found[1].name
    if function not in kata.points:
        raise SystemExit(f"{kata.folder} has no function {function!r}: {', '.join(kata.points)}")
    seen = hints.Seen(ROOT / hints.SEEN_FILE)
    lang = args.lang or hints.default_language()
    shown = hints.next_hints(kata, KATAS_DIR / kata.folder, function, seen, everything=args.all, lang=lang)
    total = len(hints.hints_of(KATAS_DIR / kata.folder, lang).get(function, []))
    if not shown:
        print(f"{kata.module}.{function}: no more hints ({total} shown). The lesson "
              f"(katas/{kata.folder}/README.md) and the failure messages say the rest.")
        return 0
    for number, text in shown:
        print(f"{kata.module}.{function}, hint {number} of {total}:")
        print(textwrap.fill(text, width=96, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False) + "\n")
    if shown[-1][0] < total:
        print(f"(run the same command again for hint {shown[-1][0] + 1}; --all shows them all)")
    return 0


def command_watch(args) -> int:
    katas = [find_kata(args.kata)] if args.kata else all_katas()
    files = [p for k in katas for p in (KATAS_DIR / k.folder).glob("*.py")]
    print(f"watching {len(files)} files of {', '.join(k.folder for k in katas)}: save one to re-run (Ctrl-C stops)")
    stamps, runs = None, 0
    try:
        while args.stop_after is None or runs < args.stop_after:
            now = [p.stat().st_mtime_ns for p in files]
            if now != stamps:
                stamps, runs = now, runs + 1
                report = run(katas)
                print(f"\n===== {time.strftime('%H:%M:%S')} =====")
                print_table(report, katas)
                failure = first_failure(report)
                if failure:
                    print("\n" + failure)
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        pass
    return 0


def command_notebook(args) -> int:
    from katas import notebook

    kata = find_kata(args.kata)
    path = Path(args.out) if args.out else ROOT / "notebooks" / f"{kata.folder}.ipynb"
    if path.exists() and not args.force:
        raise SystemExit(f"{path} exists (your work?): give another --out, or --force to replace it")
    notebook.write_starter(kata, path, args.lang or hints.default_language())
    print(f"wrote {path}: open it in Jupyter from inside this checkout, or upload it to Colab "
          "(its first cell says how to clone the repository there)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m katas", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="the progress table of every kata (the default)")
    commands.add_parser("next", help="name the next function to work on")
    hint = commands.add_parser("hint", help="the next hint for a function (progressive: idea, API, sketch)")
    hint.add_argument("kata", help="a kata: 03_einsum, 03 or einsum")
    hint.add_argument("function", nargs="?", help="a function of it (default: the next one not done)")
    hint.add_argument("--all", action="store_true", help="show every hint of the function")
    hint.add_argument("--lang", choices=hints.LANGUAGES,
                      help="the hints' language (default: KATAS_LANG, then the locale, then English)")
    watch = commands.add_parser("watch", help="re-run a kata's tests every time one of its files is saved")
    watch.add_argument("kata", nargs="?", help="a kata (default: every kata)")
    watch.add_argument("--stop-after", type=int, metavar="N", help="stop after N runs (for scripts)")
    starter = commands.add_parser("notebook", help="write a starter notebook for a kata (Jupyter, Colab)")
    starter.add_argument("kata", help="a kata: 03_einsum, 03 or einsum")
    starter.add_argument("--out", metavar="PATH", help="where to write it (default: notebooks/NN_topic.ipynb)")
    starter.add_argument("--force", action="store_true", help="replace the notebook if it exists")
    starter.add_argument("--lang", choices=hints.LANGUAGES,
                         help="the lesson's language (default: KATAS_LANG, then the locale, then English)")
    args = parser.parse_args(argv)
    commands = {None: command_list, "list": command_list, "next": command_next, "hint": command_hint,
                "watch": command_watch, "notebook": command_notebook}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
