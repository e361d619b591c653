"""Instructor commands behind `python3 tasks.py release | execute | demo-class`.

    release      nbgrader generate_assignment for every folder of solutions/ into course/
    execute      run the solution notebooks in place, so that they are stored with outputs
    autograde    nbgrader autograde ASSIGNMENT, several submissions at once (--jobs N), each in its
                 sandbox; --unsafe grades without one where none can be made
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
                cell.outputs = [o for o in cell.outputs
                                if "application/vnd.jupyter.widget-view+json" not in o.get("data", {})]
        nbformat.write(nb, path)
        print(f"executed {path}")


def autograde(args: list[str], cwd: Path | None = None, **run_options) -> int:
    """``nbgrader autograde ASSIGNMENT``, with ``--jobs`` submissions judged at once.

    The judge runs every submission in its sandbox first, ``--jobs`` at a time, and stores
    each result in the course's .judged/ folder; then one ``nbgrader autograde`` records them
    (its JudgeSubmission takes a stored result only if the submission, the release, the
    secret and the limits are still those it was judged with). Returns nbgrader's exit code.
    """
    from concurrent.futures import ThreadPoolExecutor

    parser = argparse.ArgumentParser(prog="tasks.py autograde")
    parser.add_argument("assignment")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="submissions judged at once")
    parser.add_argument("--unsafe", action="store_true", help="grade without a sandbox (see the README)")
    parser.add_argument("--timeout", type=float, help="CPU seconds per cell and per check (default: the course config)")
    parser.add_argument("--force", action="store_true", help="grade again the submissions already graded")
    parser.add_argument("--no-figures", action="store_true", help="leave the figures out of the graded copies (faster)")
    ns = parser.parse_args(args)
    course = (cwd or Path.cwd()).resolve()
    judge_options = JudgeOptions(course, ns.timeout, ns.unsafe, figures=not ns.no_figures)
    if judge_options.unsafe:
        from bplib.grading.sandbox import UNSAFE_WARNING

        print(UNSAFE_WARNING, file=sys.stderr)
    tasks = judge_options.tasks(ns.assignment)
    if not ns.force:  # as nbgrader does: what was graded already is left alone
        tasks = [t for t in tasks if not (course / "autograded" / t.student / ns.assignment).exists()]
    if ns.jobs > 1 and tasks:
        def ahead(task) -> None:
            try:
                task.judge_ahead(judge_options.limits, judge_options.unsafe)
            except Exception as error:  # nbgrader will judge this one itself, and report it
                print(f"{task.student}: judged by nbgrader instead ({type(error).__name__}: {error})", file=sys.stderr)

        with ThreadPoolExecutor(max_workers=ns.jobs) as pool:
            list(pool.map(ahead, tasks))
    flags = [f"--JudgeSubmission.timeout={judge_options.limits.timeout}"]
    flags += ["--JudgeSubmission.unsafe=True"] if judge_options.unsafe else []
    flags += ["--force"] if ns.force else []
    flags += [f"--JudgeSubmission.figures={judge_options.limits.figures}"]
    return nbgrader("autograde", ns.assignment, *flags, cwd=course, check=False, **run_options).returncode


class JudgeOptions:
    """The course's JudgeSubmission settings (its nbgrader_config.py), with overrides."""

    def __init__(self, course: Path, timeout: float | None, unsafe: bool, figures: bool = True) -> None:
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader

        from bplib.grading.nbgrader_judge import JudgeSubmission

        config = Config()
        if (course / "nbgrader_config.py").exists():
            config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
        config.CourseDirectory.root = str(course)
        if timeout is not None:
            config.JudgeSubmission.timeout = timeout
        if unsafe:
            config.JudgeSubmission.unsafe = True
        if not figures:
            config.JudgeSubmission.figures = False
        settings = JudgeSubmission(config=config)
        self.limits, self.unsafe = settings.limits(), settings.unsafe
        self.coursedir = CourseDirectory(config=config)

    def tasks(self, assignment: str) -> list:
        from bplib.grading.nbgrader_judge import Task

        submitted = Path(self.coursedir.root) / self.coursedir.submitted_directory
        found = sorted(submitted.glob(f"*/{assignment}/*.ipynb"))
        return [Task(self.coursedir, assignment, p.parent.parent.name, p.stem) for p in found]


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
        nbgrader("generate_assignment", name, "--force", cwd=DEMO, check=False, stdout=log, stderr=log)
        autograde([name], cwd=DEMO, stdout=log, stderr=log)
        nbgrader("generate_feedback", name, cwd=DEMO, check=False, stdout=log, stderr=log)
    nbgrader("export", cwd=DEMO, stdout=log, stderr=log)
    with (DEMO / "grades.csv").open() as f:
        rows = list(csv.DictReader(f))
    print(f"\n{'assignment':<28}{'student':<14}{'score':>7}{'max':>7}")
    for row in rows:
        print(f"{row['assignment']:<28}{row['student_id']:<14}"
              f"{float(row['score']):>7.1f}{float(row['max_score']):>7.1f}")
    print(f"\nfeedback: {(DEMO / 'feedback').relative_to(ROOT)}/<student>/<assignment>/*.html; "
          "log: demo-class/nbgrader.log")


SAMPLE_ASSIGNMENT = "02-activation-functions"


def sample_class(_: list[str]) -> None:
    """Write the sample class (perfect, partial, empty) for SAMPLE_ASSIGNMENT."""
    from tools import submissions

    target = ROOT / "samples" / "submitted"
    shutil.rmtree(target, ignore_errors=True)
    for student, nb in submissions.sample_class(SAMPLE_ASSIGNMENT).items():
        submissions.write(nb, target / student / SAMPLE_ASSIGNMENT / f"{SAMPLE_ASSIGNMENT}.ipynb")
        print(f"wrote samples/submitted/{student}/{SAMPLE_ASSIGNMENT}")


COMMANDS = {"release": release, "execute": execute, "autograde": lambda args: sys.exit(1 if autograde(args) else 0),
            "demo-class": demo_class, "sample-class": sample_class}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args()
    COMMANDS[ns.command](ns.args)


if __name__ == "__main__":
    main()
