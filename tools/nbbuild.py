"""Build course notebooks with the nbgrader metadata of the course template.

The solution notebooks in solutions/ are the source of truth, edited in Jupyter like any
nbgrader assignment. This module is a convenience for writing a new one from a script:

    from tools.nbbuild import markdown, code, setup, answer, check, summary, write
    write("solutions/02-activation-functions/02-activation-functions.ipynb", [
        markdown("# Activation functions ..."),
        setup("02-activation-functions"),
        answer("sigmoid", '''def sigmoid(x): ...'''),
        check("sigmoid", points=2),
        ...
        summary(),
    ])

Then run `python3 tasks.py execute` (stores outputs) and `python3 tasks.py release`.

An exercise can also be added to an existing solution notebook, or taken out of one:

    nb = load_notebook(path)
    insert_exercise(nb, exercise("softplus", task, answer_text, points=1), after="check-relu")
    remove_exercise(nb, "softplus")
    save_notebook(nb, path)

or from the shell (see `python3 tasks.py nbbuild --help`):

    python3 tasks.py nbbuild insert 02-activation-functions softplus --after check-relu --answer softplus.py
    python3 tasks.py nbbuild remove 02-activation-functions softplus

An exercise is three cells, with these ids: its task (markdown, id ``task-<name>``), its answer
(grade id and id ``<name>``) and its check (grade id and id ``check-<name>``). The other cells
keep their ids, so removing an inserted exercise gives back the notebook as it was, byte for byte.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Literal

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `tools` importable
from tools.submissions import MARKERS as SOLUTION_MARKERS  # noqa: E402
from tools.submissions import grade_id, is_answer, is_check  # noqa: E402

SCHEMA = 3  # nbgrader's cell metadata schema


def _nbgrader(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _source(text: str) -> list[str]:
    text = text.strip("\n")
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def _with_id(cell: dict, cell_id: str | None) -> dict:
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


def markdown(text: str, cell_id: str | None = None) -> dict:
    """A markdown cell (derivations in LaTeX: $...$ and $$...$$). ``cell_id``: its id, needed to
    insert it into an existing notebook (``insert_cells``); a new notebook numbers its cells itself."""
    return _with_id({"cell_type": "markdown", "metadata": {}, "source": _source(text)}, cell_id)


def code(text: str, tags: tuple[str, ...] = (), cell_id: str | None = None) -> dict:
    """An ordinary code cell (worked examples, plots), ``cell_id`` as for ``markdown``. Tag timing or
    progress-bar cells "nbval-ignore-output" so that nbval does not compare their varying output."""
    meta = {"tags": list(tags)} if tags else {}
    cell = {"cell_type": "code", "metadata": meta, "source": _source(text), "outputs": [], "execution_count": None}
    return _with_id(cell, cell_id)


def setup(notebook: str, imports: str = "") -> dict:
    """The locked first code cell: imports numpy and bplib, seeds randomness, starts grading."""
    text = f"""# Setup (read-only): imports, a fixed random seed, and the checks of this notebook.
import numpy as np
import matplotlib.pyplot as plt
from bplib import grading
{imports.strip()}
grading.start("{notebook}")
rng = np.random.default_rng(0)"""
    cell = code(re.sub(r"\n\n+", "\n", text))
    cell["metadata"].update(_nbgrader("setup", locked=True))
    return cell


def answer(grade_id: str, text: str) -> dict:
    """A student answer cell; the solution sits between ### BEGIN SOLUTION / ### END SOLUTION."""
    cell = code(text)
    cell["metadata"].update(_nbgrader(grade_id, solution=True))
    return cell


def check(name: str, points: int = 1, names: tuple[str, ...] | None = None, extra: str = "") -> dict:
    """A graded, locked check cell for one exercise: a visible part and a hidden part.

    ``names`` lists the exercises it checks (default: just ``name``). Tagged
    "raises-exception" so that Run All continues past a failing check.
    """
    names = names or (name,)
    visible = "\n".join(f'grading.check("{n}")' for n in names)
    hidden = "\n".join(f'grading.check("{n}", hidden=True)' for n in names)
    text = f"{visible}\n{extra.strip()}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"
    cell = code(re.sub(r"\n\n+", "\n", text), tags=("raises-exception",))
    cell["metadata"].update(_nbgrader(f"check-{name}", grade=True, locked=True, points=points))
    return cell


def summary() -> dict:
    """The locked last cell: which exercises of this notebook pass."""
    cell = code("# Which exercises pass? (Run all cells first: Run > Run All Cells.)\ngrading.summary()")
    cell["metadata"].update(_nbgrader("summary", locked=True))
    return cell


def write(path: str | Path, cells: list[dict]) -> None:
    """Write the notebook with stable cell ids (so diffs stay small): a cell's own id (the task of an
    ``exercise``), else its grade id, else its position."""
    for i, cell in enumerate(cells):
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        cell["id"] = cell.get("id") or grade_id or f"cell-{i:02d}"
    nb = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- exercises in existing notebooks


def exercise(name: str, task: str, answer_text: str, points: int = 1, names: tuple[str, ...] | None = None,
             extra: str = "") -> list[dict]:
    """The three cells of one exercise: its task, its answer and its check, with their ids.

    Parameters
    ----------
    name : str
        The exercise's name, a key of ``bplib.grading.EXERCISES``; the answer's grade id.
    task : str
        The markdown stating the task (by the course's habit, headed "### Exercise N · `name` (1 point)").
    answer_text : str
        The answer cell as for ``answer``: the signature, the docstring and the solution between
        ``### BEGIN SOLUTION`` and ``### END SOLUTION``.
    points, names, extra
        As for ``check``.

    Returns
    -------
    list of dict
        [task markdown (id ``task-<name>``), answer (id ``<name>``), check (id ``check-<name>``)].

    Raises
    ------
    ValueError
        If ``answer_text`` lacks a solution marker: nbgrader would release the solution itself.
    """
    missing = [marker for marker in SOLUTION_MARKERS if marker not in answer_text]
    if missing:
        raise ValueError(f"the answer of {name} must hold its solution between {' and '.join(SOLUTION_MARKERS)}; "
                         f"missing {', '.join(missing)}")
    cells = [markdown(task), answer(name, answer_text), check(name, points=points, names=names, extra=extra)]
    for cell, cell_id in zip(cells, (task_id(name), name, f"check-{name}")):
        cell["id"] = cell_id
    return cells


def task_id(name: str) -> str:
    """The id that marks the task cell of exercise ``name`` (what ``remove_exercise`` looks for)."""
    return f"task-{name}"


def load_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook to edit with ``insert_exercise`` or ``remove_exercise``."""
    return nbformat.read(Path(path), as_version=4)


def save_notebook(notebook: nbformat.NotebookNode, path: str | Path) -> None:
    """Write a notebook as ``tasks.py execute`` does (nbformat's layout), after validating it."""
    nbformat.validate(notebook)
    nbformat.write(notebook, Path(path))


def find_cell(notebook: nbformat.NotebookNode, cell: str | int) -> int:
    """The index of ``cell``: an index (negative counts from the end), a grade id, or a cell id.

    Raises
    ------
    ValueError
        If no cell has that index, grade id or id.
    """
    cells = notebook["cells"]
    if isinstance(cell, int):
        if not -len(cells) <= cell < len(cells):
            raise ValueError(f"no cell {cell}: the notebook has {len(cells)} cells")
        return cell % len(cells)
    for key in (grade_id, lambda c: c.get("id")):  # a grade id first: it is what authors see
        found = [i for i, c in enumerate(cells) if key(c) == cell]
        if found:
            return found[0]
    raise ValueError(f"no cell with grade id or id {cell!r}")


def insert_exercise(notebook: nbformat.NotebookNode, cells: list[dict], after: str | int) -> int:
    """Insert an exercise's cells (from ``exercise``) right after the cell ``after``, in place.

    The place must keep the template: after the setup cell, before the summary (the last two
    cells), and not inside another exercise, between its answer and its check.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        A solution notebook, e.g. from ``load_notebook``.
    cells : list of dict
        The cells to insert, each with its id: usually ``exercise(...)``.
    after : str or int
        Where: a grade id ("check-relu"), a cell id ("cell-16") or an index (see ``find_cell``).

    Returns
    -------
    int
        The index of the first inserted cell.

    Raises
    ------
    ValueError
        If the place breaks the template, or an id of the new cells is already taken.
    """
    existing = notebook["cells"]
    index = find_cell(notebook, after)
    setup = next((i for i, c in enumerate(existing) if grade_id(c) == "setup"), 0)
    summary = next((i for i, c in enumerate(existing) if grade_id(c) == "summary"), len(existing) + 1)
    if index < setup:
        raise ValueError(f"an exercise goes after the setup cell (cell {setup}); got cell {index}")
    if index >= summary - 1:  # the summary's markdown and its code cell stay last
        raise ValueError(f"an exercise goes before the summary (cells {summary - 1} and {summary}); got cell {index}")
    # The nearest answer or check at or before the place: an answer there would be separated from its check.
    previous = next((c for c in reversed(existing[:index + 1]) if is_answer(c) or is_check(c)), None)
    if previous is not None and is_answer(previous):
        raise ValueError(f"cell {index} is inside exercise {grade_id(previous)!r}: insert after its check cell, "
                         f"check-{grade_id(previous)}")
    return insert_cells(notebook, index, cells)


def insert_cells(notebook: nbformat.NotebookNode, after: str | int, cells: list[dict]) -> int:
    """Insert ``cells`` (from ``markdown`` and ``code``, each with its ``cell_id``) after cell ``after``
    (as for ``find_cell``), in place, for prose and plots around an exercise. Returns the first new index.

    Raises
    ------
    ValueError
        If ``after`` is no cell, a new cell has no id, or an id is the notebook's already.
    """
    existing, new = notebook["cells"], [nbformat.from_dict(c) for c in cells]
    index = find_cell(notebook, after)
    if not all(c.get("id") for c in new):
        raise ValueError("every cell to insert needs its id: markdown(text, cell_id=...), code(text, cell_id=...)")
    taken = ({c.get("id") for c in existing} | {grade_id(c) for c in existing}) - {None}
    clashes = [c.id for c in new if c.id in taken or grade_id(c) in taken]
    if clashes:
        raise ValueError(f"the notebook already has a cell {', '.join(clashes)}")
    existing[index + 1:index + 1] = new
    return index + 1


TaskCell = Literal["marked", "adjacent", "keep"]


def remove_exercise(notebook: nbformat.NotebookNode, name: str, task_cell: TaskCell = "marked") -> list[dict]:
    """Remove exercise ``name`` in place: its answer cell, its check cell and, per ``task_cell``, its task.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
    name : str
        The answer's grade id; its check is the cell of grade id ``check-<name>``, which must follow it.
    task_cell : "marked", "adjacent" or "keep"
        Which markdown cell goes too. "marked" (the default): the cell of id ``task-<name>``, which
        ``exercise`` gives the task it makes, if there is one; a hand-written task stays, since it
        often introduces a whole section too. "adjacent": the markdown cell right before the
        answer, whatever its id. "keep": none.

    Returns
    -------
    list of dict
        The removed cells, in notebook order.

    Raises
    ------
    ValueError
        If there is no such answer, its check does not follow it, or ``task_cell`` is "adjacent"
        and the cell before the answer is not markdown.
    """
    cells = notebook["cells"]
    answers = [i for i, c in enumerate(cells) if is_answer(c) and grade_id(c) == name]
    if not answers:
        known = [grade_id(c) for c in cells if is_answer(c)]
        raise ValueError(f"no answer cell of grade id {name!r}; the answers are {', '.join(known)}")
    at = answers[0]
    checks = [i for i, c in enumerate(cells) if grade_id(c) == f"check-{name}"]
    if not checks or checks[0] < at:
        raise ValueError(f"no check cell check-{name} after the answer {name}")
    doomed = {at, checks[0]}
    if task_cell == "marked":
        doomed |= {i for i, c in enumerate(cells) if c.get("id") == task_id(name) and c["cell_type"] == "markdown"}
    elif task_cell == "adjacent":
        if at == 0 or cells[at - 1]["cell_type"] != "markdown":
            raise ValueError(f"the cell before the answer {name} is not a markdown cell")
        doomed.add(at - 1)
    elif task_cell != "keep":
        raise ValueError(f'task_cell must be "marked", "adjacent" or "keep"; got {task_cell!r}')
    removed = [c for i, c in enumerate(cells) if i in doomed]
    cells[:] = [c for i, c in enumerate(cells) if i not in doomed]
    return removed


# ---------------------------------------------------------------- the command line


def notebook_path(notebook: str) -> Path:
    """A path to a notebook, or an assignment's name ("02-activation-functions"): its solution notebook."""
    path = Path(notebook)
    if path.suffix == ".ipynb":
        return path
    return ROOT / "solutions" / notebook / f"{notebook}.ipynb"


def _points(points: int) -> str:
    return f"{points} point" + ("" if points == 1 else "s")


def main(argv: list[str] | None = None) -> None:
    """``python3 tasks.py nbbuild insert|remove ...``: add an exercise to a solution notebook, or take one out."""
    parser = argparse.ArgumentParser(prog="tasks.py nbbuild", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    insert = commands.add_parser("insert", help="insert an exercise's task, answer and check cells")
    insert.add_argument("notebook", help="an assignment (02-activation-functions) or a path to a notebook")
    insert.add_argument("name", help="the exercise's name, as in bplib.grading.EXERCISES")
    insert.add_argument("--after", required=True,
                        help="the cell to insert after: a grade id (check-relu), a cell id (cell-16) or an index")
    insert.add_argument("--answer", required=True, type=Path,
                        help="a file holding the answer cell, its solution between ### BEGIN/END SOLUTION")
    insert.add_argument("--task", type=Path,
                        help="a file holding the task's markdown (default: only the heading "
                             "\"### Exercise · `NAME` (N points)\")")
    insert.add_argument("--points", type=int, default=1)
    remove = commands.add_parser("remove", help="remove an exercise's answer and check cells, and its task cell")
    remove.add_argument("notebook", help="an assignment (02-activation-functions) or a path to a notebook")
    remove.add_argument("name")
    remove.add_argument("--task-cell", choices=["marked", "adjacent", "keep"], default="marked",
                        help="which markdown cell goes too: the one marked task-NAME (default), the one right "
                             "before the answer, or none")
    ns = parser.parse_args(argv)
    path = notebook_path(ns.notebook)
    if not path.exists():
        sys.exit(f"no notebook {path}")
    nb = load_notebook(path)
    try:
        if ns.command == "insert":
            task = ns.task.read_text() if ns.task else f"### Exercise · `{ns.name}` ({_points(ns.points)})"
            after = int(ns.after) if re.fullmatch(r"-?\d+", ns.after) else ns.after
            index = insert_exercise(nb, exercise(ns.name, task, ns.answer.read_text(), points=ns.points), after)
            print(f"{path}: inserted {task_id(ns.name)}, {ns.name} and check-{ns.name} "
                  f"as cells {index} to {index + 2}")
            print(f"next: list {ns.name!r} under this notebook in bplib/grading/exercises/, then "
                  f"python3 tasks.py execute {path} and python3 tasks.py release {path.parent.name}")
        else:
            removed = remove_exercise(nb, ns.name, ns.task_cell)
            print(f"{path}: removed {', '.join(c.get('id') or '?' for c in removed)}")
            still = [c.get("id") for c in nb["cells"] if f'"{ns.name}"' in "".join(c["source"])]
            if still:
                print(f"note: cells {', '.join(still)} still name {ns.name!r}")
    except ValueError as error:
        sys.exit(f"{path}: {error}")
    save_notebook(nb, path)


if __name__ == "__main__":
    main()
