#!/usr/bin/env python3
"""Set up and run the Backprop course with nothing but Python 3.

    python3 tasks.py lab        create .venv if needed, then open the course in JupyterLab
    python3 tasks.py test       create .venv if needed, then run ruff and every test (bplib, notebooks, grading)
    python3 tasks.py setup      only create .venv, or bring it up to date with pyproject.toml

Instructor commands (see README, "Teaching with this course"):

    python3 tasks.py release    regenerate course/ (student notebooks) from solutions/
    python3 tasks.py execute    re-run the solution notebooks in place, storing their outputs
    python3 tasks.py autograde A [--jobs N] [--unsafe]
                                grade every submission of assignment A in its sandbox, N at a time
    python3 tasks.py demo-class autograde the bundled sample class and print its grade table
    python3 tasks.py sample-class
                                regenerate that sample class (samples/) from the solutions
    python3 tasks.py audit A    flag answers of assignment A that copy the reference or each other
    python3 tasks.py nbbuild insert|remove NOTEBOOK NAME ...
                                add an exercise (task, answer and check cells) to a solution notebook,
                                or take one out (python3 tasks.py nbbuild --help)
    python3 tasks.py bench      time training epochs (benchmarks/)

Each command installs what it needs into .venv on first use and again when pyproject.toml
changes; nothing is installed outside this folder.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".installed"


def _requirements_hash() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv() -> None:
    """Create .venv and install bplib with its test and course extras, unless already current."""
    if STAMP.exists() and STAMP.read_text() == _requirements_hash() and PY.exists():
        return
    if not PY.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]")
    STAMP.write_text(_requirements_hash())


def run(*cmd, **kwargs) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=kwargs.pop("cwd", ROOT), **kwargs)
    if result.returncode:
        sys.exit(result.returncode)


def tool(name: str) -> Path:
    return BIN / name


def test(args: list[str]) -> None:
    """The linter first (a second, and it names the line), then every test."""
    run(PY, "-m", "ruff", "check", ROOT)
    run(PY, "-m", "pytest", *args)


COMMANDS = {
    "setup": lambda args: print(f"ready: {PY}"),  # main() has made .venv
    "lab": lambda args: run(tool("jupyter"), "lab", "--notebook-dir", ROOT, "course/00-welcome.ipynb", *args),
    "test": test,
    "release": lambda args: run(PY, ROOT / "tools" / "course.py", "release", *args),
    "execute": lambda args: run(PY, ROOT / "tools" / "course.py", "execute", *args),
    "autograde": lambda args: run(PY, ROOT / "tools" / "course.py", "autograde", *args, cwd=Path.cwd()),
    "demo-class": lambda args: run(PY, ROOT / "tools" / "course.py", "demo-class", *args),
    "sample-class": lambda args: run(PY, ROOT / "tools" / "course.py", "sample-class", *args),
    "audit": lambda args: run(PY, ROOT / "tools" / "audit.py", *args),
    "nbbuild": lambda args: run(PY, ROOT / "tools" / "nbbuild.py", *args, cwd=Path.cwd()),
    "bench": lambda args: run(PY, ROOT / "benchmarks" / "bench_mlp.py", *args),
}


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        sys.exit(2)
    ensure_venv()
    COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
