"""How long grading a class takes, with the sandbox and without it, and under load.

A scratch course gets a class of 02-activation-functions (a third perfect, a third half
done, a third empty, by default 30 submissions). Each mode grades the whole class from
scratch with ``tasks.py autograde`` (judge ahead, ``--jobs`` at a time, then one nbgrader
run that records the scores) and prints the wall time, the time per submission, and whether
every perfect submission got full marks:

- sandbox, one at a time, and the same without the sandbox (``--unsafe``): the sandbox's cost;
- sandbox, 2 and 4 at a time: a class on 2 cores, and 4 submissions fighting over 2 cores,
  where a correct submission must still lose no point (the limits count CPU time).

    python benchmarks/bench_grading.py                 # about 4 minutes on 2 cores
    python benchmarks/bench_grading.py --students 12 --modes sandbox-1 unsafe-1
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import submissions  # noqa: E402
from tools.course import autograde, nbgrader  # noqa: E402

ASSIGNMENT = "02-activation-functions"
MODES = {"sandbox-1": ["--jobs", "1"], "unsafe-1": ["--jobs", "1", "--unsafe"],
         "sandbox-2": ["--jobs", "2"], "sandbox-4": ["--jobs", "4"]}


def make_course(base: Path, students: int) -> tuple[Path, list[str]]:
    course = base / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=course, capture_output=True)
    released, solution = submissions.load(ASSIGNMENT, course)
    ids = submissions.answer_ids(solution)
    kinds = {"perfect": submissions.filled(released, solution),
             "partial": submissions.filled(released, solution, ids[: len(ids) // 2]), "empty": released}
    perfect = []
    for i in range(students):
        kind = list(kinds)[i % 3]
        name = f"{kind}-{i:02d}"
        submissions.write(kinds[kind], course / "submitted" / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        if kind == "perfect":
            perfect.append(name)
    return course, perfect


def full_marks(course: Path, students: list[str]) -> int:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        return sum(1 for s in students if (sub := gb.find_submission(ASSIGNMENT, s)).score == sub.max_score)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    ns = parser.parse_args()
    print(f"{ns.students} submissions of {ASSIGNMENT}; each mode grades the class from scratch\n")
    print(f"{'mode':<12}{'wall s':>9}{'s / submission':>16}{'perfect with full marks':>26}")
    for mode in ns.modes:
        with tempfile.TemporaryDirectory() as base:
            course, perfect = make_course(Path(base), ns.students)
            start = time.perf_counter()
            autograde([ASSIGNMENT, *MODES[mode]], cwd=course, capture_output=True)
            wall = time.perf_counter() - start
            ok = full_marks(course, perfect)
            print(f"{mode:<12}{wall:>9.1f}{wall / ns.students:>16.2f}{f'{ok} of {len(perfect)}':>26}", flush=True)
            if ok != len(perfect):
                sys.exit(f"{mode}: a perfect submission lost points")


if __name__ == "__main__":
    main()
