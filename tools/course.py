"""Instructor commands behind `python3 tasks.py release | execute | demo-class`.

    release      nbgrader generate_assignment for every folder of solutions/ into course/
    execute      run the solution notebooks in place, so that they are stored with outputs
    demo-class   grade the sample class (samples/submitted/) in a scratch copy of the course
                 and print the grade table
    sample-class rewrite samples/submitted/ from the current course notebooks
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
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


def nbgrader(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "nbgrader", *args]
    return subprocess.run(cmd, cwd=cwd, env=nbgrader_env(), check=check)


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
        nbformat.write(nb, path)
        print(f"executed {path}")


def demo_class(_: list[str]) -> None:
    """Autograde samples/submitted/ in a scratch course and print the grade table."""
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(SOLUTIONS, course / "solutions")
        shutil.copytree(ROOT / "samples" / "submitted", course / "submitted")
        for name in sorted({p.parent.name for p in (course / "submitted").glob("*/*/*.ipynb")}):
            nbgrader("generate_assignment", name, "--force", cwd=course)
            nbgrader("autograde", name, cwd=course, check=False)
            nbgrader("generate_feedback", name, cwd=course, check=False)
        nbgrader("export", cwd=course)
        print((course / "grades.csv").read_text())


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
