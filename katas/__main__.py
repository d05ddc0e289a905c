"""python -m katas [list | next | hint KATA [FUNCTION] | watch [KATA] | notebook KATA] [--lang en|ru]: the
student's loop around the kata tests. Every command runs the same pytest tests as `pytest katas/NN_topic` and
reads its run report; nothing here decides a status of its own. What the commands say, they say in the
student's language (--lang, else KATAS_LANG, else the locale variables); the tests' own messages are English.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import textwrap
import time
from pathlib import Path

from katas.harness import hints
from katas.harness.kata import FIRST_KATA, KATAS_DIR, ROOT, Kata, all_katas
from katas.harness.report import FunctionResult, RunReport
from katas.harness.status import Status

POLL_SECONDS = 0.5
# The harness plugin records here (pytest's cache, `config.cache.set`) which kata a plain `pytest katas/NN`
# run checked; graders and the gate run without the cache, so only the student's own runs count.
LAST_RUN = Path(".pytest_cache") / "v" / "katas" / "last_run"
# A kata module saved this long after the rest of its folder was written counts as edited by the student.
EDITED_AFTER_SECONDS = 2.0

# What the commands say, per language. The statuses' own words (done, failing, ...) are the progress
# table's and the run report's; STATUS gives them in the student's language where a sentence uses one.
TEXT = {
    "en": {
        "list_footer": "Next: python -m katas next   A hint: python -m katas hint NN_topic FUNCTION",
        "all_done": "Every function of every kata is done. Well done!",
        "next": "Next: {where} in {file} ({status})",
        "next_lesson": "  the lesson:   {lesson}",
        "next_tests": "  its tests:    pytest katas/{folder} -k {function}",
        "next_hint": "  a hint:       python -m katas hint {folder} {function}{option}",
        "next_why": "  (you last worked on {folder})",
        "kata_done": "{folder} is done: no hint needed.",
        "no_function": "{folder} has no function {function!r}: {functions}",
        "no_kata": "no kata {name!r}: choose one of {katas}",
        "hint_head": "{where}, hint {number} of {total}:",
        "hint_again": "(hint {number} again, in English: reading a hint in another language uses up no hint)",
        "hint_more": "(run the same command again for hint {number}; --all shows them all)",
        "no_more": "{where}: no more hints ({total} shown). The lesson ({lesson}) and the failure messages say the rest.",
        "no_hints": "{where} has no hints.",
        "watching": "watching {count} files of {katas}: save one to re-run (Ctrl-C stops)",
        "first_failure": "First failure, {where} ({nodeid}):",
        "no_run": "the tests did not run (a usage error?): try `pytest katas` to see why",
        "notebook_exists": "{path} exists (your work?): give another --out, or --force to replace it",
        "notebook_written": "wrote {path}: open it in Jupyter from inside this checkout, or upload it to Colab "
                            "(its first cell says how to clone the repository there)",
    },
    "ru": {
        "list_footer": "Что дальше: python -m katas next   Подсказка: python -m katas hint NN_topic ФУНКЦИЯ",
        "all_done": "Все функции всех кат готовы. Отличная работа!",
        "next": "Дальше: {where} в {file} ({status})",
        "next_lesson": "  урок:         {lesson}",
        "next_tests": "  её тесты:     pytest katas/{folder} -k {function}",
        "next_hint": "  подсказка:    python -m katas hint {folder} {function}{option}",
        "next_why": "  (последней вы занимались катой {folder})",
        "kata_done": "Ката {folder} решена: подсказки не нужны.",
        "no_function": "в {folder} нет функции {function!r}: {functions}",
        "no_kata": "каты {name!r} нет: выберите одну из {katas}",
        "hint_head": "{where}, подсказка {number} из {total}:",
        "hint_again": "(снова подсказка {number}, теперь по-русски: та же подсказка на другом языке не считается новой)",
        "hint_more": "(запустите ту же команду ещё раз, чтобы увидеть подсказку {number}; --all покажет все)",
        "no_more": "{where}: подсказок больше нет (показаны все {total}). Остальное скажут урок ({lesson}) и "
                   "сообщения об ошибках.",
        "no_hints": "У {where} нет подсказок.",
        "watching": "слежу за {count} файлами ({katas}): сохраните любой, и тесты запустятся снова (Ctrl-C — выход)",
        "first_failure": "Первая ошибка, {where} ({nodeid}):",
        "no_run": "тесты не запустились (неверные аргументы?): запустите `pytest katas`, чтобы увидеть причину",
        "notebook_exists": "{path} уже есть (ваша работа?): укажите другой --out или добавьте --force, чтобы "
                           "перезаписать его",
        "notebook_written": "записан {path}: откройте его в Jupyter изнутри этого репозитория или загрузите в Colab "
                            "(в первой ячейке сказано, как склонировать туда репозиторий)",
    },
}
STATUS = {
    "en": {status: status.value for status in Status},
    "ru": {Status.DONE: "готово", Status.FAILING: "тесты не проходят", Status.NOT_STARTED: "не начата",
           Status.BLOCKED: "ждёт другую функцию", Status.BROKEN: "модуль не импортируется",
           Status.SKIPPED: "тесты пропущены", Status.NOT_RUN: "тесты не дошли до конца", Status.ZERO: "ноль баллов"},
}


def say(lang: str, key: str, **values) -> str:
    return TEXT[lang][key].format(**values)


def run(katas: list[Kata], lang: str = "en") -> RunReport:
    """Run the katas' tests in this process, quietly; return what they found."""
    from katas.harness.runner import run_in_process

    try:
        return run_in_process([KATAS_DIR / k.folder for k in katas], args=["-q"], output=io.StringIO())
    except RuntimeError:
        raise SystemExit(say(lang, "no_run")) from None


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


def last_worked_on(katas: list[Kata], root: Path | None = None) -> Kata | None:
    """The kata the student last ran (a plain `pytest katas/NN` of it) or edited (its module saved after
    the rest of its folder), whichever came later; None when the checkout shows neither."""
    root = ROOT if root is None else root
    when: dict[str, float] = {}
    for kata in katas:
        folder = root / "katas" / kata.folder
        try:
            saved, handed_out = (folder / f"{kata.module}.py").stat().st_mtime, (folder / "kata.json").stat().st_mtime
        except OSError:
            continue
        if saved > handed_out + EDITED_AFTER_SECONDS:
            when[kata.folder] = saved
    try:
        record = json.loads((root / LAST_RUN).read_text())
        ran, at = record["kata"], float(record["at"])
    except (OSError, ValueError, KeyError, TypeError):
        ran, at = None, 0.0
    if any(kata.folder == ran for kata in katas):
        when[ran] = max(when.get(ran, 0.0), at)
    latest = max(when, key=when.get, default=None)
    return next((kata for kata in katas if kata.folder == latest), None)


def working_order(katas: list[Kata], root: Path | None = None) -> tuple[list[Kata], Kata | None]:
    """The katas in the order `next` looks through them: the one last worked on (else FIRST_KATA), then the
    ones after it, then from the start; and the kata last worked on, if any."""
    active = last_worked_on(katas, root)
    start = active or next((kata for kata in katas if kata.folder == FIRST_KATA), katas[0])
    index = katas.index(start)
    return katas[index:] + katas[:index], active


def find_kata(name: str, lang: str = "en") -> Kata:
    name = Path(name).name
    katas = all_katas()
    found = [k for k in katas if name in (k.folder, k.folder[:2], k.folder[3:], k.module)]
    if len(found) != 1:
        raise SystemExit(say(lang, "no_kata", name=name, katas=", ".join(k.folder for k in katas)))
    return found[0]


def first_failure(report: RunReport, lang: str = "en") -> str:
    for kata in report.katas:
        for function in kata.functions:
            if function.first_failure is not None:
                return (say(lang, "first_failure", where=f"{kata.module}.{function.name}",
                            nodeid=function.first_failure.nodeid) + "\n" + function.first_failure.message)
    return ""


def language(args) -> str:
    return getattr(args, "lang", None) or hints.default_language()


def command_list(args) -> int:
    lang = language(args)
    katas = all_katas()
    print_table(run(katas, lang), katas)
    print("\n" + say(lang, "list_footer"))
    return 0


def command_next(args) -> int:
    lang = language(args)
    order, active = working_order(all_katas())
    for kata in order:  # one kata at a time: the first with an unfinished function ends the search
        found = next_function(run([kata], lang))
        if found is None:
            continue
        function = found[1]
        explicit = f" --lang {lang}" if getattr(args, "lang", None) else ""
        print(say(lang, "next", where=f"{kata.module}.{function.name}", file=f"katas/{kata.folder}/{kata.module}.py",
                  status=STATUS[lang][function.status]))
        print(say(lang, "next_lesson", lesson=hints.lesson(kata.folder, lang)))
        print(say(lang, "next_tests", folder=kata.folder, function=function.name))
        print(say(lang, "next_hint", folder=kata.folder, function=function.name, option=explicit))
        if active is not None and active is not kata:
            print(say(lang, "next_why", folder=active.folder))
        return 0
    print(say(lang, "all_done"))
    return 0


def command_hint(args) -> int:
    lang = language(args)
    kata = find_kata(args.kata, lang)
    function = args.function
    if function is None:
        found = next_function(run([kata], lang))
        if found is None:
            print(say(lang, "kata_done", folder=kata.folder))
            return 0
        function = found[1].name
    if function not in kata.points:
        raise SystemExit(say(lang, "no_function", folder=kata.folder, function=function,
                             functions=", ".join(kata.points)))
    where = f"{kata.module}.{function}"
    seen = hints.Seen(ROOT / hints.SEEN_FILE)
    total = len(hints.hints_of(KATAS_DIR / kata.folder, lang).get(function, []))
    if total == 0:
        print(say(lang, "no_hints", where=where))
        return 0
    shown = hints.next_hints(kata, KATAS_DIR / kata.folder, function, seen, everything=args.all, lang=lang)
    if not shown.hints:
        print(say(lang, "no_more", where=where, total=total, lesson=hints.lesson(kata.folder, lang)))
        return 0
    for number, text in shown.hints:
        print(say(lang, "hint_head", where=where, number=number, total=total))
        print(textwrap.fill(text, width=96, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False) + "\n")
    if shown.again:
        print(say(lang, "hint_again", number=shown.hints[0][0]))
    if shown.hints[-1][0] < total:
        print(say(lang, "hint_more", number=shown.hints[-1][0] + 1))
    return 0


def command_watch(args) -> int:
    lang = language(args)
    katas = [find_kata(args.kata, lang)] if args.kata else all_katas()
    files = [p for k in katas for p in (KATAS_DIR / k.folder).glob("*.py")]
    print(say(lang, "watching", count=len(files), katas=", ".join(k.folder for k in katas)))
    stamps, runs = None, 0
    try:
        while args.stop_after is None or runs < args.stop_after:
            now = [p.stat().st_mtime_ns for p in files]
            if now != stamps:
                stamps, runs = now, runs + 1
                report = run(katas, lang)
                print(f"\n===== {time.strftime('%H:%M:%S')} =====")
                print_table(report, katas)
                failure = first_failure(report, lang)
                if failure:
                    print("\n" + failure)
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        pass
    return 0


def command_notebook(args) -> int:
    from katas import notebook

    lang = language(args)
    kata = find_kata(args.kata, lang)
    path = Path(args.out) if args.out else ROOT / "notebooks" / f"{kata.folder}.ipynb"
    if path.exists() and not args.force:
        raise SystemExit(say(lang, "notebook_exists", path=path))
    notebook.write_starter(kata, path, lang)
    print(say(lang, "notebook_written", path=path))
    return 0


def main(argv: list[str] | None = None) -> int:
    # --lang is accepted before or after the command; SUPPRESS keeps a command's parser from resetting it.
    language_option = argparse.ArgumentParser(add_help=False)
    language_option.add_argument("--lang", choices=hints.LANGUAGES, default=argparse.SUPPRESS,
                                 help="the language of what the command says, the hints and the lesson it "
                                      "names (default: KATAS_LANG, then LC_ALL, LC_MESSAGES, LANG, then English)")
    parser = argparse.ArgumentParser(prog="python -m katas", description=__doc__.splitlines()[0],
                                     parents=[language_option])
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", parents=[language_option], help="the progress table of every kata (the default)")
    commands.add_parser("next", parents=[language_option],
                        help="name the next function to work on, in the kata you last ran or edited")
    hint = commands.add_parser("hint", parents=[language_option],
                               help="the next hint for a function (the idea, the API, a property to check)")
    hint.add_argument("kata", help="a kata: 03_einsum, 03 or einsum")
    hint.add_argument("function", nargs="?", help="a function of it (default: the next one not done)")
    hint.add_argument("--all", action="store_true", help="show every hint of the function")
    watch = commands.add_parser("watch", parents=[language_option],
                                help="re-run a kata's tests every time one of its files is saved")
    watch.add_argument("kata", nargs="?", help="a kata (default: every kata)")
    watch.add_argument("--stop-after", type=int, metavar="N", help="stop after N runs (for scripts)")
    starter = commands.add_parser("notebook", parents=[language_option],
                                  help="write a starter notebook for a kata (Jupyter, Colab)")
    starter.add_argument("kata", help="a kata: 03_einsum, 03 or einsum")
    starter.add_argument("--out", metavar="PATH", help="where to write it (default: notebooks/NN_topic.ipynb)")
    starter.add_argument("--force", action="store_true", help="replace the notebook if it exists")
    args = parser.parse_args(argv)
    commands = {None: command_list, "list": command_list, "next": command_next, "hint": command_hint,
                "watch": command_watch, "notebook": command_notebook}
    return commands[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
