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
"""
from __future__ import annotations

import json
import re
from pathlib import Path

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


def markdown(text: str) -> dict:
    """A markdown cell (derivations in LaTeX: $...$ and $$...$$)."""
    return {"cell_type": "markdown", "metadata": {}, "source": _source(text)}


def code(text: str, tags: tuple[str, ...] = ()) -> dict:
    """An ordinary code cell (worked examples, plots). Tag timing or progress-bar cells
    "nbval-ignore-output" so that nbval does not compare their varying output."""
    meta = {"tags": list(tags)} if tags else {}
    return {"cell_type": "code", "metadata": meta, "source": _source(text), "outputs": [], "execution_count": None}


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
    """Write the notebook with stable cell ids (so diffs stay small)."""
    for i, cell in enumerate(cells):
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        cell["id"] = grade_id or f"cell-{i:02d}"
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
