"""Keeps the checks honest although student code runs in the same Python process.

Three defences, each against one way a submission could pass without doing the exercise:

1. *Captured primitives.* The setup cell imports ``bplib.grading`` before any student cell
   runs. This module then records the numpy and builtin functions the checks rely on, and a
   snapshot of the grading modules themselves; ``integrity_problems`` notices when any of them
   was replaced later and puts the originals back.
2. *Static inspection.* ``reference_path`` follows everything a student's function or class
   can reach (the names its code uses, its globals, closures, defaults, bases and methods) and
   reports a path to bplib if there is one.
3. *Dynamic inspection.* ``call_watched`` runs the student's code under a profiler hook that
   records any call into bplib's reference code, however it was reached.
"""
from __future__ import annotations

import builtins
import functools
import sys
import types
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

_BPLIB_DIR = str(Path(__file__).resolve().parent.parent) + "/"
_GRADING_DIR = str(Path(__file__).resolve().parent) + "/"

# The functions the checks call, captured at import. The checks use these objects, never the
# module attributes, so replacing np.allclose in a student cell changes nothing for them.
_NUMPY_NAMES = (
    "array", "asarray", "isfinite", "isnan", "abs", "max", "min", "all", "any", "allclose",
    "isclose", "array_equal", "errstate", "seterr", "geterr", "median", "sum", "mean",
    "testing.assert_allclose", "testing.assert_array_equal", "testing.assert_array_almost_equal",
)
_BUILTIN_NAMES = (
    "isinstance", "issubclass", "type", "len", "abs", "max", "min", "callable", "getattr",
    "hasattr", "print", "repr", "float", "int", "range", "zip", "id", "sorted", "any", "all",
)


def _resolve(root: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        root = getattr(root, part)
    return root


def _assign(root: Any, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    setattr(_resolve(root, ".".join(parents)) if parents else root, last, value)


CAPTURED_NUMPY = {name: _resolve(np, name) for name in _NUMPY_NAMES}
CAPTURED_BUILTINS = {name: getattr(builtins, name) for name in _BUILTIN_NAMES}
_CAPTURED_MODULES = {"numpy": np, "builtins": builtins}
_grading_snapshots: dict[str, tuple[types.ModuleType, dict[str, Any]]] = {}


def snapshot_grading_modules() -> None:
    """Remember every bplib.grading module's namespace as it is now (call once, at start)."""
    for name, module in list(sys.modules.items()):
        if module is not None and (name == "bplib.grading" or name.startswith("bplib.grading.")):
            _grading_snapshots[name] = (module, dict(vars(module)))


def integrity_problems() -> list[str]:
    """Return what was replaced since import (numpy, builtins, grading), restoring the originals."""
    problems = []
    for name, original in CAPTURED_NUMPY.items():
        if _resolve(np, name) is not original:
            problems.append(f"np.{name}")
            _assign(np, name, original)
    for name, original in CAPTURED_BUILTINS.items():
        if getattr(builtins, name) is not original:
            problems.append(f"builtins.{name}")
            setattr(builtins, name, original)
    for name, module in _CAPTURED_MODULES.items():
        if sys.modules.get(name) is not module:
            problems.append(f"sys.modules[{name!r}]")
            sys.modules[name] = module
    for name, (module, namespace) in _grading_snapshots.items():
        if sys.modules.get(name) is not module:
            problems.append(f"sys.modules[{name!r}]")
            sys.modules[name] = module
        current = vars(module)
        for attr, value in namespace.items():
            if current.get(attr, _MISSING) is not value:
                problems.append(f"{name}.{attr}")
                current[attr] = value
    return problems


_MISSING = object()


class ReadOnlyModule(types.ModuleType):
    """A module whose attributes cannot be assigned or deleted from outside."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self.__name__} is read-only: the checks cannot be changed from a notebook")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{self.__name__} is read-only: the checks cannot be changed from a notebook")


def make_read_only(module: types.ModuleType) -> None:
    module.__class__ = ReadOnlyModule


# ---------------------------------------------------------------------------------------------
# Static inspection: can this object reach bplib?


def _with_module_members(allowed: Iterable[Any]) -> list[Any]:
    """The allowed objects, plus the functions and classes defined in each allowed module."""
    result = list(allowed)
    for module in [a for a in result if isinstance(a, types.ModuleType)]:
        result.extend(v for v in vars(module).values() if getattr(v, "__module__", None) == module.__name__)
    return result


def _is_bplib_name(name: str | None) -> bool:
    return bool(name) and (name == "bplib" or name.startswith("bplib."))


def _code_objects(code: types.CodeType) -> Iterable[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def reference_path(obj: Any, allowed: Iterable[Any] = ()) -> str | None:
    """Describe how ``obj`` reaches bplib (a module, function or class of it), or return None.

    ``allowed`` lists bplib objects a student may use (for example a base class the exercise
    hands out, or a whole module such as bplib.layers when the exercise is to *use* it);
    everything they reach is allowed too.
    """
    allowed_ids = {id(a) for a in _with_module_members(allowed)}
    seen: set[int] = set()
    stack: list[tuple[Any, str]] = [(obj, getattr(obj, "__name__", "your code"))]
    while stack:
        item, path = stack.pop()
        if id(item) in seen or id(item) in allowed_ids:
            continue
        seen.add(id(item))
        found = _reaches_directly(item)
        if found:
            return f"{path} -> {found}"
        stack.extend((child, f"{path} -> {label}") for child, label in _children(item))
    return None


def _reaches_directly(item: Any) -> str | None:
    if isinstance(item, types.ModuleType):
        return f"module {item.__name__}" if _is_bplib_name(item.__name__) else None
    if isinstance(item, (types.FunctionType, type)):
        if _is_bplib_name(getattr(item, "__module__", None)):
            return f"{item.__module__}.{item.__qualname__}"
    if isinstance(item, types.FunctionType):
        if item.__code__.co_filename.startswith(_BPLIB_DIR):
            return f"code in {item.__code__.co_filename}"
        for code in _code_objects(item.__code__):
            if any("bplib" in c for c in _string_constants(code)):
                return "the text 'bplib' in its code"
    return None


def _string_constants(code: types.CodeType) -> list[str]:
    """The strings in a code object, without its docstring: a student may well write "bplib" in
    a docstring. (CPython keeps a function's docstring first among its constants, and None
    there when it has none; comprehensions, "<listcomp>", have no docstring slot.)"""
    consts = code.co_consts
    docstring = bool(consts) and isinstance(consts[0], str) and not code.co_name.startswith("<")
    return [c for c in consts[1 if docstring else 0:] if isinstance(c, str)]


def _children(item: Any) -> Iterable[tuple[Any, str]]:
    """The objects that ``item`` can use when it runs."""
    if isinstance(item, types.ModuleType):
        return  # a non-bplib module (numpy, math): not followed
    if isinstance(item, types.FunctionType):
        names = {n for code in _code_objects(item.__code__) for n in code.co_names}
        for name in names:
            if name in item.__globals__:
                yield item.__globals__[name], name
        for cell in item.__closure__ or ():
            try:
                yield cell.cell_contents, "a closure variable"
            except ValueError:  # an empty cell
                pass
        for value in (item.__defaults__ or ()) + tuple((item.__kwdefaults__ or {}).values()):
            yield value, "a default argument"
        if hasattr(item, "__wrapped__"):
            yield item.__wrapped__, "__wrapped__"
    elif isinstance(item, type):
        for base in item.__bases__:  # direct bases only: an allowed base allows its own bases
            if base is not object:
                yield base, f"base class {base.__name__}"
        for name, value in vars(item).items():
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            elif isinstance(value, property):
                yield from ((f, name) for f in (value.fget, value.fset) if f is not None)
                continue
            yield value, name
    elif isinstance(item, types.MethodType):
        yield item.__func__, "method"
        yield item.__self__, "bound object"
    elif isinstance(item, functools.partial):
        yield item.func, "partial"
        yield from ((a, "partial argument") for a in item.args)
    elif isinstance(item, dict):
        yield from ((v, "a dict entry") for v in list(item.values())[:1000])
    elif isinstance(item, (list, tuple, set, frozenset)):
        yield from ((v, "a container entry") for v in list(item)[:1000])
    elif not isinstance(item, (np.ndarray, np.generic, int, float, complex, str, bytes, bool, type(None))):
        yield type(item), "its class"
        for value in list(getattr(item, "__dict__", {}).values())[:1000]:
            yield value, "an attribute"


# ---------------------------------------------------------------------------------------------
# Dynamic inspection: did running this code call into bplib?


def _allowed_code(allowed: Iterable[Any]) -> set[types.CodeType]:
    """The code objects of allowed functions, classes (with what they inherit), and the classes
    and functions of allowed modules."""
    codes: set[types.CodeType] = set()
    for obj in _with_module_members(allowed):
        if isinstance(obj, types.ModuleType):
            continue
        # A class runs what it inherits too (Tanh's forward is _Elementwise's).
        members = [m for klass in obj.__mro__ for m in vars(klass).values()] if isinstance(obj, type) else [obj]
        for member in members:
            member = getattr(member, "__func__", member)
            for f in ((member.fget, member.fset) if isinstance(member, property) else (member,)):
                if isinstance(f, types.FunctionType):
                    codes.update(_code_objects(f.__code__))
    return codes


def call_watched(fn: Callable, args: tuple, kwargs: dict, allowed: Iterable[Any] = ()) -> tuple[Any, list[str]]:
    """Call ``fn(*args, **kwargs)``; return its result and the bplib functions it ran, if any.

    A profiler hook sees every Python-level call however it was reached (imports, getattr,
    sys.modules, eval), which static inspection cannot.
    """
    allowed_codes = _allowed_code(allowed)
    reached: list[str] = []

    def hook(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if (code.co_filename.startswith(_BPLIB_DIR) and not code.co_filename.startswith(_GRADING_DIR)
                    and code not in allowed_codes):
                reached.append(f"{Path(code.co_filename).stem}.{code.co_name}")

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        result = fn(*args, **kwargs)
    finally:
        replaced = sys.getprofile() is not hook
        sys.setprofile(previous)
    if replaced:
        reached.append("sys.setprofile (the watcher was switched off)")
    return result, reached
