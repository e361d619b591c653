"""Every solution notebook follows the course template (docs/authoring.md).

The template is what makes the notebooks gradable and alike for students: a title with
goals, a locked setup cell, one answer cell and one check cell per exercise of
bplib.grading, a summary, and the progress cell last.

Each rule is a ``check_...`` function of the cells, which tests/test_nbbuild.py applies to the
notebooks that tools/nbbuild.py builds and edits.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from bplib.grading import NOTEBOOKS
from tools.course import assignments
from tools.submissions import grade_id, is_answer, is_check

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = assignments()


def load(assignment):
    return nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)


def test_every_notebook_of_the_grader_has_an_assignment():
    assert sorted(NOTEBOOKS) == ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_title_goals_and_setup(assignment):
    check_title_goals_and_setup(load(assignment).cells, assignment)


def check_title_goals_and_setup(cells, assignment: str) -> None:
    number = assignment[:2]
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith(f"# {number} · ")
    assert "By the end of this notebook you can" in cells[0].source
    setup = cells[1]
    assert grade_id(setup) == "setup" and setup.metadata["nbgrader"]["locked"]
    assert f'grading.start("{assignment}")' in setup.source
    assert "rng = np.random.default_rng(0)" in setup.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_exercise_has_an_answer_then_its_check(assignment):
    check_each_exercise_has_an_answer_then_its_check(load(assignment).cells, [e.name for e in NOTEBOOKS[assignment]])


def check_each_exercise_has_an_answer_then_its_check(cells, expected: list[str]) -> None:
    answers = [grade_id(c) for c in cells if is_answer(c)]
    assert sorted(answers) == sorted(expected)
    for i, cell in enumerate(cells):
        if not is_answer(cell):
            continue
        name = grade_id(cell)
        check = next(c for c in cells[i + 1:] if is_check(c) or is_answer(c))
        assert grade_id(check) == f"check-{name}", f"{name}: its check cell must follow its answer cell"
        assert check.metadata["nbgrader"]["points"] > 0 and check.metadata["nbgrader"]["locked"]
        assert "raises-exception" in check.metadata.get("tags", [])
        visible, _, hidden = check.source.partition("### BEGIN HIDDEN TESTS")
        assert f'grading.check("{name}")' in visible
        assert f'grading.check("{name}", hidden=True)' in hidden and "### END HIDDEN TESTS" in hidden
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_answers_document_their_arguments(assignment):
    check_answers_document_their_arguments(load(assignment).cells)


def check_answers_document_their_arguments(cells) -> None:
    """Every function or class in an answer cell has a docstring (with the argument shapes)."""
    for cell in cells:
        if not is_answer(cell):
            continue
        tree = ast.parse(cell.source)
        defined = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        assert defined, f"answer {grade_id(cell)} defines nothing"
        for node in defined:
            assert ast.get_docstring(node), f"{grade_id(cell)}: {node.name} has no docstring"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_ends_with_summary_and_progress(assignment):
    check_ends_with_summary_and_progress(load(assignment).cells)


def check_ends_with_summary_and_progress(cells) -> None:
    assert grade_id(cells[-1]) == "summary" and "grading.summary()" in cells[-1].source
    assert cells[-2].cell_type == "markdown" and re.search(r"^#+ .*Summary", cells[-2].source, re.M | re.I)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_latex_derivation_and_plots(assignment):
    cells = load(assignment).cells
    assert any("$$" in c.source for c in cells if c.cell_type == "markdown"), "derive the idea in LaTeX"
    pictures = sum("image/png" in o.get("data", {}) for c in cells if c.cell_type == "code" for o in c.outputs)
    assert pictures >= 2, "show it: plots where a student would rather look than read"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stored_executed_without_errors(assignment):
    for cell in load(assignment).cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None, "store the solutions executed: python3 tasks.py execute"
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source[:80]


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def released_runs(tmp_path_factory, monkeypatch_module):
    """Each student version, run in a kernel as a student would before writing anything (two
    at a time: one per core). assignment -> the executed notebook, or the error it raised.

    The figures are drawn but not rendered to images (Agg, no inline PNGs): that is a third
    of the time, and nbval renders every one of them in the solution notebooks."""
    from concurrent.futures import ThreadPoolExecutor

    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    monkeypatch_module.setenv("MPLBACKEND", "agg")
    # Made here, not in the threads: tmp_path_factory is not thread-safe (the first two calls race
    # to create the worker's base directory, and one removes it under the other).
    workdirs = {assignment: tmp_path_factory.mktemp(assignment) for assignment in ASSIGNMENTS}

    def run(assignment):
        nb = nbformat.read(ROOT / "course" / assignment / f"{assignment}.ipynb", as_version=4)
        # The kernel talks through Unix sockets in its own directory, not TCP ports: two kernels
        # started at once could be handed the same free port ("Address already in use"; CI failed on it).
        kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(workdirs[assignment] / "k"))
        try:
            NotebookClient(nb, km=kernel, timeout=120, allow_errors=False,
                           resources={"metadata": {"path": str(workdirs[assignment])}}).execute()
        except Exception as error:  # reported by the test of that notebook
            return error
        return nb

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(ASSIGNMENTS, pool.map(run, ASSIGNMENTS)))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_notebook_runs_for_a_student_who_has_not_started(released_runs, assignment):
    """Every cell but the check cells (tagged raises-exception) runs on the stubs: the
    demonstrations get the references through grading.or_reference."""
    nb = released_runs[assignment]
    assert not isinstance(nb, Exception), f"{assignment}, student version: {str(nb)[-1500:]}"
    checks = [c for c in nb.cells if is_check(c)]
    assert checks, "the notebook has check cells"
    assert all(any(o.output_type == "error" for o in c.outputs) for c in checks), "every check fails on a stub"


def _split_calls(cells) -> list[dict]:
    """The keyword arguments of every ``train_test_split(...)`` call in the notebook's code."""
    calls = []
    for cell in cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            called = getattr(node.func, "attr", getattr(node.func, "id", "")) if isinstance(node, ast.Call) else ""
            if called == "train_test_split":
                calls.append({k.arg: ast.literal_eval(k.value) for k in node.keywords})
    return calls


@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENTS if any(hasattr(e, "split") for e in NOTEBOOKS[a])])
def test_held_out_split_is_the_one_the_notebook_makes(assignment):
    """An exercise graded on held-out data declares its split; the notebook must make that same call,
    or the check would grade the model on samples it was trained on."""
    calls = _split_calls(load(assignment).cells)
    for exercise in NOTEBOOKS[assignment]:
        if hasattr(exercise, "split"):
            declared = exercise.split
            assert declared in calls, f"{exercise.name}: the notebook splits by {calls}, the check by {declared}"
