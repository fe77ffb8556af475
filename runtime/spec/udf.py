"""User-defined functions and processors: the only way new Python code enters a topology.

An administrator installs them with the deployment, as Python entry points of any
installed distribution::

    # pyproject.toml of the administrator's package
    [project.entry-points."riffle.functions"]
    geo_region = "acme_riffle.geo:region_of"         # usable in expressions: geo_region(value["ip"])

    [project.entry-points."riffle.processors"]
    dedupe = "acme_riffle.dedupe:DedupeProcessor"    # a Processor factory for `Process` nodes

Documents refer to them by name only. A function is called as written from sandboxed
expressions (it is trusted code: the sandbox checks the expression, not the function);
a processor entry is a factory, called once per task, that returns a
:class:`runtime.processor.Processor`, as ``stream.process(factory, *stores)`` expects.

Entry points are read on first use. One that fails to load does not stop the others:
using its name reports what went wrong (:class:`UdfError`), and
:func:`entry_point_errors` lists every such failure for an administrator.
:func:`register_function` / :func:`register_processor` add entries from code (tests,
programs embedding ``runtime``).
"""

from __future__ import annotations

import importlib.metadata
import inspect
import keyword
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runtime.errors import StreamsError

__all__ = [
    "FUNCTION_GROUP",
    "PROCESSOR_GROUP",
    "UdfError",
    "UserFunction",
    "UserProcessor",
    "entry_point_errors",
    "find_function",
    "function_namespace",
    "processor_factory",
    "processor_names",
    "register_function",
    "register_processor",
    "registered_functions",
    "registered_processors",
    "registry_generation",
    "reload_entry_points",
    "unregister_function",
    "unknown_processor_message",
    "unregister_processor",
]

FUNCTION_GROUP = "riffle.functions"
PROCESSOR_GROUP = "riffle.processors"

_FUNCTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_PROCESSOR_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,99}$")
_BY_CODE = "register_function()"


class UdfError(StreamsError):
    """A user-defined function or processor is missing, misnamed or failed to load."""


@dataclass(frozen=True)
class UserFunction:
    name: str
    impl: Callable[..., Any]
    origin: str  # where it came from: the entry point, or "register_function()"
    signature: str
    description: str

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "signature": self.signature, "description": self.description,
                "user_defined": True, "origin": self.origin}


@dataclass(frozen=True)
class UserProcessor:
    name: str
    factory: Callable[[], Any]
    origin: str
    description: str

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "description": self.description, "origin": self.origin}


def _first_line(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    # Editors show a description for every function; an undocumented one still says what it is.
    return doc.strip().splitlines()[0] if doc.strip() else "installed by the administrator"


def _signature(name: str, fn: Callable[..., Any]) -> str:
    try:
        return f"{name}{inspect.signature(fn)}"
    except (TypeError, ValueError):  # some built-ins have none
        return f"{name}(...)"


def _reserved_names() -> frozenset[str]:
    # Imported here: the expression package imports this module.
    from runtime.spec.expressions.functions import FUNCTIONS
    from runtime.spec.expressions.kinds import EXPRESSION_KINDS

    variables = {v for kind in EXPRESSION_KINDS.values() for v in kind.variables}
    return frozenset(FUNCTIONS) | variables


def _function_name_problem(name: Any) -> str | None:
    if not isinstance(name, str) or not _FUNCTION_NAME.match(name) or keyword.iskeyword(name):
        return (f"{name!r} is not a valid function name: use a Python identifier of letters, "
                "digits and '_' that starts with a letter")
    if name in _reserved_names():
        return f"{name!r} is already a name of the expression language; choose another name"
    return None


def _processor_name_problem(name: Any) -> str | None:
    if not isinstance(name, str) or not _PROCESSOR_NAME.match(name):
        return (f"{name!r} is not a valid processor name: use letters, digits, '_', '.' and '-', "
                "starting with a letter")
    return None


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.functions: dict[str, UserFunction] = {}
        self.processors: dict[str, UserProcessor] = {}
        # (group, name) -> why the entry point could not be used.
        self.broken: dict[tuple[str, str], str] = {}
        self.loaded = False
        self.generation = 0

    def ensure_loaded(self) -> None:
        if not self.loaded:
            with self.lock:
                if not self.loaded:
                    self._load_entry_points()
                    self.loaded = True
                    self.generation += 1

    def _load_entry_points(self) -> None:
        for group in (FUNCTION_GROUP, PROCESSOR_GROUP):
            for ep in importlib.metadata.entry_points(group=group):
                self._load_one(group, ep)

    def _load_one(self, group: str, ep: importlib.metadata.EntryPoint) -> None:
        dist = getattr(ep, "dist", None)
        origin = f"entry point {ep.name} = {ep.value}" + (
            f" of {dist.name} {dist.version}" if dist is not None else "")
        key = (group, ep.name)
        what = "function" if group == FUNCTION_GROUP else "processor"
        existing = (self.functions if group == FUNCTION_GROUP else self.processors).get(ep.name)
        if existing is not None:
            self.broken[key] = f"the {what} {ep.name!r} is defined twice: by {existing.origin} and by {origin}"
            if existing.origin.startswith("entry point"):
                # Two installed packages disagree; neither wins by installation order.
                (self.functions if group == FUNCTION_GROUP else self.processors).pop(ep.name)
            return
        if key in self.broken:
            return  # already refused (a second definition of a refused name stays refused)
        problem = (_function_name_problem if group == FUNCTION_GROUP else _processor_name_problem)(ep.name)
        if problem:
            self.broken[key] = f"{origin} (group {group}): {problem}"
            return
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - any error of the administrator's code
            self.broken[key] = f"{origin} (group {group}) failed to load: {type(exc).__name__}: {exc}"
            return
        if not callable(obj):
            self.broken[key] = (f"{origin} (group {group}) is a {type(obj).__name__}, not a "
                                f"{'function' if group == FUNCTION_GROUP else 'processor factory'}")
            return
        if group == FUNCTION_GROUP:
            self.functions[ep.name] = UserFunction(ep.name, obj, origin, _signature(ep.name, obj), _first_line(obj))
        else:
            self.processors[ep.name] = UserProcessor(ep.name, obj, origin, _first_line(obj))


_REGISTRY = _Registry()


def registry_generation() -> int:
    """A number that changes whenever the registry does (compiled expressions are cached by it)."""
    _REGISTRY.ensure_loaded()
    return _REGISTRY.generation


def reload_entry_points() -> None:
    """Forget what entry points provided and read them again; code registrations stay."""
    with _REGISTRY.lock:
        r = _REGISTRY
        r.functions = {k: f for k, f in r.functions.items() if f.origin == _BY_CODE}
        r.processors = {k: p for k, p in r.processors.items() if p.origin == "register_processor()"}
        r.broken.clear()
        r.loaded = False
    _REGISTRY.ensure_loaded()


def entry_point_errors() -> list[str]:
    """Why each entry point that could not be used was refused, for an administrator."""
    _REGISTRY.ensure_loaded()
    return [message for _, message in sorted(_REGISTRY.broken.items())]


def register_function(name: str, fn: Callable[..., Any], *, description: str | None = None) -> None:
    """Make ``fn`` callable as ``name(...)`` in expressions.

    :raises ValueError: the name is not an identifier, is a built-in function or a
        variable of the expression language, or is registered already.
    :raises TypeError: ``fn`` is not callable.
    """
    problem = _function_name_problem(name)
    if problem:
        raise ValueError(problem)
    if not callable(fn):
        raise TypeError(f"the function {name!r} must be callable, got {fn!r}")
    _REGISTRY.ensure_loaded()
    with _REGISTRY.lock:
        existing = _REGISTRY.functions.get(name)
        if existing is not None:
            raise ValueError(f"a function {name!r} is already registered ({existing.origin})")
        _REGISTRY.functions[name] = UserFunction(
            name, fn, _BY_CODE, _signature(name, fn),
            description if description is not None else _first_line(fn))
        _REGISTRY.generation += 1


def register_processor(name: str, factory: Callable[[], Any], *, description: str | None = None) -> None:
    """Make ``factory`` usable by ``Process`` nodes as ``processor: name``.

    ``factory()`` must return a new :class:`runtime.processor.Processor` each time
    (a Processor subclass itself is such a factory).

    :raises ValueError: the name is not valid or is registered already.
    :raises TypeError: ``factory`` is not callable.
    """
    problem = _processor_name_problem(name)
    if problem:
        raise ValueError(problem)
    if not callable(factory):
        raise TypeError(f"the processor factory {name!r} must be callable, got {factory!r}")
    _REGISTRY.ensure_loaded()
    with _REGISTRY.lock:
        existing = _REGISTRY.processors.get(name)
        if existing is not None:
            raise ValueError(f"a processor {name!r} is already registered ({existing.origin})")
        _REGISTRY.processors[name] = UserProcessor(
            name, factory, "register_processor()",
            description if description is not None else _first_line(factory))
        _REGISTRY.generation += 1


def unregister_function(name: str) -> None:
    with _REGISTRY.lock:
        if _REGISTRY.functions.pop(name, None) is not None:
            _REGISTRY.generation += 1


def unregister_processor(name: str) -> None:
    with _REGISTRY.lock:
        if _REGISTRY.processors.pop(name, None) is not None:
            _REGISTRY.generation += 1


def find_function(name: str) -> UserFunction | None:
    """The registered function ``name``; None if there is none.

    :raises UdfError: an entry point of that name exists but could not be loaded.
    """
    _REGISTRY.ensure_loaded()
    found = _REGISTRY.functions.get(name)
    if found is None and (FUNCTION_GROUP, name) in _REGISTRY.broken:
        raise UdfError(f"the function {name!r} cannot be used: {_REGISTRY.broken[(FUNCTION_GROUP, name)]}")
    return found


def function_namespace() -> dict[str, Callable[..., Any]]:
    """Every registered function by name, for compiled expressions."""
    _REGISTRY.ensure_loaded()
    return {name: f.impl for name, f in _REGISTRY.functions.items()}


def processor_names() -> list[str]:
    _REGISTRY.ensure_loaded()
    return sorted(_REGISTRY.processors)


def processor_factory(name: str) -> Callable[[], Any]:
    """The factory of the registered processor ``name``.

    :raises UdfError: no processor of that name is registered, or its entry point
        could not be loaded; the message lists the registered names.
    """
    _REGISTRY.ensure_loaded()
    found = _REGISTRY.processors.get(name)
    if found is not None:
        return found.factory
    if (PROCESSOR_GROUP, name) in _REGISTRY.broken:
        raise UdfError(f"the processor {name!r} cannot be used: {_REGISTRY.broken[(PROCESSOR_GROUP, name)]}")
    raise UdfError(unknown_processor_message(name))


def unknown_processor_message(name: Any) -> str:
    names = processor_names()
    if not names:
        return (f"no processor called {name!r} is registered; no processors are registered "
                f"(an administrator installs them as Python entry points in the group {PROCESSOR_GROUP!r})")
    return f"no processor called {name!r} is registered; registered processors: {', '.join(names)}"


def registered_functions() -> list[dict[str, object]]:
    """The user-defined functions, for editors and help pages (like function_reference)."""
    _REGISTRY.ensure_loaded()
    return [f.to_dict() for _, f in sorted(_REGISTRY.functions.items())]


def registered_processors() -> list[dict[str, object]]:
    """The registered processors, for the Process node's form."""
    _REGISTRY.ensure_loaded()
    return [p.to_dict() for _, p in sorted(_REGISTRY.processors.items())]
