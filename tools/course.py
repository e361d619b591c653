"""Instructor commands behind `python3 tasks.py release | execute | demo-class`.

    release      nbgrader generate_assignment for every folder of solutions/ into course/
    execute      run the solution notebooks in place, so that they are stored with outputs
    demo-class   grade the sample class (samples/submitted/) in a scratch course, demo-class/,
                 and print the grade table
    sample-class rewrite samples/submitted/ from the current course notebooks
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `tools` importable
SOLUTIONS = ROOT / "solutions"


def assignments() -> list[str]:
    """The assignment folders of solutions/ (each holds <name>/<name>.ipynb)."""
    folders = SOLUTIONS.iterdir() if SOLUTIONS.exists() else ()
    return sorted(p.name for p in folders if (p / f"{p.name}.ipynb").exists())


def nbgrader_env() -> dict[str, str]:
    """nbgrader runs `alembic` and `jupyter` from PATH: put this interpreter's scripts first."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def nbgrader(*args: str, cwd: Path = ROOT, check: bool = True, **run_options) -> subprocess.CompletedProcess:
    """Run `nbgrader <args>` in cwd with this interpreter; run_options go to subprocess.run."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    return subprocess.run(cmd, cwd=cwd, env=nbgrader_env(), check=check, **run_options)


def release(names: list[str]) -> None:
    for name in names or assignments():
        nbgrader("generate_assignment", name, "--force")


def execute(paths: list[str]) -> None:
    """Execute each solution notebook in its folder and store it with its outputs."""
    import nbformat
    from nbclient import NotebookClient

    targets = [Path(p) for p in paths] or [SOLUTIONS / n / f"{n}.ipynb" for n in assignments()]
    for path in targets:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        for cell in nb.cells:
            cell.metadata.pop("execution", None)  # timestamps: they would change every run
        # Progress bars are widgets: their state, under random ids, lands in the notebook's
        # metadata, from where nbgrader would copy it into the student version, and their stored
        # output is a frozen "0%". A bar means something only while it runs: store none.
        nb.metadata.pop("widgets", None)
        for cell in nb.cells:
            if "outputs" in cell:
                cell.outputs = [o for o in cell.outputs if "application/vnd.jupyter.widget-view+json" not in o.get("data", {})]
        nbformat.write(nb, path)
        print(f"executed {path}")


DEMO = ROOT / "demo-class"


def demo_class(_: list[str]) -> None:
    """Run the whole instructor loop on samples/submitted/ in demo-class/ and print the grades.

    demo-class/ is a scratch course (ignored by git): release, autograde, feedback and export
    happen there, so the real gradebook is untouched. Open demo-class/feedback/ to see what
    students receive.
    """
    shutil.rmtree(DEMO, ignore_errors=True)
    DEMO.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", DEMO)
    shutil.copytree(SOLUTIONS, DEMO / "solutions")
    shutil.copytree(ROOT / "samples" / "submitted", DEMO / "submitted")
    log = (DEMO / "nbgrader.log").open("w")
    names = sorted({p.parent.name for p in (DEMO / "submitted").glob("*/*/*.ipynb")})
    for name in names:
        print(f"grading {name}: release, autograde, feedback ...", flush=True)
        for step in (("generate_assignment", name, "--force"), ("autograde", name), ("generate_feedback", name)):
            nbgrader(*step, cwd=DEMO, check=False, stdout=log, stderr=log)
    nbgrader("export", cwd=DEMO, stdout=log, stderr=log)
    with (DEMO / "grades.csv").open() as f:
        rows = list(csv.DictReader(f))
    print(f"\n{'assignment':<28}{'student':<14}{'score':>7}{'max':>7}")
    for row in rows:
        print(f"{row['assignment']:<28}{row['student_id']:<14}{float(row['score']):>7.1f}{float(row['max_score']):>7.1f}")
    print(f"\nfeedback: {(DEMO / 'feedback').relative_to(ROOT)}/<student>/<assignment>/*.html; log: demo-class/nbgrader.log")


SAMPLE_ASSIGNMENT = "02-activation-functions"


def sample_class(_: list[str]) -> None:
    """Write the sample class (perfect, partial, empty) for SAMPLE_ASSIGNMENT."""
    from tools import submissions

    target = ROOT / "samples" / "submitted"
    shutil.rmtree(target, ignore_errors=True)
    for student, nb in submissions.sample_class(SAMPLE_ASSIGNMENT).items():
        submissions.write(nb, target / student / SAMPLE_ASSIGNMENT / f"{SAMPLE_ASSIGNMENT}.ipynb")
        print(f"wrote samples/submitted/{student}/{SAMPLE_ASSIGNMENT}")


COMMANDS = {"release": release, "execute": execute, "demo-class": demo_class, "sample-class": sample_class}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("args", nargs="*")
    ns = parser.parse_args()
    COMMANDS[ns.command](ns.args)


if __name__ == "__main__":
    main()
