"""What an exercise is, and how a student's function is run against it.

A ``FunctionExercise`` pairs a reference with the cases to try: seeded random inputs with
every dimension different, plus edge cases (0, ±1e4, float32, a single sample). Each case is
run on copies of its inputs, under a watcher for reference calls, with floating-point errors
raised, and compared with the reference by ``compare``.
"""
from __future__ import annotations

import contextlib
import copy
import inspect
import linecache
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ._guard import CAPTURED_NUMPY, call_watched
from .compare import as_checked_array, close, compare
from .remote import ReferenceUnavailable, Remote, StudentTimeout, WorkerLost
from .report import Report
from .worker import notebook_data_read

_errstate = CAPTURED_NUMPY["errstate"]
_array_equal = CAPTURED_NUMPY["array_equal"]
ANY_BPLIB = ("any bplib code",)
# In the student's own kernel, the checks run beside the student's code and guard against it
# (see _guard). The judge turns this off for its own thread (``judging``): there the student's
# code is in another process, and the objects the checks drive are Remotes.
_judging = threading.local()


@contextlib.contextmanager
def judging():
    """Run checks as the judge: no in-process guards in this thread."""
    before = getattr(_judging, "active", False)
    _judging.active = True
    try:
        yield
    finally:
        _judging.active = before


def in_process_guards() -> bool:
    return not getattr(_judging, "active", False)
_LIBRARY_DIRS = (str(Path(np.__file__).parent), str(Path(__file__).resolve().parent.parent))


@dataclass
class Case:
    """One input to try.

    Attributes
    ----------
    description : str
        How the message refers to it, e.g. "a random (5, 3) input" (never the expected output).
    args, kwargs : the call's arguments
    batch : int, optional
        The batch size N, when the result is averaged over a batch (enables the ratio-N hint).
    float32 : bool
        The input is float32 and the result must stay float32.
    raises : str, optional
        The input is invalid: the function must raise ValueError, and this text (the hint)
        says why.
    """

    description: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    batch: int | None = None
    float32: bool = False
    raises: str | None = None
    copy: bool = True  # False hands the student the objects themselves (e.g. parameters to update)


class Exercise:
    """Base class: ``run`` checks a student's object and records problems in the report."""

    name: str
    # bplib objects the student may use (a base class handed out, a module), or ANY_BPLIB
    # when the exercise is to *use* bplib (e.g. to train a model with it)
    allowed: tuple = ()
    reference: Callable
    # exercises whose student version this one runs (train_logistic calls logistic_grad)
    depends_on: tuple = ()
    # "module.name" of library code that would give the exercise away (bplib's Conv2d, for
    # conv2d_forward): withheld from the sandbox like the reference (see sandbox.py)
    withholds: tuple = ()
    # whether the judge computes the reference for the notebook's cells (grading.or_reference)
    serve_reference: bool = True

    def run(self, student: Any, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        raise NotImplementedError

    def served(self) -> Callable:
        """What the judge runs when the notebook's cells call the reference in the sandbox: the
        reference itself, by default (the judge binds the cells' arguments by its signature)."""
        return self.reference


def check_defaults(student: Callable, reference: Callable, report: Report) -> None:
    """A default argument that differs from the reference's (leaky_relu's alpha, the h of a centred
    difference): the checks pass every argument, so only the signature shows it."""
    try:
        theirs, ours = inspect.signature(student).parameters, inspect.signature(reference).parameters
    except (TypeError, ValueError):
        return
    for name, param in ours.items():
        if (param.default is inspect.Parameter.empty or name not in theirs
                or theirs[name].default is inspect.Parameter.empty):
            continue  # no default to compare (a skeleton may leave one out)
        try:
            same = theirs[name].default is param.default or bool(theirs[name].default == param.default)
        except Exception:  # a default whose == is not one bool (an array)
            same = False
        if not same:
            report.fail("wrong_default", arg=name)


def _matches_every_part(result: tuple | list, wrong: Any, rtol: float, atol: float) -> bool:
    if not isinstance(wrong, (tuple, list)) or len(wrong) != len(result):
        return False
    parts = [as_checked_array(r, Report(""), "") for r in result]
    return all(p is not None and close(p, np.asarray(w, dtype=np.float64), rtol, atol) for p, w in zip(parts, wrong))


def note_failing_dependencies(report: Report, exercise: Exercise, passed: dict) -> None:
    """A failure of an exercise that runs another, failing one: say that one comes first."""
    failing = [name for name in exercise.depends_on if passed.get(name) is False]
    if failing and not report.passed:
        report.fail_first("dependency_fails", other=failing[0])


def _student_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """The traceback's frames in the student's own code (not numpy's, not bplib's)."""
    remote = getattr(error, "student_frames", None)  # an error raised in the sandbox, as data
    if remote is not None:
        return [traceback.FrameSummary(str(file), int(line), str(name), line=str(text))
                for file, line, name, text in remote]
    return [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(_LIBRARY_DIRS)]


def where_in_student_code(error: BaseException) -> str:
    """The last line of the student's own code in the traceback, e.g. "line 4: return x @ W"."""
    frames = _student_frames(error)
    if not frames:
        return "inside a library call, with arguments your code passed"
    frame = frames[-1]
    line = frame.line or linecache.getline(frame.filename, frame.lineno).strip()
    return f"line {frame.lineno}: `{line}`"


def _unfinished_function(error: BaseException) -> str | None:
    """The name of the student's function that raised NotImplementedError (a stub)."""
    frames = _student_frames(error)
    return frames[-1].name if frames else None


def _own_names(name: str, fn: Callable) -> set[str]:
    """Names that belong to the exercise itself: its name, the function's, and for a class or
    a method, the class's methods (a stub __init__ is the exercise, not a helper)."""
    if isinstance(fn, Remote):
        return {name, fn.__name__} | fn.members()
    owner = fn if isinstance(fn, type) else type(getattr(fn, "__self__", None))
    return {name, getattr(fn, "__name__", None)} | (set(dir(owner)) if owner is not type(None) else set())


def _parameter_name(fn: Callable, i: int) -> str:
    """The name of fn's i-th positional parameter, for messages ("w0" rather than "argument 2")."""
    try:
        return list(inspect.signature(fn).parameters)[i]
    except (TypeError, ValueError, IndexError):
        return f"argument {i + 1}"


def call_student(report: Report, fn: Callable, case: Case, allowed: tuple) -> tuple[str, Any]:
    """Run ``fn`` on a copy of the case's inputs.

    Returns (status, result): status is "ok", "nonfinite" (a floating-point overflow, division
    by zero or invalid operation, left for the caller to explain) or "failed" (already reported).
    """
    args, kwargs = (copy.deepcopy(case.args), copy.deepcopy(case.kwargs)) if case.copy else (case.args, case.kwargs)
    try:
        with _errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            result, reached = _call(fn, args, kwargs, allowed)
    except _SANDBOX_ERRORS as error:
        _report_sandbox_error(report, error, case)
        return "failed", None
    except NotImplementedError as error:
        unfinished = _unfinished_function(error)
        if unfinished and unfinished not in _own_names(report.name, fn):
            report.stop("depends_on_unfinished", other=unfinished)
        else:
            report.stop("not_implemented")
        return "failed", None
    except FloatingPointError as error:
        return "nonfinite", str(error)
    except Exception as error:  # the student's code failed: explain, never show our internals
        described = f"{type(error).__name__}: {error}"
        report.fail(_raised_key(described), case=case.description, error=described, where=where_in_student_code(error))
        return "failed", None
    if reached:
        report.stop("reference_used", path=reached[0])
        return "failed", None
    for i, (before, after) in enumerate(zip(case.args, args) if case.copy else ()):
        if isinstance(before, np.ndarray) and not (isinstance(after, np.ndarray) and _array_equal(before, after)):
            report.fail("mutated_input", arg=_parameter_name(fn, i))
    return "ok", result


def _raised_key(described: str) -> str:
    """The hint for an error: three kinds of shape error say more than the error text."""
    if "matmul" in described and "mismatch" in described:
        return "matmul_shapes"
    if "backward expects dout of the output's shape" in described:  # bplib's layers, run by the student's code
        return "dout_shape_in_backward"
    if "non-broadcastable output operand" in described:
        return "inplace_shape_mismatch"
    if "could not be broadcast together" in described:
        return "broadcast_shapes"
    return "raised"


def _call(fn: Callable, args: tuple, kwargs: dict, allowed: tuple) -> tuple[Any, list[str]]:
    """fn(*args, **kwargs), watched for calls into bplib where the student's code runs here."""
    if allowed is ANY_BPLIB or not in_process_guards():
        return fn(*args, **kwargs), []
    return call_watched(fn, args, kwargs, allowed)


# What the sandbox can answer instead of a result (see remote.py); each stops the check.
_SANDBOX_ERRORS = (ReferenceUnavailable, StudentTimeout, WorkerLost)


def _report_sandbox_error(report: Report, error: Exception, case: Case) -> None:
    if isinstance(error, ReferenceUnavailable):  # "bplib.activations.sigmoid is an exercise of ..."
        report.stop("reference_used", path=str(error).split(" is an exercise")[0])
    elif isinstance(error, StudentTimeout):
        report.stop("timed_out", case=case.description, error=str(error))
    else:
        report.stop("worker_lost", case=case.description, error=str(error))


def rerun_ignoring_errors(fn: Callable, case: Case) -> np.ndarray | None:
    """The result of re-running with floating-point errors ignored (inf and NaN kept), or None."""
    try:
        with _errstate(all="ignore"):
            result = fn(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
    except Exception:
        return None
    return as_checked_array(result, Report(""), "")


def overflowed_but_right(fn: Callable, case: Case, expected: np.ndarray, rtol: float, atol: float) -> bool:
    """Re-run with floating-point errors ignored: was only the way there unstable?"""
    got = rerun_ignoring_errors(fn, case)
    return got is not None and close(got, np.asarray(expected, dtype=np.float64), rtol, atol)


def same_nonfinite(got: np.ndarray, wrong: Any, rtol: float, atol: float) -> bool:
    """got equals a wrong variant's result, inf and NaN where it has them included."""
    wrong = np.asarray(wrong, dtype=np.float64)
    if got.shape != wrong.shape:
        return False
    nan_got, nan_wrong = got != got, wrong != wrong
    if not (nan_got == nan_wrong).all():
        return False
    finite = ~nan_got & (got.__abs__() != np.inf)
    # NaN in the same places says nothing by itself (a right formula gives NaN at 0 · log 0 too):
    # some finite entries, or the same infinities, must match as well.
    return (bool(finite.any() or not nan_got.any())
            and bool((got[~finite & ~nan_got] == wrong[~finite & ~nan_got]).all())
            and close(got[finite], wrong[finite], rtol, atol))


def uses_notebook_global(fn: Callable) -> str | None:
    """The name of a notebook-level array or count that ``fn`` reads, if any (misconception 24)."""
    names = fn.notebook_globals() if isinstance(fn, Remote) else notebook_data_read(fn)
    return names[0] if names else None


@dataclass
class FunctionExercise(Exercise):
    """A function checked value by value against a reference.

    Attributes
    ----------
    name : str
    reference : callable with the same signature as the student's function
    cases : callable (rng, hidden) -> list[Case]
    variants : hint key -> a known wrong implementation (same signature); a result that matches
        one of them gets that hint
    outputs : names of the returned values when the function returns a tuple, else None
    nonfinite_key : the hint for overflow or NaN
    right_but_nonfinite_key : the hint when the values are right but a floating-point error
        (overflow, log of 0) happened on the way
    """

    name: str
    reference: Callable
    cases: Callable[[np.random.Generator, bool], list[Case]]
    variants: dict[str, Callable] = field(default_factory=dict)
    outputs: tuple[str, ...] | None = None
    nonfinite_key: str = "overflow"
    right_but_nonfinite_key: str = "overflow_on_the_way"  # right values, overflow on the way
    rtol: float = 1e-6
    atol: float = 1e-9
    allowed: tuple = ()
    depends_on: tuple = ()
    ratios: bool = True  # whether a factor N, 2 or -1 between result and reference names a mistake
    withholds: tuple = ()
    integers: bool = False  # the result holds counts: an integer dtype, as np.bincount gives

    def run(self, student: Callable, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        check_defaults(student, self.reference, report)
        for case in self.cases(rng, hidden):
            report.cases += 1
            self._run_case(student, case, report)
            if report.stopped:
                return
        if not report.passed:
            global_name = uses_notebook_global(student)
            if global_name:  # the likely cause of what failed: said first
                report.fail_first("uses_global", global_name=global_name)

    def _run_case(self, student: Callable, case: Case, report: Report) -> None:
        if case.raises:
            self._expect_value_error(student, case, report)
            return
        expected = self.reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        status, result = call_student(report, student, case, self.allowed)
        if status == "nonfinite":
            got = rerun_ignoring_errors(student, case) if self.outputs is None else None
            named = next((key for key, wrong in self.variants.items() if got is not None
                          and same_nonfinite(got, self._variant(wrong, case), self.rtol, self.atol)), None)
            if got is not None and close(got, np.asarray(expected, dtype=np.float64), self.rtol, self.atol):
                report.fail(self.right_but_nonfinite_key, case=case.description)
            elif named:  # a known mistake whose numbers break down on this input (0/0 after underflow)
                report.fail(named, case=case.description)
            else:
                report.fail(self.nonfinite_key, case=case.description, error=result)
        if status != "ok":
            return
        variants = {key: self._variant(wrong, case) for key, wrong in self.variants.items()}
        variants = {key: v for key, v in variants.items() if v is not None}
        if self.outputs is None:
            parts = [("", result, expected, variants)]
        elif isinstance(result, (tuple, list)) and len(result) == len(self.outputs):
            # A variant names the mistake only when it matches the whole result: (da, da) is
            # not "swapped" because its second half looks like the swapped answer's.
            variants = {k: v for k, v in variants.items() if _matches_every_part(result, v, self.rtol, self.atol)}
            parts = [(f" ({out})", result[i], expected[i], {k: v[i] for k, v in variants.items()})
                     for i, out in enumerate(self.outputs)]
        else:
            count = len(result) if isinstance(result, (tuple, list)) else 1
            report.fail("wrong_length", case=case.description, got=count, expected=len(self.outputs))
            return
        # float32 carries ~7 significant digits, so its results are compared more loosely.
        rtol, atol = (max(self.rtol, 1e-5), max(self.atol, 1e-6)) if case.float32 else (self.rtol, self.atol)
        for label, got, want, wrong_results in parts:
            compare(report, got, want, case.description + label, batch=case.batch, rtol=rtol, atol=atol,
                    nonfinite_key=self.nonfinite_key, variants=wrong_results, ratios=self.ratios)
            if case.float32 and isinstance(got, np.ndarray) and got.dtype != np.float32:
                report.fail("wrong_dtype", case=case.description, got=got.dtype)
            if self.integers and report.passed and isinstance(got, np.ndarray) and got.dtype.kind not in "iu":
                report.fail("counts_not_integers", case=case.description, got=got.dtype)

    def _expect_value_error(self, student: Callable, case: Case, report: Report) -> None:
        try:
            _call(student, copy.deepcopy(case.args), copy.deepcopy(case.kwargs), self.allowed)
        except ValueError:
            return
        except _SANDBOX_ERRORS as error:
            _report_sandbox_error(report, error, case)
            return
        except NotImplementedError:
            report.stop("not_implemented")
            return
        except Exception as error:
            report.fail("raised", case=case.description, error=f"{type(error).__name__}: {error}",
                        where=where_in_student_code(error))
            return
        report.fail("should_raise", case=case.description, why=case.raises)

    @staticmethod
    def _variant(wrong: Callable, case: Case):
        """The result of a known wrong implementation on this case (None if it fails)."""
        try:
            with _errstate(all="ignore"):
                return wrong(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
        except Exception:
            return None
