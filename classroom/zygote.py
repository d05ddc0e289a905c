"""The zygote: the process (in the sandbox, when there is one) that imports torch, pytest and the
harness once and forks a watcher per job, so that no job pays torch's import.

    grader (python -m classroom grade: no torch, no kata code)
      └─ bwrap ─ zygote: imported torch, pytest and the harness once; forks a watcher per job
                   └─ watcher: its job's namespaces, limits, output and result (``watcher``)
                        └─ job: PID 1 of its namespaces, runs one kata's tests (``job``)

It reads one ``{"run": JobSpec}`` line per job on stdin and writes one ``JobResult`` line per
finished job on stdout (``protocol``); it says it is ready first, or why jobs cannot be isolated.
"""

from __future__ import annotations

import json
import os
import select
import sys

from .isolation import STRATEGIES
from .protocol import Exit, JobResult
from .spec import JobSpec
from .watcher import watch

# its entry point: python -I -c BOOT CONFIG
BOOT = ("import json, sys; config = json.loads(sys.argv[1]); sys.path[:0] = config['path']; "
        "from classroom.zygote import serve; serve(config)")


def serve(config: dict) -> None:
    """Fork a watcher per job line on stdin; write its result line to stdout; end at stdin's end."""
    isolation = STRATEGIES[config["isolation"]](config["why"])
    sys.dont_write_bytecode = True  # the grading tree is read-only to jobs (-I ignores PYTHONDONTWRITEBYTECODE)
    why = isolation.probe()
    _preload()
    _emit({"ready": True, "why": why})
    if why:
        return
    commands = sys.stdin.fileno()
    watchers: dict[int, tuple[int, int, bytearray]] = {}  # pipe -> (job id, watcher pid, what it said)
    reading, lines = True, bytearray()
    while reading or watchers:
        ready, _, _ = select.select(([commands] if reading else []) + list(watchers), [], [])
        for fd in ready:
            if fd == commands:
                chunk = os.read(commands, 1 << 20)
                reading = bool(chunk)
                lines += chunk
                while b"\n" in lines:
                    end = lines.index(b"\n")
                    spec = JobSpec.from_json(json.loads(bytes(lines[:end]))["run"])
                    del lines[:end + 1]
                    pipe, pid = _fork_watcher(spec, config, isolation)
                    watchers[pipe] = (spec.id, pid, bytearray())
                continue
            number, pid, said = watchers[fd]
            chunk = os.read(fd, 1 << 20)
            if chunk:
                said += chunk
                continue
            os.close(fd)
            del watchers[fd]
            os.waitpid(pid, 0)
            try:
                result = JobResult.from_json(json.loads(bytes(said)))
            except (ValueError, TypeError):
                result = JobResult(number, "the kata's watcher failed (a grader bug): no result")
            _emit(result.to_json())


def _preload() -> None:
    """What every job uses, imported once before forking (never CUDA: it does not survive a fork)."""
    import _pytest.skipping  # noqa: F401
    import pytest  # noqa: F401
    import pytest_timeout  # noqa: F401
    import torch

    import katas.harness.drive  # noqa: F401  the judge's and its workers' (with judge, builders, scenarios)
    import katas.harness.plugin
    import katas.harness.runner  # noqa: F401

    from . import judging, job  # noqa: F401

    torch.set_num_threads(1)
    katas.harness.plugin.skip_dynamo_import()  # for the judge and its workers too, which build optimizers
    _wrap_manual_seed(torch)


def _wrap_manual_seed(torch) -> None:
    """Wrap torch.manual_seed as importing torch._dynamo would, before any job's tamper snapshot.

    Kata code may import torch._dynamo (torch.func.grad does, and a built-in optimizer's step), and
    that import rebinds torch.manual_seed, unless it is wrapped already: the snapshot would read an
    honest solution as tampering. Importing torch._dynamo here instead costs a second and writes a
    cache folder into /tmp, which the sandbox does not give the zygote. The wrapper caches the
    function itself as its dynamo-disabled form (as the harness does for the optimizers' methods),
    so no call imports torch._dynamo; outside torch.compile it only calls the function."""
    seed = torch.random.manual_seed
    if torch.manual_seed is seed:
        setattr(seed, "__dynamo_disable", seed)
        torch.manual_seed = torch._disable_dynamo(seed)


def _emit(message: dict) -> None:
    sys.stdout.buffer.write(json.dumps(message).encode() + b"\n")
    sys.stdout.buffer.flush()


def _fork_watcher(spec: JobSpec, config: dict, isolation) -> tuple[int, int]:
    read, write = os.pipe()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        code = Exit.WATCHER_FAILED
        try:
            os.close(read)
            _keep_only(write)
            _write_all(write, json.dumps(watch(spec, config, isolation).to_json()).encode())
            code = 0
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write)
    return read, pid


def _keep_only(*fds: int) -> None:
    """Close every file descriptor but stderr (the zygote's log) and ``fds``."""
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    keep = sorted({2, *fds})
    start = 3
    for fd in keep:
        if fd >= start:
            os.closerange(start, fd)
            start = fd + 1
    os.closerange(start, 1 << 16)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
