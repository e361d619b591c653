"""The judge: grades one submitted notebook from outside the submission.

It works as an online judge does. The submission computes; the judge decides:

1. ``rebuild`` makes the notebook to run from the *released* notebook: its setup, check and
   other locked cells as released, the student's answer cells matched by ``grade_id`` (or
   cell id), and the student's own extra cells where the student put them. Metadata edits,
   deleted or forged cells and extra files change nothing.
2. A sandboxed worker (``sandbox.Worker``) runs the code cells, except the check cells, in
   order, as Jupyter would. At each check cell the judge *pins* the objects that the check
   needs: later cells cannot swap them.
3. The judge then runs every check itself, with the same exercise definitions that the
   notebook's own check cells use, driving the pinned objects as ``Remote`` handles. The
   visible part draws the same inputs as the student's notebook; the hidden part draws new
   ones from a secret that only the instructor's course holds. The check cell's output, and
   so its score, is written here: nothing the submission printed counts.

A submission that hangs or kills its process loses the check it was in; the judge starts a
new sandbox, replays the cells that ran, and goes on with the next check.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import hmac
import os
import secrets
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output

from .exercise import judging, note_failing_dependencies
from .exercises import EXERCISES
from .remote import MISSING, Remote, StudentTimeout, WorkerLost
from .report import Report
from .sandbox import Limits, Worker, prepare_library, reference_functions

SECRET_FILE = ".grading_secret"
MAX_RESTARTS = 3


# ---- which cells run


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_check(cell) -> bool:
    return (cell.get("cell_type") == "code" and bool(_nbgrader(cell).get("grade"))
            and not _nbgrader(cell).get("solution"))


def parse_checks(source: str) -> list[tuple[str, bool]]:
    """The ``grading.check("name", hidden=...)`` calls of a check cell, in order.

    A check cell holds nothing else: the judge runs these calls, not the cell's code.
    """
    calls = []
    for statement in ast.parse(source).body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        ok = (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "check"
              and isinstance(call.func.value, ast.Name) and call.func.value.id == "grading"
              and len(call.args) == 1 and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
              and all(k.arg == "hidden" and isinstance(k.value, ast.Constant) for k in call.keywords))
        if not ok:
            raise ValueError("a check cell may hold only grading.check(\"name\"[, hidden=True]) calls, "
                             f"not: {ast.unparse(statement)}")
        calls.append((call.args[0].value, any(bool(k.value.value) for k in call.keywords)))
    return calls


def rebuild(submitted: NotebookNode | None, released: NotebookNode) -> NotebookNode:
    """The notebook to grade: the released cells, with the student's answers and extra cells.

    Parameters
    ----------
    submitted : the student's notebook (untrusted), or None when it could not be read
    released : the instructor's source notebook, hidden tests included (trusted)
    """
    by_grade_id = {_nbgrader(c).get("grade_id"): c for c in released.cells if _nbgrader(c).get("grade_id")}
    by_cell_id = {c.get("id"): c for c in released.cells if c.get("id")}
    matched: dict[str, Any] = {}  # released cell id -> the student's version
    extras: dict[str | None, list] = {}  # released cell id -> the student's cells that follow it
    anchor = None
    for cell in submitted.cells if submitted is not None else ():
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue
        grade_id = _nbgrader(cell).get("grade_id")
        target = by_grade_id.get(grade_id) if grade_id in by_grade_id else by_cell_id.get(cell.get("id"))
        if target is not None and target.get("id") not in matched:
            matched[target.get("id")] = cell
            anchor = target.get("id")
        elif cell.get("cell_type") == "code" and isinstance(cell.get("source"), str) and cell["source"].strip():
            extras.setdefault(anchor, []).append(cell)
    plan = copy.deepcopy(released)
    plan.cells = [_student_cell(c) for c in extras.get(None, [])]
    for cell in released.cells:
        info, mine = _nbgrader(cell), matched.get(cell.get("id"))
        graded = copy.deepcopy(cell)
        if cell.get("cell_type") == "code":
            graded.outputs, graded.execution_count = [], None
        editable = info.get("solution") or not (info.get("locked") or info.get("grade"))
        if editable and cell.get("cell_type") == "code":
            graded.source = mine.get("source", "") if mine is not None and isinstance(mine.get("source"), str) else ""
        elif editable and mine is not None and isinstance(mine.get("source"), str):
            graded.source = mine["source"]  # a written answer, for the instructor to read
        plan.cells.append(graded)
        plan.cells += [_student_cell(c) for c in extras.get(cell.get("id"), [])]
    return plan


def _student_cell(cell) -> NotebookNode:
    return new_code_cell(source=cell["source"])


# ---- the secret behind the hidden inputs


def load_secret(course_root: Path) -> bytes:
    """The course's grading secret, created on first use (private to the instructor)."""
    path = Path(course_root) / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text().strip())


def visible_rng(name: str) -> np.random.Generator:
    """The inputs of a check's visible part: the same as in the student's notebook."""
    return np.random.default_rng([zlib.crc32(name.encode()), 0])


def hidden_rng(secret: bytes, assignment: str, student: str, name: str) -> np.random.Generator:
    """The inputs of a check's hidden part: drawn from the secret, new for every student."""
    digest = hmac.new(secret, f"{assignment}\0{student}\0{name}".encode(), hashlib.sha256).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))


# ---- running a submission


_libraries: dict[tuple[str, ...], Path] = {}


def library_for(names: tuple[str, ...]) -> Path:
    """The sandbox's bplib for a notebook whose checks are ``names`` (made once per process)."""
    if names not in _libraries:
        folder = Path(tempfile.mkdtemp(prefix="bplib-judge-lib-"))
        os.chmod(folder, 0o755)  # the sandbox's user must read it
        _libraries[names] = prepare_library([EXERCISES[n] for n in names if n in EXERCISES], folder)
    return _libraries[names]


@dataclass
class Step:
    """One thing the worker does in the first phase: run a cell, or pin a check's objects."""

    cell: int
    names: tuple[str, ...] = ()  # set for a check cell: the names to pin
    failed: bool = False  # it stopped the worker: not replayed


@dataclass
class Judged:
    """What grading one notebook gives: the notebook with its outputs, and each check's verdict."""

    notebook: NotebookNode
    passed: dict[str, bool] = field(default_factory=dict)
    restarts: int = 0


class _Run:
    def __init__(self, plan: NotebookNode, library: Path, limits: Limits, unsafe: bool) -> None:
        self.plan, self.library, self.limits, self.unsafe = plan, library, limits, unsafe
        self.worker: Worker | None = None
        self.restarts = 0
        self.pins: dict[int, dict[str, Any]] = {}
        self.steps: list[Step] = []
        self.references: dict[str, Any] = {}
        self.cells_running = True  # first phase: the notebook's cells may use bplib's references

    def start(self) -> None:
        if self.restarts > MAX_RESTARTS:
            raise WorkerLost(f"the submission stopped its sandbox {MAX_RESTARTS + 1} times")
        self.worker = Worker(self.library, self.limits, unsafe=self.unsafe)
        self.worker.connection.references = self.references
        self.worker.connection.references_open = self.cells_running

    def alive(self) -> bool:
        return self.worker is not None and self.worker.connection.alive

    def ensure_worker(self, upto: int) -> None:
        """A live worker that has run steps[:upto] (except those that killed one)."""
        if self.alive():
            return
        if self.worker is not None:
            self.worker.stop()
            self.restarts += 1
        self.start()
        connection = self.worker.connection
        connection.references_open = True  # replaying the cells, as in the first phase
        for step in self.steps[:upto]:
            if not step.failed:
                self.do(step, record=False)
        connection.references_open = self.cells_running

    def start_checking(self) -> None:
        """From now on the references are refused: the student's code is being judged."""
        self.cells_running = False
        if self.worker is not None:
            self.worker.connection.references_open = False

    def do(self, step: Step, record: bool) -> None:
        connection = self.worker.connection
        if step.names:
            self.pins[step.cell] = {name: connection.pin(name) for name in step.names}
            return
        result = connection.request("run_cell", source=self.plan.cells[step.cell].source)
        if record:
            self.plan.cells[step.cell].outputs = [new_output(**o) for o in _outputs(result)]

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()


def _outputs(result: Any) -> list[dict]:
    """The worker's description of a cell's outputs, kept only where well-formed."""
    kept = []
    for o in result.get("outputs", []) if isinstance(result, dict) else []:
        kind = o.get("output_type") if isinstance(o, dict) else None
        if kind == "stream" and o.get("name") in ("stdout", "stderr") and isinstance(o.get("text"), str):
            kept.append({"output_type": "stream", "name": o["name"], "text": o["text"]})
        elif kind in ("display_data", "execute_result") and isinstance(o.get("data"), dict):
            data = {k: v for k, v in o["data"].items()
                    if k in ("text/plain", "image/png", "text/html") and isinstance(v, str)}
            extra = {"execution_count": None} if kind == "execute_result" else {}
            kept.append({"output_type": kind, "data": data, "metadata": {}, **extra})
        elif kind == "error":
            kept.append({"output_type": "error", "ename": str(o.get("ename", "Error"))[:100],
                         "evalue": str(o.get("evalue", ""))[:2000],
                         "traceback": [str(o.get("ename", "Error"))[:100] + ": " + str(o.get("evalue", ""))[:2000]]})
    return kept


def _stopped_output(error: Exception) -> dict:
    what = "ran past its time limit" if isinstance(error, StudentTimeout) else "stopped the process running it"
    return new_output("error", ename="GraderStopped", evalue=f"This cell {what} ({error}); it was not finished.",
                      traceback=[f"This cell {what} ({error}); it was not finished."])


def check_one(student: Any, name: str, hidden: bool, rng: np.random.Generator) -> Report:
    """One check of one pinned object, as the notebook's check cell would run it."""
    exercise = EXERCISES[name]
    report = Report(name, hidden=hidden)
    if student is MISSING:
        report.stop("not_defined")
    elif not isinstance(student, Remote) or not student._info.get("callable"):
        report.stop("not_callable",
                    kind=student._info.get("type", "object") if isinstance(student, Remote) else type(student).__name__)
    else:
        try:
            exercise.run(student, report, rng, hidden)
        except StudentTimeout as error:
            report.stop("timed_out", case="one of its checks", error=str(error))
        except WorkerLost as error:
            report.stop("worker_lost", case="one of its checks", error=str(error))
        except Exception as error:  # an object too far from the skeleton for the check to drive
            report.stop("could_not_check", error=f"{type(error).__name__}: {error}"[:300])
    return report


HIDDEN_HEADER = "(the hidden part of this check, on inputs that the notebook does not show)"


def judge(submitted: NotebookNode | None, released: NotebookNode, assignment: str, student: str, secret: bytes,
          limits: Limits | None = None, unsafe: bool = False) -> Judged:
    """Grade one notebook. Returns it rebuilt, with every output, and the verdict of each check."""
    limits = limits or Limits()
    plan = rebuild(submitted, released)
    checks = {i: parse_checks(c.source) for i, c in enumerate(plan.cells) if is_check(c)}
    names = tuple(sorted({n for calls in checks.values() for n, _ in calls}))
    run = _Run(plan, library_for(names), limits, unsafe)
    run.references = reference_functions([EXERCISES[n] for n in names if n in EXERCISES])
    run.steps = [Step(i, tuple(dict.fromkeys(n for n, _ in checks[i]))) if i in checks else Step(i)
                 for i, c in enumerate(plan.cells) if c.cell_type == "code"]
    judged = Judged(plan)
    try:
        with judging():  # no student code runs in this process: nothing to guard here
            _first_phase(run)
            _second_phase(run, checks, judged, assignment, student, secret)
    finally:
        run.stop()
    judged.restarts = run.restarts
    _number_cells(plan)
    return judged


def _first_phase(run: _Run) -> None:
    for k, step in enumerate(run.steps):
        try:
            run.ensure_worker(k)
            run.do(step, record=True)
        except (StudentTimeout, WorkerLost) as error:
            step.failed = True
            if not step.names:
                run.plan.cells[step.cell].outputs = [_stopped_output(error)]


def _second_phase(run: _Run, checks: dict, judged: Judged, assignment: str, student: str, secret: bytes) -> None:
    run.start_checking()
    position = {step.cell: k for k, step in enumerate(run.steps)}
    for cell_index, calls in checks.items():
        lines, failure = [], None
        try:
            run.ensure_worker(len(run.steps))
            pins = run.pins.get(cell_index, {})
        except (StudentTimeout, WorkerLost):
            pins = {}
        if run.steps[position[cell_index]].failed:
            pins = {}
        for name, hidden in calls:
            rng = hidden_rng(secret, assignment, student, name) if hidden else visible_rng(name)
            report = check_one(pins.get(name, MISSING), name, hidden, rng) if pins else _lost_report(name, hidden)
            note_failing_dependencies(report, EXERCISES[name], judged.passed)
            if run.alive():
                run.worker.connection.forget_exposed()
            judged.passed[name] = judged.passed.get(name, True) and report.passed
            if not report.passed:
                failure = (HIDDEN_HEADER + "\n" if hidden else "") + report.text()
                break
            if not hidden:
                lines.append(report.text())
        outputs = [new_output("stream", name="stdout", text="\n".join(lines) + "\n")] if lines else []
        if failure:
            outputs.append(new_output("error", ename="CheckFailed", evalue=failure.splitlines()[0],
                                      traceback=failure.splitlines()))
        run.plan.cells[cell_index].outputs = outputs
    _write_summary(run.plan, judged)


def _lost_report(name: str, hidden: bool) -> Report:
    report = Report(name, hidden=hidden)
    report.stop("worker_lost", case="the cells before this check", error="the sandbox could not be restarted")
    return report


def _write_summary(plan: NotebookNode, judged: Judged) -> None:
    """The summary cell (``grading.summary()``) shows the judge's verdicts."""
    width = max((len(n) for n in judged.passed), default=0)
    passed = sum(judged.passed.values())
    text = f"Graded: {passed} of {len(judged.passed)} exercises pass\n" + "".join(
        f"  {n:<{width}}  {'✔ passed' if ok else '✘ not yet: see its check cell'}\n" for n, ok in judged.passed.items())
    for cell in plan.cells:
        if (cell.cell_type == "code" and _nbgrader(cell).get("locked") and "grading.summary()" in cell.source
                and not is_check(cell)):
            cell.outputs = [new_output("stream", name="stdout", text=text)]


def _number_cells(plan: NotebookNode) -> None:
    count = 0
    for cell in plan.cells:
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            for output in cell.get("outputs", []):
                if output.get("output_type") == "execute_result":
                    output["execution_count"] = count

