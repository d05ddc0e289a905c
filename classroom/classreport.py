"""The class report: one self-contained HTML page built from graded submissions (``grade --json``).

It shows where a class is stuck: a heatmap of students by functions, per function the share done,
failing and not started with the most common first failures (grouped once numbers and shapes are
taken out), per kata the score distribution, the submissions zeroed with their reasons, and what the
grading ran with. No server, no CDN, no framework: inline CSS and SVG, and a few lines of JavaScript
that only add sorting (the page reads the same without it). Every string from a grade is escaped.
Colours follow the Okabe-Ito palette and every status also has its own glyph, so neither colour
vision nor colour at all is needed to read it.
"""

from __future__ import annotations

import datetime
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from katas.harness.status import Status

from . import charts
from .gradebook import finding_texts, plural
from .similarity import signals
from .spec import STARTUP_S

# status -> (css class, glyph, fill colour, text colour)
LOOK = {
    Status.DONE: ("d", "✓", "#0072B2", "#ffffff"),
    Status.FAILING: ("f", "✗", "#E69F00", "#000000"),
    Status.BLOCKED: ("b", "↷", "#F0E442", "#000000"),
    Status.NOT_STARTED: ("n", "·", "#eeeeee", "#555555"),
    Status.BROKEN: ("k", "!", "#CC79A7", "#000000"),
    Status.ZERO: ("z", "0", "#222222", "#ffffff"),
    Status.SKIPPED: ("s", "s", "#ffffff", "#555555"),
    Status.NOT_RUN: ("r", "?", "#ffffff", "#555555"),
}
SHOWN = (Status.DONE, Status.FAILING, Status.NOT_STARTED)  # the shares the per-function table spells out
TITLE_CHARS = 140  # of a failure message in a heatmap cell's tooltip
TOP_MESSAGES = 3
SHOWN_IGNORED = 5  # a submission's ignored files listed open; more go behind a click


@dataclass
class Column:
    kata: str
    function: str
    points: int


@dataclass
class Kata:
    folder: str
    title: str
    max_score: int
    functions: list[Column] = field(default_factory=list)


def normalize(message: str) -> str:
    """A failure message with what varies between students taken out: the first line, without the
    "module.function: " prefix, numbers as # (not those with a unit: a time limit stays), shapes and
    lists of numbers as (…)."""
    line = next((part.strip() for part in message.splitlines() if part.strip()), "")
    line = re.sub(r"^[A-Za-z_][\w]*\.[A-Za-z_]\w*: ", "", line)
    line = re.sub(r"0x[0-9a-fA-F]+", "0x…", line)
    # a number, whole, unless a unit follows it: "Timeout (>10.0s)" and "10 s limit" keep their limit
    line = re.sub(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?!\w|\.\d|\s?(?:s|ms|[KMG]i?B)\b)", "#", line)
    while True:  # innermost first: ((#, #), (#, #)) -> ((…), (…)) -> (…)
        shorter = re.sub(r"\((?:#|…|\(…\)|\[…\])(?:, ?(?:#|…|\(…\)|\[…\]))*,?\)", "(…)", line)
        shorter = re.sub(r"\[(?:#|…|\(…\)|\[…\])(?:, ?(?:#|…|\(…\)|\[…\]))*,?\]", "[…]", shorter)
        if shorter == line:
            break
        line = shorter
    line = " ".join(line.split())
    return line[:240] + ("…" if len(line) > 240 else "")


def structure(grades: list[dict]) -> list[Kata]:
    """Katas and their functions, in the order grading listed them (the union over all grades)."""
    katas: dict[str, Kata] = {}
    for grade in grades:
        for k in grade["katas"]:
            kata = katas.setdefault(k["folder"], Kata(k["folder"], k.get("title", ""), k.get("max_score", 0)))
            known = {c.function for c in kata.functions}
            kata.functions += [Column(k["folder"], f["function"], f.get("points", 0))
                               for f in k["functions"] if f["function"] not in known]
    return sorted(katas.values(), key=lambda k: k.folder)


def status_of(function: dict) -> Status:
    try:
        return Status(function.get("status"))
    except ValueError:
        return Status.NOT_RUN


def runs(grades: list[dict]) -> dict[str, list[str]]:
    """Each property of the runs that graded these katas (date, tests commit, torch, Python, the
    sandbox, the limits): its distinct values, the most common first."""
    keys = ("graded_at", "tests_commit", "torch", "python", "isolation", "memory", "limits")
    seen: dict[str, Counter] = {key: Counter() for key in keys}
    for grade in grades:
        # a kata's own run; in grades written before katas had one, the file's
        whole = {**(grade.get("run") or {}), "isolated": grade.get("isolated")}
        graded = [k.get("run") or whole for k in grade["katas"]] or ([] if grade.get("absent") else [whole])
        for run in graded:
            for key in keys:
                if key == "isolation":
                    value = {True: "the bubblewrap sandbox", False: "processes only (no OS sandbox)"}.get(
                        run.get("isolated"), "unknown")
                elif key == "limits":
                    value = limits_text(run["limits"]) if run.get("limits") else "unknown"
                else:
                    value = str(run.get(key) or "unknown")
                if key == "graded_at":
                    value = value[:10]
                if key == "tests_commit" and run.get("uncommitted_changes"):
                    value += " (plus uncommitted changes under katas/ or reference/)"
                seen[key][value] += 1
    return {key: [value for value, _ in counter.most_common()] for key, counter in seen.items()}


def limits_text(limits: dict) -> str:
    """The limits of a run (``gradebook.limits_info``) in words; None is the auto value it stands for."""
    test = limits.get("test_timeout_s") or 0
    whole = f"{limits['kata_timeout_s']:g} s" if limits.get("kata_timeout_s") else (
        f"{STARTUP_S:g} s plus every test's {test:g} s" if test else "unlimited")
    cpu = f"{limits['cpu_s']:g} s" if limits.get("cpu_s") else "as long as its wall clock"
    return (f"each test {f'{test:g} s' if test else 'unlimited'}; a kata's whole run {whole} (wall clock), its CPU "
            f"time {cpu}; memory {limits.get('memory_mb')} MiB; scratch space {limits.get('disk_mb')} MiB; output kept: "
            f"the first and last {limits.get('output_kb', 0) // 2} KiB")


def render(grades: list[dict], title: str = "torch-katas: class report") -> str:
    grades = sorted(grades, key=lambda g: str(g["submission"]).lower())
    katas = structure(grades)
    by_name = [{k["folder"]: (k, {f["function"]: f for f in k["functions"]}) for k in g["katas"]} for g in grades]
    found = signals(grades)
    flagged = {str(g["submission"]) for g in grades if _integrity_items(g)} | {n for s in found for n in s.who}
    parts = [_head(title), f"<h1>{escape(title)}</h1>", _meta(grades), _contents(), _legend(),
             _heatmap(grades, katas, by_name, flagged), _functions(grades, katas, by_name), _katas(grades, katas),
             _zeroed(grades), _integrity(grades), _similarity(found), _footer(grades), _SCRIPT, "</body></html>\n"]
    return "\n".join(parts)


def write(grades: list[dict], path: Path, **options) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(grades, **options), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------------
# the parts of the page


def _head(title: str) -> str:
    css = "\n".join(f".{c}{{background:{fill};color:{ink}}}" for c, _, fill, ink in LOOK.values())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
body{{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em;color:#111;
  -webkit-print-color-adjust:exact;print-color-adjust:exact}}
h1{{font-size:1.6em;margin:0 0 .2em}} h2{{margin-top:1.6em;border-bottom:1px solid #ccc}}
table{{border-collapse:collapse}} th,td{{padding:2px 6px;border:1px solid #ddd;text-align:left;vertical-align:top}}
th{{background:#f6f6f6}} td.num,th.num{{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}}
.meta{{color:#333}} .meta b{{font-weight:600}} code,pre{{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace}}
pre{{white-space:pre-wrap;word-break:break-word;background:#f6f6f6;padding:4px 6px;margin:2px 0;max-width:70em}}
#heatmap{{font-size:12px}} #heatmap td.c{{width:15px;min-width:15px;text-align:center;padding:1px;border-color:#fff;
  font-weight:700}} #heatmap th.fn{{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;
  font-weight:400;padding:4px 1px}} #heatmap td.who{{white-space:nowrap;max-width:16em;overflow:hidden;
  text-overflow:ellipsis}} #heatmap thead th{{position:sticky;top:0;z-index:1}} #heatmap tr:hover td{{outline:1px solid #999}}
#heatmap td.ks{{border-left:2px solid #888}} th[data-sort]{{cursor:default}} .js th[data-sort]{{cursor:pointer;
  text-decoration:underline dotted}} th[aria-sort=ascending]::after{{content:" ▲"}} th[aria-sort=descending]::after{{content:" ▼"}}
.legend span.c{{display:inline-block;width:1.4em;text-align:center;font-weight:700;border:1px solid #bbb;margin:0 .2em 0 .8em}}
.grid{{display:flex;flex-wrap:wrap;gap:1em 2em}} .grid figure{{margin:0;width:270px}} figcaption{{font-size:12px;color:#333}}
.scroll{{overflow-x:auto}} details summary{{cursor:pointer;color:#333}} a.flag{{text-decoration:none;color:#D55E00}}
{css}
</style></head><body>"""


def _meta(grades: list[dict]) -> str:
    info = runs(grades)
    scores = [g.get("score", 0) for g in grades]
    most = max((g.get("max_score", 0) for g in grades), default=0)
    median = f"{statistics.median(scores):g}/{most}" if scores else "–"
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    def values(key: str) -> str:
        return ", ".join(f"<code>{escape(v)}</code>" for v in info[key])

    return (f'<p class="meta"><b>{len(grades)}</b> submissions, median score <b>{median}</b>. '
            f"Graded on {values('graded_at')} with the tests of commit {values('tests_commit')}, "
            f"torch {values('torch')}, Python {values('python')}. Report written {now}.</p>")


def _contents() -> str:
    return ('<p><a href="#heatmap-section">Students × functions</a> · <a href="#functions">Per function</a> · '
            '<a href="#katas">Per kata</a> · <a href="#zeroed">Zeroed submissions</a> · <a href="#integrity">Integrity</a> · '
            '<a href="#similarity">Similarity</a> · <a href="#run">The run</a></p>')


def _legend() -> str:
    items = "".join(f'<span class="c {c}">{glyph}</span>{escape(str(status))}'
                    for status, (c, glyph, _, _) in LOOK.items())
    return (f'<p class="legend">{items}<span class="c">&nbsp;</span>not graded. '
            "Hover over a cell for its status and first failure.</p>")


def _cell(grade: dict, column: Column, entry) -> str:
    if entry is None:
        return '<td class="c" title="not graded"></td>'
    kata, functions = entry
    function = functions.get(column.function)
    if function is None:
        return '<td class="c" title="not graded"></td>'
    status = status_of(function)
    css, glyph, _, _ = LOOK[status]
    tip = f"{grade['submission']} · {column.kata}.{column.function}: {status}"
    if status is Status.FAILING:
        tip += f" ({function.get('passed', 0)}/{function.get('expected', 0)} tests pass)"
    why = kata.get("reason") if status is Status.ZERO else kata.get("broken") if status is Status.BROKEN else function.get("detail")
    if why and status is not Status.DONE:
        first = " ".join(why.split())
        tip += "\n" + first[:TITLE_CHARS] + ("…" if len(first) > TITLE_CHARS else "")
    return f'<td class="c {css}" title="{escape(tip)}">{glyph}</td>'


def _heatmap(grades: list[dict], katas: list[Kata], by_name: list[dict], flagged: set[str]) -> str:
    top = ['<th rowspan="2" data-sort="name" aria-sort="ascending">student</th>',
           '<th rowspan="2" title="something to read in Integrity or Similarity">⚑</th>',
           '<th rowspan="2" class="num" data-sort="total" data-numeric>total</th>']
    top += [f'<th colspan="{len(k.functions) + 1}" title="{escape(k.title)}">{escape(k.folder)}</th>' for k in katas]
    second = []
    for number, kata in enumerate(katas):
        second.append(f'<th class="num" data-sort="k{number}" data-numeric title="points in {escape(kata.folder)}">pts</th>')
        second += [f'<th class="fn" title="{escape(c.kata)}.{escape(c.function)} ({plural(c.points, "point")})">'
                   f"{escape(c.function)}</th>" for c in kata.functions]
    rows = []
    for grade, entries in zip(grades, by_name):
        name = str(grade["submission"])
        flag = ('<a class="flag" href="#integrity" title="see Integrity and Similarity below">⚑</a>'
                if name in flagged else "")
        total = (f'<td class="num" title="not graded: {escape(grade["absent"])}">–</td>' if grade.get("absent")
                 else f'<td class="num">{grade.get("score", 0)}/{grade.get("max_score", 0)}</td>')
        cells = [f'<td class="who">{escape(name)}</td>', f"<td>{flag}</td>", total]
        data = [f'data-name="{escape(str(grade["submission"]).lower())}"', f'data-total="{grade.get("score", 0)}"']
        for number, kata in enumerate(katas):
            entry = entries.get(kata.folder)
            score = entry[0].get("score", 0) if entry else -1
            data.append(f'data-k{number}="{score}"')
            mark = "!" if entry and entry[0].get("reason") else ""
            cells.append(f'<td class="num ks">{score if entry else "–"}{mark}</td>')
            cells += [_cell(grade, column, entry) for column in kata.functions]
        rows.append(f"<tr {' '.join(data)}>{''.join(cells)}</tr>")
    return (f'<h2 id="heatmap-section">Students × functions</h2>'
            "<p>Click a heading (student, total, a kata's pts) to sort; ! after a kata's points: zeroed, "
            'see <a href="#zeroed">below</a>; ⚑ after a name: something to read in '
            '<a href="#integrity">Integrity</a> or <a href="#similarity">Similarity</a>.</p>'
            f'<div class="scroll"><table id="heatmap"><thead><tr>{"".join(top)}</tr><tr>{"".join(second)}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _functions(grades: list[dict], katas: list[Kata], by_name: list[dict]) -> str:
    rows = []
    for kata in katas:
        rows.append(f'<tr><th colspan="7">{escape(kata.folder)}: {escape(kata.title)}</th></tr>')
        for column in kata.functions:
            counts, messages, examples = Counter(), Counter(), {}
            for entries in by_name:
                entry = entries.get(kata.folder)
                function = entry[1].get(column.function) if entry else None
                if function is None:
                    continue
                status = status_of(function)
                counts[status] += 1
                detail = function.get("detail") or ""
                if status in (Status.FAILING, Status.BLOCKED, Status.NOT_RUN) and detail:
                    key = normalize(detail)
                    messages[key] += 1
                    examples.setdefault(key, detail)
            graded = sum(counts.values())
            shares = "".join(f'<td class="num">{_share(counts[s], graded)}</td>' for s in SHOWN)
            other = graded - sum(counts[s] for s in SHOWN)
            common = "".join(
                f"<details><summary><b>{n}×</b> <code>{escape(text)}</code></summary>"
                f"<pre>{escape(examples[text][:600])}</pre></details>"
                for text, n in messages.most_common(TOP_MESSAGES))
            more = len(messages) - TOP_MESSAGES
            common += f"<small>and {more} other messages</small>" if more > 0 else ""
            rows.append(f"<tr><td><code>{escape(column.function)}</code> ({column.points})</td>{shares}"
                        f'<td class="num">{_share(other, graded)}</td><td>{charts.shares(counts, graded, {status: look[2] for status, look in LOOK.items()})}</td><td>{common}</td></tr>')
    head = "".join(f'<th class="num">{escape(str(s))}</th>' for s in SHOWN)
    return ('<h2 id="functions">Per function</h2><p>How many of the graded submissions each function is in '
            "(other: blocked, broken, zeroed, skipped or not run), and the first failures students see most often, "
            "grouped once numbers (#) and shapes (…) are taken out; open one to see an example.</p>"
            f'<table id="per-function"><thead><tr><th>function (points)</th>{head}<th class="num">other</th><th>shares</th>'
            f"<th>most common first failures</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _share(n: int, total: int) -> str:
    return f"{n} ({100 * n / total:.0f}%)" if total else "–"


def _katas(grades: list[dict], katas: list[Kata]) -> str:
    figures = []
    totals = [g.get("score", 0) for g in grades]
    most = max((g.get("max_score", 0) for g in grades), default=0)
    figures.append(_figure("all katas", totals, most))
    for kata in katas:
        scores = [k.get("score", 0) for g in grades for k in g["katas"] if k["folder"] == kata.folder]
        zeroed = sum(bool(k.get("reason")) for g in grades for k in g["katas"] if k["folder"] == kata.folder)
        figures.append(_figure(f"{kata.folder}: {kata.title}", scores, kata.max_score, zeroed))
    return (f'<h2 id="katas">Per kata</h2><p>Score distributions; the dashed line is the median.</p>'
            f'<div class="grid">{"".join(figures)}</div>')


def _figure(name: str, scores: list[int], most: int, zeroed: int = 0) -> str:
    if not scores:
        return ""
    full = sum(s >= most for s in scores)
    caption = (f"<b>{escape(name)}</b><br>median {statistics.median(scores):g}/{most}, mean "
               f"{statistics.fmean(scores):.1f}; {full} of {len(scores)} full marks"
               + (f"; {zeroed} zeroed" if zeroed else ""))
    return f"<figure>{charts.histogram(scores, most)}<figcaption>{caption}</figcaption></figure>"


def _zeroed(grades: list[dict]) -> str:
    rows = [(g["submission"], k["folder"], str(Status.ZERO), k["reason"]) for g in grades for k in g["katas"] if k.get("reason")]
    rows += [(g["submission"], k["folder"], str(Status.BROKEN), k["broken"]) for g in grades for k in g["katas"]
             if k.get("broken") and not k.get("reason")]
    body = "".join(f"<tr><td>{escape(str(who))}</td><td>{escape(kata)}</td><td>{escape(what)}</td>"
                   f"<td><pre>{escape(why[:1000])}</pre></td></tr>" for who, kata, what, why in rows)
    table = (f"<table><thead><tr><th>student</th><th>kata</th><th>status</th><th>reason</th></tr></thead>"
             f"<tbody>{body}</tbody></table>") if rows else "<p>None: every kata of every submission was graded normally.</p>"
    return ('<h2 id="zeroed">Zeroed submissions</h2><p>Katas that scored zero for a limit or tampering (zero), '
            "and modules that do not import (broken). Read any that scores unexpectedly high, too.</p>" + table)


def _integrity_items(grade: dict) -> list[str]:
    """What to read about one submission before trusting its score, as HTML list items."""
    if grade.get("absent"):
        return [f"<li><b>not graded</b>: {escape(grade['absent'])}</li>"]
    items = [f"<li>{escape(text)}</li>" for text in finding_texts(grade)]
    ignored = [str(note) for note in grade.get("ignored", [])]
    if ignored:
        listed = "".join(f"<li><code>{escape(note)}</code></li>" for note in ignored)
        what = (f"{plural(len(ignored), 'file')} it changed besides its kata modules (ignored: graded with the "
                "handed-out copies)")
        items.append(f"<li>{what}:<ul>{listed}</ul></li>" if len(ignored) <= SHOWN_IGNORED else
                     f"<li><details><summary>{what}</summary><ul>{listed}</ul></details></li>")
    return items


def _integrity(grades: list[dict]) -> str:
    rows = "".join(f"<tr><td>{escape(str(g['submission']))}</td><td><ul>{''.join(items)}</ul></td></tr>"
                   for g in grades if (items := _integrity_items(g)))
    table = (f"<table><thead><tr><th>student</th><th>what grading met</th></tr></thead><tbody>{rows}</tbody></table>"
             if rows else "<p>Nothing: every submission was graded whole, in the sandbox, within its limits, "
                          "with only its kata modules changed.</p>")
    return ('<h2 id="integrity">Integrity</h2><p>Per submission: what its grading met (a limit with the function that '
            "met it, output cut, tampering, no sandbox), the files it changed besides its kata modules (edited or "
            "extra tests, conftest.py, the workflow: never used for the grade), and a submission that could not be "
            "graded at all.</p>" + table)


def _similarity(found) -> str:
    rows = "".join(f"<tr><td>{escape(s.kata)}</td><td>{escape(s.names())}</td>"
                   f"<td>{escape(s.what)}</td></tr>" for s in found)
    table = (f"<table><thead><tr><th>kata</th><th>students</th><th>signal</th></tr></thead><tbody>{rows}</tbody></table>"
             if rows else "<p>None: no kata module is identical or nearly identical to a classmate's or to the "
                          "reference.</p>")
    return ('<h2 id="similarity">Similarity</h2><p>Kata modules identical to a classmate\'s, nearly identical once '
            "names, comments, docstrings and layout are taken out (winnowed fingerprints, as MOSS computes them), or "
            "matching the reference solution. Signals for a human to read, never a score change: short katas leave "
            "little room to differ, so read the two modules before concluding anything.</p>" + table)


def _footer(grades: list[dict]) -> str:
    info = runs(grades)
    items = "".join(f"<li>{escape(label)}: {', '.join(f'<code>{escape(v)}</code>' for v in info[key])}</li>"
                    for key, label in (("graded_at", "graded on"), ("tests_commit", "tests commit"),
                                       ("torch", "torch"), ("python", "Python"), ("isolation", "kata code ran in"),
                                       ("memory", "memory counted by"), ("limits", "limits")))
    return f'<h2 id="run">The run</h2><ul>{items}</ul>'


_SCRIPT = """<script>
// Sorting only: the page is complete without it.
document.documentElement.classList.add("js");
document.querySelectorAll("#heatmap th[data-sort]").forEach(function (th) {
  th.tabIndex = 0;
  function sort() {
    var key = th.dataset.sort, numeric = th.hasAttribute("data-numeric");
    var down = th.getAttribute("aria-sort") === (numeric ? "descending" : "ascending");
    var body = document.querySelector("#heatmap tbody"), rows = Array.from(body.rows);
    rows.sort(function (a, b) {
      var x = a.dataset[key], y = b.dataset[key];
      var order = numeric ? Number(y) - Number(x) : x.localeCompare(y);
      return (down ? -order : order) || a.dataset.name.localeCompare(b.dataset.name);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    document.querySelectorAll("#heatmap th[aria-sort]").forEach(function (o) { o.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", (numeric !== down) ? "descending" : "ascending");
  }
  th.addEventListener("click", sort);
  th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
});
</script>"""
