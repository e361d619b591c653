"""Compare a student's result with the reference and recognise *how* it differs.

A wrong gradient is rarely random: a constant ratio of N, 2 or −1, a transposed shape or an
extra batch axis each point at one specific mistake, and naming it is the hint.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._guard import CAPTURED_BUILTINS, CAPTURED_NUMPY
from .report import Report

_array = CAPTURED_NUMPY["array"]
_isfinite = CAPTURED_NUMPY["isfinite"]
_median = CAPTURED_NUMPY["median"]
_type = CAPTURED_BUILTINS["type"]
_isinstance = CAPTURED_BUILTINS["isinstance"]

_SCALAR_TYPES = (float, int, np.floating, np.integer)


def as_checked_array(value: Any, report: Report, case: str) -> np.ndarray | None:
    """Convert a result to a plain float64 ndarray, refusing anything that is not numeric data.

    Only exact ndarrays and real scalars pass: a subclass or custom object could define an
    ``__eq__`` that always agrees, so nothing of the student's type survives this function.
    """
    if _type(value) is np.ndarray and value.dtype.kind in "fiub":
        return _array(value, dtype=np.float64, copy=True)
    if (_type(value) in (float, int)
            or _isinstance(value, (np.floating, np.integer)) and _type(value).__module__ == "numpy"):
        return _array(float(value), dtype=np.float64)
    report.fail("wrong_type", case=case, kind=_type(value).__name__)
    return None


def close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    """Elementwise |a - b| <= atol + rtol |b|, written with ndarray operators only.

    Where b is inf, a must be the same inf (|a - inf| <= rtol · inf holds for every finite a);
    where b is NaN, nothing is close to it."""
    if a.shape != b.shape:
        return False
    finite = _isfinite(b)
    if not finite.all():
        if not (a[~finite] == b[~finite]).all():
            return False
        a, b = a[finite], b[finite]
    return bool(((a - b).__abs__() <= atol + rtol * b.__abs__()).all())


def _shape_problem(got: tuple, expected: tuple, batch: int | None) -> str:
    if len(got) == 2 and got == expected[::-1]:
        return "transposed"
    if batch is not None and got == (batch,) + expected:
        return "not_summed_over_batch"
    if batch is not None and len(got) == 2 and got[0] == got[1] == batch and expected in ((batch,), (batch, 1)):
        return "broadcast"
    if batch is not None and batch > 1 and got == expected + (batch,):  # X.T @ (N, N): an error broadcast on the way
        return "broadcast"
    return "wrong_shape"


_RATIO_KEYS = ((2.0, "ratio_2"), (0.5, "ratio_half"), (-1.0, "ratio_minus_1"))


def _constant_ratio(got: np.ndarray, expected: np.ndarray) -> float | None:
    """got / expected where that ratio is the same (to 1e-6) for every meaningful entry."""
    scale = expected.__abs__().max() if expected.size else 0.0
    mask = expected.__abs__() > 1e-9 * scale
    if scale == 0 or not mask.any():
        return None
    ratios = got[mask] / expected[mask]
    r = float(_median(ratios))
    if (r != 0 and ((ratios - r).__abs__() <= 1e-6 * abs(r)).all()
            and (got[~mask].__abs__() <= 1e-9 * scale * max(1, abs(r))).all()):
        return r
    return None


def diagnose_values(report: Report, got: np.ndarray, expected: np.ndarray, case: str, batch: int | None,
                    ratios: bool = True) -> None:
    """Name the pattern of a wrong result: a ratio of N, 1/N, 2, 1/2 or -1, or all zeros.

    ``ratios=False`` where a factor means no known mistake (an accuracy): the message then
    says only that every entry is off by one factor."""
    ratio = _constant_ratio(got, expected)
    if ratio is not None and abs(ratio - 1) > 1e-6 and not ratios:
        report.fail("constant_ratio" if got.size > 1 else "wrong_values", case=case)
    elif ratio is not None and abs(ratio - 1) > 1e-6:
        for value, key in _RATIO_KEYS + (((batch, "ratio_N"), (1 / batch, "ratio_inv_N"))
                                         if batch and batch > 2 else ()):
            if abs(ratio - value) <= 1e-6 * abs(value):
                report.fail(key, case=case, N=batch)
                return
        # Any two single numbers have *some* ratio: a constant factor means something only
        # when it holds across many entries.
        report.fail("constant_ratio" if got.size > 1 else "wrong_values", case=case)
    elif expected.any() and not got.any():
        report.fail("all_zero", case=case)
    elif close(got, expected, 1e-2, 1e-6 * float(expected.__abs__().max(initial=0.0))):
        report.fail("nearly_right", case=case)  # what is seen, not a guess: within 1 %
    else:
        report.fail("wrong_values", case=case)


def compare(
    report: Report,
    value: Any,
    expected: np.ndarray,
    case: str,
    *,
    batch: int | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    nonfinite_key: str = "overflow",
    variants: dict[str, np.ndarray] | None = None,
    ratios: bool = True,
) -> bool:
    """Check ``value`` against ``expected``; on a mismatch, record the most specific hint.

    Parameters
    ----------
    value : the student's result
    expected : np.ndarray, float64, the reference result
    case : str, a description of the input, used in the message
    batch : int, the batch size N, if the result comes from a batch (enables the ratio-N hints)
    variants : hint key -> result of a known wrong implementation on the same input
    """
    got = as_checked_array(value, report, case)
    if got is None:
        return False
    expected = _array(expected, dtype=np.float64)
    wrongs = {key: _array(wrong, dtype=np.float64) for key, wrong in (variants or {}).items()}
    if got.shape != expected.shape:
        key = next((k for k, w in wrongs.items() if w.shape == got.shape and close(got, w, rtol, atol)), None)
        key = key or _shape_problem(got.shape, expected.shape, batch)
        report.fail(key, case=case, got=got.shape, expected=expected.shape)
        return False
    if not _isfinite(got).all() and _isfinite(expected).all():
        report.fail(nonfinite_key, case=case, error="the result holds inf or NaN")
        return False
    if close(got, expected, rtol, atol):
        return True
    # A variant names the mistake only when it alone matches: where two mistakes give the same
    # numbers on this input, the evidence does not say which one was made.
    matching = [key for key, wrong in wrongs.items() if close(got, wrong, rtol, atol)]
    if len(matching) == 1:
        report.fail(matching[0], case=case)
        return False
    diagnose_values(report, got, expected, case, batch, ratios)
    return False
