"""tools/nbbuild.py: what it builds follows the course template, and an exercise it inserts into
a solution notebook is released by nbgrader like the others and removed without a trace.

The release is nbgrader's own: generate_assignment's preprocessors, run in this process (the
gradebook aside, which a release only writes to), so that no nbgrader command has to start.
That they release exactly as the real command does is checked on a committed notebook.
"""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from bplib.grading import NOTEBOOKS
from tests.test_notebooks import (
    check_answers_document_their_arguments,
    check_each_exercise_has_an_answer_then_its_check,
    check_ends_with_summary_and_progress,
    check_title_goals_and_setup,
)
from tools import nbbuild
from tools.submissions import grade_id, is_answer, is_check

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "08-training-on-real-data"  # three exercises: accuracy, confusion_matrix, predict_digits
NAME = "softplus"
TASK = """### Exercise · `softplus` (1 point)

Write `softplus(z)`, $\\log(1 + e^{z})$ elementwise, without overflow for any $z$:
$$\\log(1 + e^{z}) = \\max(z, 0) + \\log(1 + e^{-|z|}).$$"""
ANSWER = '''def softplus(z):
    """log(1 + exp(z)), elementwise, finite for every finite z.

    Parameters
    ----------
    z : np.ndarray, any shape, float64

    Returns
    -------
    np.ndarray, the shape of z
    """
    ### BEGIN SOLUTION
    return np.logaddexp(0.0, z)
    ### END SOLUTION'''
STUB = "raise NotImplementedError()"


def release(notebook):
    """The student version of ``notebook``, as ``nbgrader generate_assignment`` writes it."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    # generate_assignment's list, without IncludeHeaderFooter (the course has none), InstantiateTests
    # (no cell asks for it) and SaveCells (the gradebook), in its order.
    steps = (LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums, ClearHiddenTests,
             ClearMarkScheme, ComputeChecksums, CheckCellMetadata)
    notebook, resources = copy.deepcopy(notebook), {}
    for step in steps:
        notebook, resources = step().preprocess(notebook, resources)
    return notebook


@pytest.fixture
def solution(tmp_path) -> Path:
    """A copy of the solution notebook, to edit."""
    path = tmp_path / f"{ASSIGNMENT}.ipynb"
    shutil.copy(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", path)
    return path


def _expected_names() -> list[str]:
    return [exercise.name for exercise in NOTEBOOKS[ASSIGNMENT]]


def test_a_built_notebook_follows_the_template(tmp_path):
    path = tmp_path / "99-example.ipynb"
    nbbuild.write(path, [
        nbbuild.markdown("# 99 · An example\n\nOne exercise.\n\nBy the end of this notebook you can:\n\n- build one"),
        nbbuild.setup("99-example", imports="from bplib import data"),
        nbbuild.markdown("## 1. The idea\n\n$$\\sigma(z) = \\frac{1}{1 + e^{-z}}$$"),
        *nbbuild.exercise(NAME, TASK, ANSWER, points=2),
        nbbuild.markdown("## Summary\n\n- softplus"),
        nbbuild.summary(),
    ])
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    check_title_goals_and_setup(nb.cells, "99-example")
    check_each_exercise_has_an_answer_then_its_check(nb.cells, [NAME])
    check_answers_document_their_arguments(nb.cells)
    check_ends_with_summary_and_progress(nb.cells)
    assert [c.id for c in nb.cells] == ["cell-00", "setup", "cell-02", f"task-{NAME}", NAME, f"check-{NAME}",
                                        "cell-06", "summary"]


def test_the_release_here_is_nbgrader_generate_assignment():
    """What ``release`` makes of a solution notebook is the committed course/ notebook, byte for byte."""
    source = nbbuild.load_notebook(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    committed = (ROOT / "course" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert nbformat.writes(release(source)) + "\n" == committed


def test_an_inserted_exercise_follows_the_template_and_is_released_like_the_others(solution):
    nb = nbbuild.load_notebook(solution)
    before = [c.id for c in nb.cells]
    at = nbbuild.insert_exercise(nb, nbbuild.exercise(NAME, TASK, ANSWER, points=2), after="check-accuracy")
    nbbuild.save_notebook(nb, solution)

    nb = nbformat.read(solution, as_version=4)
    ids = [c.id for c in nb.cells]
    assert ids[at - 1] == "check-accuracy" and ids[at:at + 3] == [f"task-{NAME}", NAME, f"check-{NAME}"]
    assert ids[:at] + ids[at + 3:] == before, "the other cells keep their ids and their order"
    task, answer, check = nb.cells[at:at + 3]
    assert task.cell_type == "markdown" and task.source == TASK
    assert answer.metadata["nbgrader"] == {"grade": False, "grade_id": NAME, "locked": False, "schema_version": 3,
                                           "solution": True}
    assert check.metadata["nbgrader"] == {"grade": True, "grade_id": f"check-{NAME}", "locked": True, "points": 2,
                                          "schema_version": 3, "solution": False}
    assert check.metadata["tags"] == ["raises-exception"]
    check_each_exercise_has_an_answer_then_its_check(nb.cells, [*_expected_names(), NAME])
    check_answers_document_their_arguments(nb.cells)
    check_title_goals_and_setup(nb.cells, ASSIGNMENT)
    check_ends_with_summary_and_progress(nb.cells)

    student = release(nb)
    committed = nbformat.read(ROOT / "course" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert student.cells[:at] + student.cells[at + 3:] == committed.cells, "the other cells are released as before"
    task, answer, check = student.cells[at:at + 3]
    assert task.source == TASK
    assert STUB in answer.source and "logaddexp" not in answer.source and "### BEGIN SOLUTION" not in answer.source
    namespace: dict = {}
    exec(answer.source, namespace)  # the stub still defines softplus, which then raises
    with pytest.raises(NotImplementedError):
        namespace[NAME](0.0)
    assert check.source == f'grading.check("{NAME}")', "the hidden tests are stripped, the visible check stays"
    assert check.metadata["editable"] is False and check.metadata["deletable"] is False  # locked


def test_removing_an_inserted_exercise_gives_the_notebook_back(solution):
    original = solution.read_bytes()
    nb = nbbuild.load_notebook(solution)
    nbbuild.insert_exercise(nb, nbbuild.exercise(NAME, TASK, ANSWER), after=12)
    nbbuild.save_notebook(nb, solution)
    nb = nbbuild.load_notebook(solution)
    removed = nbbuild.remove_exercise(nb, NAME)
    assert [c.id for c in removed] == [f"task-{NAME}", NAME, f"check-{NAME}"]
    nbbuild.save_notebook(nb, solution)
    assert json.loads(solution.read_bytes()) == json.loads(original)
    assert solution.read_bytes() == original  # and written as tasks.py execute writes it


@pytest.mark.parametrize("task_cell, gone", [("marked", []), ("keep", []), ("adjacent", ["cell-19"])])
def test_a_hand_written_task_goes_only_when_asked(solution, task_cell, gone):
    """The committed exercises have no marked task cell: theirs often opens a section as well."""
    nb = nbbuild.load_notebook(solution)
    removed = nbbuild.remove_exercise(nb, "confusion_matrix", task_cell=task_cell)
    assert [c.id for c in removed] == [*gone, "confusion_matrix", "check-confusion_matrix"]
    assert [grade_id(c) for c in nb.cells if is_answer(c) or is_check(c)] == [
        "accuracy", "check-accuracy", "predict_digits", "check-predict_digits"]


def test_find_cell_by_index_grade_id_or_cell_id(solution):
    nb = nbbuild.load_notebook(solution)
    assert nbbuild.find_cell(nb, "setup") == 1 == nbbuild.find_cell(nb, 1)
    assert nbbuild.find_cell(nb, "cell-06") == 6
    assert nbbuild.find_cell(nb, -1) == len(nb.cells) - 1
    with pytest.raises(ValueError, match="no cell with grade id or id 'nowhere'"):
        nbbuild.find_cell(nb, "nowhere")
    with pytest.raises(ValueError, match="no cell 99"):
        nbbuild.find_cell(nb, 99)


@pytest.mark.parametrize("after, match", [
    (0, "after the setup cell"),                       # between the title and the setup
    ("accuracy", "inside exercise 'accuracy'"),      # between an answer and its check
    (-2, "before the summary"),                        # the summary's markdown stays second to last
    ("summary", "before the summary"),
])
def test_insert_refuses_a_place_that_breaks_the_template(solution, after, match):
    nb = nbbuild.load_notebook(solution)
    with pytest.raises(ValueError, match=match):
        nbbuild.insert_exercise(nb, nbbuild.exercise(NAME, TASK, ANSWER), after=after)


def test_insert_refuses_a_taken_name_and_exercise_an_answer_without_markers(solution):
    nb = nbbuild.load_notebook(solution)
    with pytest.raises(ValueError, match="already has a cell confusion_matrix, check-confusion_matrix"):
        nbbuild.insert_exercise(nb, nbbuild.exercise("confusion_matrix", TASK, ANSWER), after="check-accuracy")
    with pytest.raises(ValueError, match="missing ### END SOLUTION"):
        nbbuild.exercise(NAME, TASK, ANSWER.replace("### END SOLUTION", ""))
    with pytest.raises(ValueError, match="no answer cell of grade id 'softplus'"):
        nbbuild.remove_exercise(nb, NAME)


def test_prose_and_plots_go_in_with_their_ids(solution):
    """insert_cells puts markdown and code cells (with their cell_id) after a cell, and the
    notebook stays valid; a cell without an id, or with one that is taken, is refused."""
    nb = nbbuild.load_notebook(solution)
    before = [c.id for c in nb.cells]
    cells = [nbbuild.markdown("## A new section", cell_id="softplus-intro"),
             nbbuild.code("plt.show()", cell_id="softplus-plot")]
    index = nbbuild.insert_cells(nb, "check-accuracy", cells)
    assert index == nbbuild.find_cell(nb, "check-accuracy") + 1
    assert [c.id for c in nb.cells] == before[:index] + ["softplus-intro", "softplus-plot"] + before[index:]
    assert nb.cells[index].cell_type == "markdown" and "".join(nb.cells[index + 1].source) == "plt.show()"
    nbbuild.save_notebook(nb, solution)  # validates
    with pytest.raises(ValueError, match="needs its id"):
        nbbuild.insert_cells(nb, "check-accuracy", [nbbuild.markdown("no id")])
    with pytest.raises(ValueError, match="already has a cell softplus-plot"):
        nbbuild.insert_cells(nb, 3, [nbbuild.code("x = 1", cell_id="softplus-plot")])


def test_the_command_line_inserts_and_removes(solution, tmp_path, capsys):
    original = solution.read_bytes()
    answer = tmp_path / "softplus.py"
    answer.write_text(ANSWER)
    nbbuild.main(["insert", str(solution), NAME, "--after", "check-confusion_matrix", "--answer", str(answer),
                  "--points", "2"])
    assert "inserted task-softplus, softplus and check-softplus" in capsys.readouterr().out
    nb = nbbuild.load_notebook(solution)
    task = next(c for c in nb.cells if c.id == f"task-{NAME}")
    assert task.source == "### Exercise · `softplus` (2 points)"  # the default task: its heading
    with pytest.raises(SystemExit, match="inside exercise 'softplus'"):
        nbbuild.main(["insert", str(solution), "other", "--after", NAME, "--answer", str(answer)])
    nbbuild.main(["remove", str(solution), NAME])
    assert solution.read_bytes() == original


def test_tasks_py_runs_nbbuild(solution, tmp_path, monkeypatch):
    """``python3 tasks.py nbbuild ...`` runs tools/nbbuild.py as a script, which works outside pytest too."""
    import tasks

    assert "nbbuild" in tasks.COMMANDS and "tasks.py nbbuild" in tasks.__doc__
    commands = []
    monkeypatch.setattr(tasks, "run", lambda *cmd, **kwargs: commands.append((cmd, kwargs)))
    answer = tmp_path / "softplus.py"
    answer.write_text(ANSWER)
    tasks.COMMANDS["nbbuild"](["insert", str(solution), NAME, "--after", "3", "--answer", str(answer)])
    (_, script, *args), kwargs = commands[0]
    assert script == ROOT / "tools" / "nbbuild.py"
    # tasks.run would use .venv's python: this interpreter is the same one, or its stand-in.
    done = subprocess.run([sys.executable, str(script), *args], cwd=kwargs["cwd"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [c.id for c in nbbuild.load_notebook(solution).cells][4:7] == [f"task-{NAME}", NAME, f"check-{NAME}"]
