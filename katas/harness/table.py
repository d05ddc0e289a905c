"""The progress table printed after a kata run, rendered from the run report alone."""

from __future__ import annotations

from collections import Counter

from .kata import Kata
from .report import NO_CUDA, Device, KataResult, RunReport
from .status import Outcome, Status

COLORS = {Status.DONE: {"green": True}, Status.FAILING: {"red": True}, Status.BROKEN: {"red": True, "bold": True},
          Status.NOT_STARTED: {"yellow": True}, Status.BLOCKED: {"yellow": True}, Status.SKIPPED: {},
          Status.NOT_RUN: {}, Status.ZERO: {"red": True}}


# What "done" rests on, by the devices the tests ran on.
DEVICE_LINES = {
    (Device.CPU,): "done means done on the CPU; CUDA not checked",
    (Device.CPU, Device.CUDA): "done means done on the CPU and on CUDA",
    (Device.CPU, Device.EMULATED_CUDA): (
        "done means done on the CPU and on emulated CUDA (the CPU standing in for a GPU: it checks where "
        "tensors live, their dtypes and generators, not a GPU's numerics)"),
    (Device.CUDA,): "done means done on CUDA; the CPU not checked",
    (Device.EMULATED_CUDA,): "done means done on emulated CUDA; the CPU not checked",
}


def lines(report: RunReport, katas: dict[str, Kata]) -> list[tuple[str, dict]]:
    """(text, terminal markup) per line, for every kata the run collected tests of, then what the
    run's devices mean (once)."""
    rendered = []
    for kata in report.katas:
        rendered += _kata_lines(kata, katas[kata.folder])
    return rendered + _device_lines(report)


def _device_lines(report: RunReport) -> list[tuple[str, dict]]:
    rendered = []
    no_cuda = sum(t.reason == NO_CUDA for t in report.tests().values() if t.outcome is Outcome.SKIPPED)
    if no_cuda:
        rendered.append((f"{no_cuda} tests skipped: {NO_CUDA} (--device emulated runs them on CUDA emulated on "
                         "the CPU)", {}))
    devices = tuple(report.devices)
    if devices in DEVICE_LINES:
        rendered.append((DEVICE_LINES[devices], {}))
    return rendered


def _kata_lines(result: KataResult, kata: Kata) -> list[tuple[str, dict]]:
    head = f"{result.folder:<22} {result.title:<52} {result.points}/{result.max_points} points"
    deselected = sum(f.deselected for f in result.functions)
    if deselected:
        head += f" ({deselected} tests not selected: only what ran counts)"
    rendered = [(head, {})]
    if result.broken:
        return rendered + [(f"   {result.broken}", COLORS[Status.BROKEN])]
    statuses = result.shown_statuses()
    for function in result.functions:
        if not function.tests:
            continue  # deselected, or not collected in this run
        status = statuses[function.name]
        counted = len(function.tests) - function.count(Outcome.SKIPPED)
        detail = ""
        if status is Status.FAILING:
            detail = f"{function.count(Outcome.PASSED)}/{counted} tests pass"
        elif function.name in kata.ships_with_bug and status is Status.NOT_STARTED:
            detail = "handed out with a bug: your task is to find and fix it"
        if function.deselected:  # -k or a node id left some of its tests out: say what "done" rests on
            detail = f"{detail + '; ' if detail else ''}{len(function.tests)} of its {len(function.tests) + function.deselected} tests ran"
        shown = f"blocked by {', '.join(function.blockers)}" if status is Status.BLOCKED else str(status)
        rendered.append((f"   {function.name:<24} {shown:<12} {detail}".rstrip(), COLORS[status]))
    skipped = Counter(t.reason for f in result.functions for t in f.tests
                      if t.outcome is Outcome.SKIPPED and t.reason != NO_CUDA)  # said once per run
    for reason, count in skipped.items():
        rendered.append((f"   {count} tests skipped: {reason}", {}))
    return rendered
