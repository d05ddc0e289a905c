"""The progress table printed after a kata run, rendered from the run report alone."""

from __future__ import annotations

from .report import KataResult, RunReport
from .status import Outcome, Status

COLORS = {Status.DONE: {"green": True}, Status.FAILING: {"red": True}, Status.BROKEN: {"red": True, "bold": True},
          Status.NOT_STARTED: {"yellow": True}}


def lines(report: RunReport) -> list[tuple[str, dict]]:
    """(text, terminal markup) per line, for every kata the run collected tests of."""
    rendered = []
    for kata in report.katas:
        rendered += _kata_lines(kata)
    return rendered


def _kata_lines(kata: KataResult) -> list[tuple[str, dict]]:
    head = f"{kata.folder:<22} {kata.title:<52} {kata.points}/{kata.max_points} points"
    deselected = sum(f.deselected for f in kata.functions)
    if deselected:
        head += f" ({deselected} tests not selected: only what ran counts)"
    rendered = [(head, {})]
    if kata.broken:
        return rendered + [(f"   {kata.broken}", COLORS[Status.BROKEN])]
    for function in kata.functions:
        if not function.tests:
            continue  # deselected, or not collected in this run
        status = function.status
        counted = len(function.tests) - function.count(Outcome.SKIPPED)
        detail = f"{function.count(Outcome.PASSED)}/{counted} tests pass" if status is Status.FAILING else ""
        rendered.append((f"   {function.name:<24} {status:<12} {detail}".rstrip(), COLORS.get(status, {})))
    return rendered
