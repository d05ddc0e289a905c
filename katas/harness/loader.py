"""Which implementation the tests run against (``--impl``), and loading it.

``student`` (default) is ``katas/`` itself; ``reference`` is ``reference/``; a directory is any folder
laid out like ``katas/`` (a student's checkout); a ``.py`` file under ``reference/NN_topic/mutants/``
is the reference with that known-wrong change applied on top; ``namespace:TOKEN`` is the definitions
in a namespace (a notebook's globals) that ``namespace_impl`` has named for the duration of a run.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import traceback
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

from .errors import KataLoadError, MissingName
from .guard import Guard
from .kata import KATAS_DIR, ROOT, Kata, kata_of


@dataclass(frozen=True)
class Impl:
    label: str  # what the progress table prints
    folder: Path | None  # where NN_topic/module.py live
    mutant: Path | None = None  # a known-wrong change applied over the reference
    namespace: dict | None = field(default=None, compare=False, repr=False)  # a notebook's globals

    def source_of(self, kata: Kata) -> Path:
        return (self.folder or ROOT / "reference") / kata.folder / f"{kata.module}.py"


# --impl values that name a namespace: a string option cannot carry the dict itself.
_NAMESPACES: dict[str, Impl] = {}


@contextmanager
def namespace_impl(namespace: dict, label: str) -> Iterator[str]:
    """An --impl value that runs the tests against the kata functions defined in ``namespace``."""
    token = f"namespace:{id(namespace)}"
    _NAMESPACES[token] = Impl(label, None, namespace=namespace)
    try:
        yield token
    finally:
        _NAMESPACES.pop(token, None)


def resolve_impl(spec: str) -> Impl:
    """Turn an --impl value into an Impl; raise ValueError with a helpful message if it is bad."""
    if spec in _NAMESPACES:
        return _NAMESPACES[spec]
    if spec == "student":
        return Impl("student (katas/)", KATAS_DIR)
    if spec == "reference":
        folder = ROOT / "reference"
        if not folder.is_dir():
            raise ValueError(
                "--impl reference: this is the student edition, which has no reference solutions. "
                "Run the tests against your own code (the default) instead."
            )
        return Impl("reference", folder)
    path = Path(spec).resolve()
    if path.is_dir():
        return Impl(f"folder {spec}", path)
    if path.is_file() and path.suffix == ".py" and path.parent.name == "mutants":
        return Impl(f"mutant {path.parent.parent.name}/{path.stem}", None, mutant=path)
    raise ValueError(
        f"--impl {spec}: expected 'student', 'reference', a folder laid out like katas/, "
        "or a mutant file reference/NN_topic/mutants/NAME.py"
    )


@dataclass
class Session:
    """The implementation one pytest run tests, and the kata modules it has loaded so far."""

    impl: Impl
    modules: dict[str, ModuleType | KataLoadError] = field(default_factory=dict)

    def module(self, kata: Kata) -> ModuleType:
        if kata.folder not in self.modules:
            self.modules[kata.folder] = self._load(kata)
        loaded = self.modules[kata.folder]
        if isinstance(loaded, KataLoadError):
            raise KataLoadError(loaded.summary)  # a fresh one: re-raising one object grows its traceback
        return loaded

    def source_files(self) -> set[str]:
        return {m.__file__ for m in self.modules.values() if isinstance(m, ModuleType)} | (
            {str(self.impl.mutant)} if self.impl.mutant else set()
        ) | (_files_of(self.impl.namespace) if self.impl.namespace is not None else set())

    def close(self) -> None:
        for loaded in self.modules.values():
            if isinstance(loaded, ModuleType):
                sys.modules.pop(loaded.__name__, None)
        self.modules.clear()

    def _load(self, kata: Kata) -> ModuleType | NamespaceModule | KataLoadError:
        if self.impl.namespace is not None:
            return namespace_module(self.impl.namespace, kata)
        if self.impl.mutant and self.impl.mutant.parent.parent.name != kata.folder:
            return KataLoadError(f"{self.impl.label} is a mutant of another kata, not of {kata.folder}")
        path = self.impl.source_of(kata)
        if not path.is_file():
            return KataLoadError(f"{kata.module}.py not found: expected it at {path}")
        name = f"kata_impl.{kata.folder}.{kata.module}.{abs(hash(self.impl))}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
            if self.impl.mutant:
                code = compile(self.impl.mutant.read_text(), str(self.impl.mutant), "exec")
                exec(code, vars(module))
        except BaseException as error:  # SyntaxError, ImportError, even sys.exit() at import
            sys.modules.pop(name, None)
            return KataLoadError(f"{path.name} could not be imported: {_one_line(error, path)}")
        return module


class NamespaceModule:
    """A kata module made of the definitions in a namespace (a notebook's globals).

    Not a ModuleType, whose __dict__ cannot be replaced: this object's __dict__ *is* the namespace,
    so the guard finds and patches aliases such as `from torch import mm` in the very globals the
    notebook's functions run with, exactly as it does in a kata file's module.
    """


# What a kata function missing from a namespace runs: it raises from a file the harness counts as
# kata code, so the function reads "not started", as an untouched stub does.
MISSING_FILE = "<katas: not defined in this namespace>"


def namespace_module(namespace: dict, kata: Kata) -> NamespaceModule:
    source = "".join(
        f"class {name}:\n    def __init__(self, *args, **kwargs):\n        raise NotImplementedError\n"
        if name[:1].isupper() else f"def {name}(*args, **kwargs):\n    raise NotImplementedError\n"
        for name in kata.points
    )
    stubs: dict[str, Any] = {}
    exec(compile(source, MISSING_FILE, "exec"), stubs)

    class Namespace(NamespaceModule):
        def __getattr__(self, name: str) -> Any:  # only for names the namespace lacks
            if name in kata.points:
                return stubs[name]
            raise AttributeError(name)

    module = Namespace()
    module.__dict__ = namespace
    return module


def _files_of(namespace: dict) -> set[str]:
    """The files that the namespace's own functions and classes were compiled from (notebook cells)."""
    functions = []
    for value in list(namespace.values()):
        if inspect.isfunction(value):
            functions.append(value)
        elif isinstance(value, type):
            functions += [f for f in vars(value).values() if inspect.isfunction(f)]
    files = {MISSING_FILE}
    for function in functions:
        if function.__globals__ is namespace:
            name = function.__code__.co_filename
            files |= {name, os.path.abspath(name)}
    return files


def _one_line(error: BaseException, path: Path) -> str:
    if isinstance(error, SyntaxError):
        return f"{type(error).__name__}: {error.msg} (line {error.lineno})"
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if Path(f.filename) == path]
    where = f" (line {lines[-1]})" if lines else ""
    return f"{type(error).__name__}: {error}{where}"


@dataclass(frozen=True)
class Running:
    """The kata test running now: the session whose code it tests, and the function it checks."""

    session: Session
    where: str  # "einsum_ops.matmul": failure messages name it


# Set for the duration of each test by the plugin's fixture. A context variable rather than a stack
# on the plugin: test modules import this proxy once, and the gate runs kata sessions inside its own.
_running: ContextVar[Running | None] = ContextVar("kata_test_running", default=None)


@contextmanager
def running(session: Session, where: str) -> Iterator[None]:
    token = _running.set(Running(session, where))
    try:
        yield
    finally:
        _running.reset(token)


def current() -> Running:
    now = _running.get()
    if now is None:
        raise RuntimeError("kata modules can only be used while pytest runs a kata test")
    return now


class KataModule:
    """Stands for the kata module under test; its functions run under the kata's rules.

    Test modules write ``einsum_ops = implementation(__file__)``: which code that is (student,
    reference, a mutant) is decided per pytest run by ``--impl``, and a broken module fails each
    test with one clear line instead of stopping the run at import.
    """

    def __init__(self, test_file: str):
        kata = kata_of(Path(test_file))
        if kata is None:
            raise ValueError(f"{test_file} is not inside a kata folder with a kata.json")
        self._kata = kata

    def __getattr__(self, name: str) -> Any:
        kata = self._kata
        now = _running.get()
        if now is None:  # pytest probing the test module's globals at collection: load nothing yet
            raise AttributeError(name)
        module = now.session.module(kata)
        try:
            value = getattr(module, name)
        except AttributeError:
            raise MissingName(
                f"{kata.module}.py has no `{name}`: keep the names and signatures the stub gave you"
            ) from None
        if name not in kata.points or isinstance(value, type) or not callable(value):
            return value
        forbidden, required = kata.rules_for(name)
        guard = Guard(f"{kata.module}.{name}", forbidden, required, module, name.endswith("_"))

        def guarded(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            return guard.call(value, *args, **kwargs)

        guarded.__wrapped__ = value
        return guarded


def implementation(test_file: str) -> KataModule:
    return KataModule(test_file)


def under_rules(kata_module: KataModule, name: str, scenario: Callable[[], Any]) -> Any:
    """Run ``scenario`` (a test's use of the class ``name``, whose methods torch calls for it: a
    parametrization's forward on every read of the weight) under the kata's rules for ``name``, as
    the kata's functions run under theirs; return what it returns."""
    __tracebackhide__ = True
    kata = kata_module._kata
    forbidden, required = kata.rules_for(name)
    guard = Guard(f"{kata.module}.{name}", forbidden, required, current().session.module(kata), True)
    return guard.call(scenario)
