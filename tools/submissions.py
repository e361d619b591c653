"""Make student submissions from the course notebooks: for the sample class and the tests.

A submission starts as the released student notebook; ``filled`` copies the solution of
chosen answer cells into it, as a student who solved them would have written it.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_answer(cell) -> bool:
    return cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution", False)


def is_check(cell) -> bool:
    return cell.metadata.get("nbgrader", {}).get("grade", False)


def strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in MARKERS)


def load(assignment: str, root: Path = ROOT):
    """(student notebook, solution notebook) of an assignment."""
    student = nbformat.read(root / "course" / assignment / f"{assignment}.ipynb", as_version=4)
    solution = nbformat.read(root / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    return student, solution


def answer_ids(notebook) -> list[str]:
    return [grade_id(c) for c in notebook.cells if is_answer(c)]


def filled(student, solution, ids: list[str] | None = None, replace: dict[str, str] | None = None):
    """A copy of ``student`` with the answers ``ids`` (default: all) solved as in ``solution``,
    and any answer in ``replace`` (grade_id -> source) written as given."""
    solved = {grade_id(c): strip_markers(c.source) for c in solution.cells if is_answer(c)}
    ids = list(solved) if ids is None else ids
    replace = replace or {}
    nb = copy.deepcopy(student)
    for cell in nb.cells:
        gid = grade_id(cell)
        if is_answer(cell) and gid in replace:
            cell.source = replace[gid]
        elif is_answer(cell) and gid in ids:
            cell.source = solved[gid]
    return nb


def without_checks(notebook):
    """A copy with every check cell deleted (nbgrader must put them back)."""
    nb = copy.deepcopy(notebook)
    nb.cells = [c for c in nb.cells if not is_check(c)]
    return nb


def sample_class(assignment: str, root: Path = ROOT) -> dict[str, object]:
    """The bundled sample class: a perfect, a partial and an empty submission."""
    student, solution = load(assignment, root)
    ids = answer_ids(solution)
    return {
        "ada-perfect": filled(student, solution),
        "ben-partial": filled(student, solution, ids[: len(ids) // 2]),
        "cy-empty": copy.deepcopy(student),
    }


def write(notebook, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
