"""A whole class through nbgrader's exchange, from the command line, as on the class JupyterHub.

An instructor and three students each have their own home and working folder in a temporary
directory, and share one exchange folder. jupyterhub/nbgrader_config.py is every account's
global configuration (as /etc/jupyter/nbgrader_config.py is on the hub; here through
JUPYTER_CONFIG_PATH), with only the exchange root moved into the temporary directory. Everyone
runs as this one Unix user, so each student names themself with `--student`, where on the hub
nbgrader takes the login name.

    instructor  generate_assignment, release_assignment
    students    fetch_assignment; submit: one perfect, one partial, one empty
    instructor  collect, autograde, generate_feedback, release_feedback
    students    fetch_feedback

The tests then read the gradebook, each student's feedback, and the permissions that
nbgrader gave the files in the exchange.
"""
from __future__ import annotations

import html
import os
import re
import shutil
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from bplib.grading.sandbox import sandbox_problem
from tools import submissions

ROOT = Path(__file__).resolve().parent.parent
HUB_CONFIG = ROOT / "jupyterhub" / "nbgrader_config.py"
ASSIGNMENT = "02-activation-functions"
COURSE = "backprop"
STUDENTS = {"ada": "perfect", "ben": "partial", "cy": "empty"}
TIMEOUT = 120  # seconds for any one nbgrader command

pytestmark = [
    pytest.mark.skipif(not (ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists(),
                       reason=f"solutions/{ASSIGNMENT} does not exist yet"),
    pytest.mark.skipif(sys.platform == "win32", reason="nbgrader's exchange needs POSIX permissions"),
]


class Class:
    """The temporary class: folders, environments, and a way to run nbgrader as someone."""

    def __init__(self, base: Path):
        self.base = base
        self.exchange = base / "exchange"
        self.etc = base / "etc" / "jupyter"  # stands for /etc/jupyter
        self.etc.mkdir(parents=True)
        shutil.copy(HUB_CONFIG, self.etc / "nbgrader_config.py")
        # The instructor's course folder: the course repository's config and this assignment.
        self.course = self.home("instructor") / COURSE
        self.course.mkdir()
        shutil.copy(ROOT / "nbgrader_config.py", self.course)
        shutil.copytree(ROOT / "solutions" / ASSIGNMENT, self.course / "solutions" / ASSIGNMENT)

    def home(self, user: str) -> Path:
        path = self.base / "home" / user
        path.mkdir(parents=True, exist_ok=True)
        return path

    def env(self, user: str) -> dict[str, str]:
        """This user's environment: their own HOME (so their own nbgrader cache), the global
        config folder, and nothing of the machine's own Jupyter settings."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "XDG_")) and k not in ("PYTHONPATH", "IPYTHONDIR")}
        env["HOME"] = str(self.home(user))
        env["JUPYTER_CONFIG_PATH"] = str(self.etc)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # alembic
        env["PYTHONPATH"] = str(ROOT)  # bplib, for the kernels that grade, even if not installed
        return env

    def nbgrader(self, user: str, *args: str, cwd: Path | None = None) -> str:
        cmd = [sys.executable, "-m", "nbgrader", *args, f"--Exchange.root={self.exchange}"]
        result = subprocess.run(cmd, cwd=cwd or self.home(user), env=self.env(user),
                                capture_output=True, text=True, timeout=TIMEOUT)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{user}: nbgrader {' '.join(args)} failed:\n{output}"
        return output


def _submission(name: str, fetched, solution):
    ids = submissions.answer_ids(solution)
    if name == "perfect":
        return submissions.filled(fetched, solution)
    if name == "partial":
        return submissions.filled(fetched, solution, ids[: max(1, len(ids) // 2)])
    return fetched


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """Run the class; return the Class and what the tests inspect on the way."""
    klass = Class(tmp_path_factory.mktemp("class"))
    seen = {}
    klass.nbgrader("instructor", "generate_assignment", ASSIGNMENT, cwd=klass.course)
    klass.nbgrader("instructor", "release_assignment", ASSIGNMENT, cwd=klass.course)

    solution = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)

    def work(student: str) -> None:
        klass.nbgrader(student, "fetch_assignment", ASSIGNMENT)
        path = klass.home(student) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        submissions.write(_submission(STUDENTS[student], nbformat.read(path, as_version=4), solution), path)
        klass.nbgrader(student, "submit", ASSIGNMENT, f"--student={student}")

    _everyone(work)

    inbound = klass.exchange / COURSE / "inbound"
    seen["inbound"] = {p: stat.S_IMODE(p.stat().st_mode) for p in [inbound, *inbound.rglob("*")]}

    klass.nbgrader("instructor", "collect", ASSIGNMENT, cwd=klass.course)
    unsafe = ["--JudgeSubmission.unsafe=True"] if sandbox_problem() else []  # see test_pipeline
    seen["autograde"] = klass.nbgrader("instructor", "autograde", ASSIGNMENT, *unsafe, cwd=klass.course)
    klass.nbgrader("instructor", "generate_feedback", ASSIGNMENT, cwd=klass.course)
    klass.nbgrader("instructor", "release_feedback", ASSIGNMENT, cwd=klass.course)
    feedback = klass.exchange / COURSE / "feedback"
    seen["feedback"] = {p: stat.S_IMODE(p.stat().st_mode) for p in [feedback, *feedback.iterdir()]}

    _everyone(lambda student: klass.nbgrader(student, "fetch_feedback", ASSIGNMENT, f"--student={student}"))
    return klass, seen


def _everyone(task) -> None:
    """The students act at the same time, as in a class."""
    with ThreadPoolExecutor(max_workers=len(STUDENTS)) as pool:
        for future in [pool.submit(task, student) for student in STUDENTS]:
            future.result()


def _score(klass, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{klass.course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        return sub.score, sub.max_score


def test_hub_config_is_the_course(cycle):
    """The global config names the course of the repository's own nbgrader_config.py."""
    from traitlets.config.loader import PyFileConfigLoader

    hub = PyFileConfigLoader(HUB_CONFIG.name, str(HUB_CONFIG.parent)).load_config()
    course = PyFileConfigLoader("nbgrader_config.py", str(ROOT)).load_config()
    assert hub.CourseDirectory.course_id == course.CourseDirectory.course_id == COURSE


def test_everyone_is_collected_and_graded(cycle):
    klass, _ = cycle
    for student in STUDENTS:
        assert (klass.course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
        assert (klass.course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()


def test_every_submission_is_judged_in_the_sandbox(cycle):
    _, seen = cycle
    for student in STUDENTS:
        assert f"judged {ASSIGNMENT} of {student}" in seen["autograde"], f"{student} was not graded by the judge"
    if sandbox_problem() is None:
        assert "UNSAFE GRADING" not in seen["autograde"]


def test_grades(cycle):
    klass, _ = cycle
    perfect, max_score = _score(klass, "ada")
    partial, _ = _score(klass, "ben")
    empty, _ = _score(klass, "cy")
    assert max_score > 0
    assert perfect == max_score
    assert 0 < partial < max_score
    assert empty == 0


def test_each_student_fetches_their_own_feedback(cycle):
    klass, _ = cycle
    for student in STUDENTS:
        pages = list((klass.home(student) / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert len(pages) == 1, f"{student} got {len(pages)} feedback pages"
        text = html.unescape(re.sub(r"<[^>]+>", " ", pages[0].read_text()))
        # The page's headline, "02-activation-functions (Score: 4.0 / 4.0)", is this student's score.
        headline = re.search(r"Score:\s*([0-9.]+)\s*/\s*([0-9.]+)", text)
        assert headline, f"{student}: no score in the feedback page"
        assert tuple(map(float, headline.groups())) == _score(klass, student), student


def test_submissions_are_unreadable_by_other_students(cycle):
    """Students may write into inbound/ but not list it (nbgrader's 2733); each submission is
    a folder named by student, assignment, timestamp and a random string. nbgrader alone
    would leave it 0777 with 0644 files; jupyterhub/nbgrader_config.py's PrivateSubmit makes
    it 0770 with 0640 files, owned by the group of the instructors' exchange folder (inbound/
    is set-group-id): no other student can read a submission, even knowing its name."""
    _, seen = cycle
    inbound = next(p for p in seen["inbound"] if p.name == "inbound")
    assert seen["inbound"][inbound] == stat.S_ISGID | 0o733
    folders = [p for p in seen["inbound"] if p.parent == inbound]
    assert sorted(p.name.split("+")[0] for p in folders) == sorted(STUDENTS)
    for folder in folders:
        student, assignment, _timestamp, random = folder.name.split("+")
        assert assignment == ASSIGNMENT
        assert re.fullmatch(r"[A-Za-z0-9_-]{12}", random), folder.name  # 9 random bytes, base64
        assert seen["inbound"][folder] == 0o770
    files = [p for p in seen["inbound"] if p.parent in folders]
    assert {p.name for p in files} == {f"{ASSIGNMENT}.ipynb", "timestamp.txt", "submission_secret.txt"}
    for path in files:
        assert seen["inbound"][path] == 0o640, f"{path.name}: {oct(seen['inbound'][path])}"


def test_feedback_is_hidden_from_other_students(cycle):
    """release_feedback.py: feedback/ can be entered but not listed by others (0711), and
    each page is named by a hash keyed with that submission's secret."""
    _, seen = cycle
    feedback = next(p for p in seen["feedback"] if p.name == "feedback")
    assert seen["feedback"][feedback] == 0o711
    pages = [p for p in seen["feedback"] if p != feedback]
    assert len(pages) == len(STUDENTS)
    assert all(re.fullmatch(r"[0-9a-f]{32,}\.html", p.name) for p in pages), [p.name for p in pages]
