"""The checks that the course notebooks' test cells call.

A notebook's locked setup cell runs ``grading.start("02-activation-functions")``; each check
cell then calls ``grading.check("sigmoid")``, which finds the student's ``sigmoid`` in the
notebook, and prints one "passed" line or raises
``CheckFailed`` with every problem found, each named as a likely misconception with what to try
next. The hidden part of a check cell calls ``grading.check(..., hidden=True)``: new inputs,
silent on success. Expected values are never printed.

Student code runs in the same process as the checks, so ``_guard`` keeps them honest: see its
docstring for what it defends against.
"""
from __future__ import annotations

import sys
import zlib
from typing import Any, Callable

import numpy as np

from . import _guard
from .exercise import ANY_BPLIB, note_failing_dependencies
from .exercises import EXERCISES, NOTEBOOKS
from .report import CheckFailed, Report

__all__ = ["start", "check", "summary", "or_reference", "CheckFailed", "EXERCISES", "NOTEBOOKS"]


class _Session:
    """What this kernel has checked so far."""

    def __init__(self) -> None:
        self.notebook: str | None = None
        self.results: dict[str, bool] = {}
        self.tampered: list[str] = []
        self.protected_names: dict[str, Any] = {}


_SESSION = _Session()
_print = _guard.CAPTURED_BUILTINS["print"]


def start(notebook: str, seed: int = 0) -> None:
    """Begin grading a notebook: seed numpy's global generator and watch for tampering.

    Call it in the notebook's locked setup cell, before any student code runs.
    """
    if notebook not in NOTEBOOKS:
        raise ValueError(f"unknown notebook {notebook!r}; expected one of {sorted(NOTEBOOKS)}")
    _SESSION.notebook = notebook
    _SESSION.results.clear()
    np.random.seed(seed)
    shell = _ipython()
    if shell is not None:
        grading_module = _guard.sys.modules[__name__]
        _SESSION.protected_names = {
            name: obj for name, obj in shell.user_ns.items() if obj is grading_module or obj is np
        }
        callbacks = shell.events.callbacks["pre_run_cell"]
        if _before_cell not in callbacks:
            shell.events.register("pre_run_cell", _before_cell)


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: no cells to watch
        return None
    return get_ipython()


def _before_cell(*_: Any) -> None:
    """Before every cell: undo and remember any replacement of what the checks rely on."""
    _SESSION.tampered.extend(_guard.integrity_problems())
    shell = _ipython()
    for name, obj in _SESSION.protected_names.items():
        if shell is not None and shell.user_ns.get(name) is not obj:
            _SESSION.tampered.append(f"the notebook name `{name}`")
            shell.user_ns[name] = obj


def _rng(name: str, hidden: bool) -> np.random.Generator:
    # Fresh inputs per exercise, different for the hidden part: a function that only works on
    # the notebook's visible example cannot pass.
    return np.random.default_rng([zlib.crc32(name.encode()), int(hidden)])


_NOT_DEFINED = object()


def check(name: str, student: Any = _NOT_DEFINED, hidden: bool = False) -> None:
    """Check a student's function or class for exercise ``name``.

    Parameters
    ----------
    name : str
        The exercise, e.g. "sigmoid" (see ``EXERCISES``).
    student : callable, optional
        The student's function or class. By default, the object of that name in the calling
        notebook: the check cell then never fails with a bare NameError.
    hidden : bool
        The hidden part of a check: other inputs, and nothing printed on success.

    Raises
    ------
    CheckFailed
        With every problem found, each as a likely misconception and what to try next.
    """
    exercise = EXERCISES[name]
    report = Report(name)
    if student is _NOT_DEFINED:
        student = sys._getframe(1).f_globals.get(name, _NOT_DEFINED)
    _SESSION.tampered.extend(_guard.integrity_problems())
    if _SESSION.tampered:
        report.stop("tampered", what=", ".join(dict.fromkeys(_SESSION.tampered)))
    elif student is _NOT_DEFINED:
        report.stop("not_defined")
    elif not callable(student):
        report.stop("not_callable", kind=type(student).__name__)
    else:
        path = None if exercise.allowed is ANY_BPLIB else _guard.reference_path(student, exercise.allowed)
        if path:
            report.stop("reference_used", path=path)
        else:
            try:
                exercise.run(student, report, _rng(name, hidden), hidden)
            except Exception as error:  # an object too far from the skeleton for the check to drive
                report.stop("could_not_check", error=f"{type(error).__name__}: {error}")
    note_failing_dependencies(report, exercise, _SESSION.results)
    if not (hidden and _SESSION.results.get(name) is False):
        _SESSION.results[name] = report.passed
    report.finish(quiet=hidden)


def summary() -> None:
    """Print which of this notebook's exercises pass, as checked so far in this kernel."""
    if _SESSION.notebook is None:
        _print("Run the setup cell at the top of the notebook first.")
        return
    names = [exercise.name for exercise in NOTEBOOKS[_SESSION.notebook]]
    passed = sum(_SESSION.results.get(n) is True for n in names)
    _print(f"{_SESSION.notebook}: {passed} of {len(names)} exercises pass")
    width = max(len(n) for n in names)
    for n in names:
        status = {True: "✔ passed", False: "✘ not yet: see its check cell"}.get(
            _SESSION.results.get(n), "· not checked yet: run its check cell")
        _print(f"  {n:<{width}}  {status}")


def or_reference(name: str, student: Callable) -> Callable:
    """The student's function once its check has passed, else the reference (for demo plots).

    Cells that plot or reuse an exercise call this, so that they run even before the exercise
    is done.
    """
    if _SESSION.results.get(name):
        return student
    _print(f"(using the reference {name} until yours passes its check)")
    return EXERCISES[name].reference


_guard.snapshot_grading_modules()
for _module_name, (_module, _) in list(_guard._grading_snapshots.items()):
    _guard.make_read_only(_module)
