"""The nbgrader pipeline, end to end, on a scratch copy of the course.

Each assignment is released in a scratch course, a perfect and a partial notebook are submitted
(the partial one solves the first half of the exercises and leaves the others as the released
stubs), autograded through the judge and its sandbox, as the course's nbgrader_config.py says, and
given feedback; the tests then read the gradebook and the files nbgrader wrote. Crafted, hostile
submissions are tests/test_judge_attacks.py.
"""
from __future__ import annotations

import filecmp
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from bplib.grading.sandbox import sandbox_problem
from tools import submissions
from tools.course import assignments, nbgrader_env
from tools.course import nbgrader as run_nbgrader

ROOT = Path(__file__).resolve().parent.parent
# COURSE_ASSIGNMENTS=02-activation-functions,03-loss-functions limits the run (while writing one).
ASSIGNMENTS = [a for a in os.environ.get("COURSE_ASSIGNMENTS", "").split(",") if a] or assignments()
TIMEOUT = 30  # CPU seconds per cell while grading
# Figures are left out of the graded copies: they cost a third of the grading time and no
# test reads them (the demo class and the class cycle keep them, as the course config does).
# These submissions are the course's own: where no sandbox can be made, grade them without one
# (tests/test_judge_attacks.py, which needs the sandbox, is skipped there).
UNSAFE_IF_NO_SANDBOX = ["--JudgeSubmission.unsafe=True"] if sandbox_problem() else []

pytestmark = pytest.mark.skipif(not ASSIGNMENTS, reason="no assignments yet")


def nbgrader(*args, cwd, check=True):
    return run_nbgrader(*args, cwd=cwd, check=check, capture_output=True, text=True)


@functools.cache
def _empty_gradebook() -> Path:
    """A new gradebook, made once per process by nbgrader itself: a new one costs a 2.5 s
    `alembic heads` subprocess, and every scratch course would pay it."""
    path = Path(tempfile.mkdtemp()) / "gradebook.db"
    subprocess.run([sys.executable, "-c", f"from nbgrader.api import Gradebook; Gradebook('sqlite:///{path}').close()"],
                   env=nbgrader_env(), check=True)  # nbgrader_env: alembic on the PATH
    return path


def _grade(root: Path, assignment: str) -> None:
    """Release one assignment in its own scratch course, submit, autograde, make feedback."""
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copy(_empty_gradebook(), root / "gradebook.db")
    shutil.copytree(ROOT / "solutions" / assignment, root / "solutions" / assignment)
    nbgrader("generate_assignment", assignment, "--force", cwd=root)
    student, solution = submissions.load(assignment, root)
    subs = {
        "perfect": submissions.filled(student, solution),
        # Half of the answers solved, the others the released stubs: the second half also stands
        # for an empty submission (every notebook is graded twice, not three times: each run of a
        # notebook in the sandbox is most of what this module costs).
        "partial": submissions.filled(student, solution, solved_half(solution)),
    }
    for name, nb in subs.items():
        path = root / "submitted" / name / assignment / f"{assignment}.ipynb"
        submissions.write(nb, path)
    nbgrader("autograde", assignment, f"--JudgeSubmission.timeout={TIMEOUT}", "--JudgeSubmission.figures=False",
             *UNSAFE_IF_NO_SANDBOX, cwd=root, check=False)
    nbgrader("generate_feedback", assignment, cwd=root, check=False)


def solved_half(solution) -> list[str]:
    """The answers that the partial submission solves: the first half, which no later one needs."""
    ids = submissions.answer_ids(solution)
    return ids[: max(1, len(ids) // 2)]


def check_points(assignment) -> dict[str, list[str]]:
    """"solved" and "stubs": the check cells of the partial submission's solved and unsolved answers."""
    solution = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    solved = set(solved_half(solution))
    checks = {"solved": [], "stubs": []}
    for cell in solution.cells:
        name = submissions.grade_id(cell)
        if submissions.is_check(cell) and name and name.startswith("check-"):
            checks["solved" if name[len("check-"):] in solved else "stubs"].append(name)
    return checks


def gradebook(root):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{root}/gradebook.db")


def scores(roots, assignment, student):
    """(total score, max score, {check grade_id: score}); score None where grading failed."""
    from nbgrader.api import MissingEntry

    with gradebook(roots[assignment]) as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return None, None, {}
        notebook = sub.notebooks[0]
        cells = {g.name: g.score for g in notebook.grades}
        return sub.score, sub.max_score, cells


def _hidden_test_lines(assignment):
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    lines = []
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if "### BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "### END HIDDEN TESTS" in line:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
    return lines



class GradedAssignment:
    """The tests of one assignment, on its own scratch course (own gradebook), graded once for
    the class. pytest-xdist hands each assignment's class to one worker (--dist loadscope),
    so the two workers grade two assignments at once, beside the other slow tests."""

    graded: str  # the assignment (not named `assignment`, which is the fixture below)

    @pytest.fixture(scope="class")
    @classmethod
    def course(cls, tmp_path_factory):
        """assignment -> the root of its scratch course, where it was graded."""
        root = tmp_path_factory.mktemp(cls.graded)
        _grade(root, cls.graded)
        return {cls.graded: root}

    @pytest.fixture
    def assignment(self):
        return self.graded

    def test_solutions_score_full_marks(self, course, assignment):
        score, max_score, cells = scores(course, assignment, "perfect")
        assert max_score > 0 and score == max_score, cells


    def test_stubs_score_zero(self, course, assignment):
        """Every check of an answer left as the released stub scores 0, and every solved one full marks."""
        _, max_score, cells = scores(course, assignment, "partial")
        checks = check_points(assignment)
        assert max_score > 0 and checks["stubs"], "the partial submission leaves some answers as stubs"
        assert all(cells.get(name) == 0 for name in checks["stubs"]), cells
        _, _, perfect = scores(course, assignment, "perfect")
        assert all(cells.get(name) == perfect[name] > 0 for name in checks["solved"]), cells


    def test_partial_submission_gets_partial_credit(self, course, assignment):
        score, max_score, _ = scores(course, assignment, "partial")
        assert 0 < score < max_score


    def test_graded_copy_of_a_stub_runs_outside_answer_and_check_cells(self, course, assignment):
        """The judged run of the partial submission, half of whose answers are stubs: the
        notebook's other cells work as in Jupyter (tests/test_notebooks.py runs the student
        version itself, every answer a stub), except in the notebooks whose
        exercises are classes. Their demonstrations build the student's unfinished classes there:
        the sandbox has no reference classes, and the judge holds no objects for the cells."""
        from bplib.grading import NOTEBOOKS

        if any(isinstance(e.reference, type) or not e.serve_reference for e in NOTEBOOKS[assignment]):
            pytest.skip("its demonstrations build the student's classes or run the student's training step: "
                        "for a stub they fail, and what follows them")
        nb = nbformat.read(course[assignment] / "autograded" / "partial" / assignment / f"{assignment}.ipynb",
                           as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code" or submissions.is_answer(cell) or submissions.is_check(cell):
                continue
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"{assignment}: cell {cell.source[:60]!r} fails for a student who has not finished"


    def test_feedback_never_shows_hidden_tests(self, course, assignment):
        import html

        hidden = _hidden_test_lines(assignment)
        assert hidden, "every assignment has hidden tests"
        pages = list((course[assignment] / "feedback").glob(f"*/{assignment}/*.html"))
        assert len(pages) >= 2
        for page in pages:
            text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
            assert "Score" in text
            for line in hidden:
                assert line not in text, f"{page.name} of {page.parent.parent.name} shows a hidden test: {line}"


    def test_release_matches_committed_course(self, course, assignment):
        """course/ is exactly what nbgrader generates from solutions/ (the fixture released it)."""
        fresh, committed = course[assignment] / "course" / assignment, ROOT / "course" / assignment
        assert committed.exists(), f"course/{assignment} is missing: run `python3 tasks.py release`"
        comparison = filecmp.dircmp(fresh, committed)
        stale = comparison.diff_files + comparison.left_only + comparison.right_only
        assert not stale, (f"course/{assignment} differs from what solutions/ generates ({stale}): "
                           "run `python3 tasks.py release`")
        for notebook in fresh.glob("*.ipynb"):
            assert notebook.read_bytes() == (committed / notebook.name).read_bytes(), "run `python3 tasks.py release`"


def test_sample_class_is_current(tmp_path):
    from tools.course import SAMPLE_ASSIGNMENT

    for student, nb in submissions.sample_class(SAMPLE_ASSIGNMENT).items():
        shipped = ROOT / "samples" / "submitted" / student / SAMPLE_ASSIGNMENT / f"{SAMPLE_ASSIGNMENT}.ipynb"
        fresh = tmp_path / f"{student}.ipynb"
        submissions.write(nb, fresh)
        assert shipped.read_bytes() == fresh.read_bytes(), "rerun `python3 tasks.py sample-class`"


for _assignment in ASSIGNMENTS:  # TestGraded01, TestGraded02, ...: one class per assignment
    _name = f"TestGraded{_assignment.split('-')[0]}"
    globals()[_name] = type(_name, (GradedAssignment,),
                            {"graded": _assignment, "__doc__": f"The pipeline on {_assignment}."})


def test_every_course_command_is_reachable_from_tasks_py():
    """An instructor runs everything through tasks.py: each command of tools/course.py is one of
    its commands too, and its docstring (what `python3 tasks.py` prints) names it."""
    import tasks
    from tools import course

    for command in course.COMMANDS:
        assert command in tasks.COMMANDS and f"tasks.py {command}" in tasks.__doc__, command
    authoring = (ROOT / "docs" / "authoring.md").read_text()
    for command in tasks.COMMANDS:  # and docs/authoring.md's table of commands lists every one
        assert f"tasks.py {command}" in tasks.__doc__ and f"| `{command}" in authoring, command
