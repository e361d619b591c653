"""nbgrader's autograde, with the judge in place of executing the submitted notebook.

The course's ``nbgrader_config.py`` puts ``JudgeSubmission`` where nbgrader's ``Execute``
preprocessor was. Everything else stays nbgrader's: release, collect, the gradebook,
``SaveAutoGrades`` (which reads the check cells' outputs that the judge wrote), feedback and
the exchange. So ``nbgrader autograde ASSIGNMENT``, the formgrader and the JupyterHub
exchange all grade through the sandbox.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Integer

from .judge import judge, load_secret
from .sandbox import UNSAFE_WARNING, Limits, SandboxUnavailable, sandbox_problem

JUDGED_DIR = ".judged"  # in the course root: judged ahead of nbgrader by `tasks.py autograde --jobs N`


class JudgeSubmission(NbGraderPreprocessor):
    """Grade the submission in a sandbox, with the judge outside it (see ``judge.py``)."""

    timeout = Float(60.0, help="CPU seconds that each cell, and each check, may use.").tag(config=True)
    memory_limit = Integer(3 << 30, help="Bytes of address space for each process of a submission.").tag(config=True)
    figures = Bool(True, help="Keep the notebook's figures in the graded copy (False grades faster).").tag(config=True)
    unsafe = Bool(False, help="Grade without a sandbox, where none can be made (see UNSAFE_WARNING).").tag(config=True)

    def limits(self) -> Limits:
        return Limits(timeout=self.timeout, memory_bytes=self.memory_limit, figures=self.figures)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        if self.unsafe:
            self.log.warning(UNSAFE_WARNING)
        else:
            problem = sandbox_problem()
            if problem:
                raise SandboxUnavailable(
                    f"{problem}. Grading refuses to run submissions outside a sandbox: install bubblewrap "
                    "(apt-get install bubblewrap), or pass --JudgeSubmission.unsafe=True "
                    "(python3 tasks.py autograde ... --unsafe) to run them with your own rights.")
        task = Task(CourseDirectory(config=self.config), info["assignment"], info["student"], info["notebook"])
        notebook = task.stored(self.limits(), self.unsafe)
        if notebook is None:
            notebook = task.judge(self.limits(), self.unsafe)
        self._add_checksums(notebook, info)
        self.log.info("judged %s of %s", info["notebook"], info["student"])
        return notebook, resources

    @staticmethod
    def _add_checksums(notebook, info) -> None:
        """The released answer cells' checksums, by which nbgrader notes "No response"."""
        with Gradebook(info["db_url"]) as gb:
            for cell in notebook.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id:
                    try:
                        source_cell = gb.find_source_cell(grade_id, info["notebook"], info["assignment"])
                    except MissingEntry:
                        continue
                    cell.metadata.nbgrader["checksum"] = source_cell.checksum


class Task:
    """One submitted notebook to judge, as nbgrader lays out a course.

    The judge reads the submitted file itself (never nbgrader's sanitised copy), so that a
    notebook judged ahead of nbgrader (``judge_ahead``) and one judged inside it agree.
    """

    def __init__(self, coursedir: CourseDirectory, assignment: str, student: str, notebook: str) -> None:
        self.root = Path(coursedir.root)
        self.assignment, self.student, self.notebook = assignment, student, notebook
        self.submitted = (Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
                          / f"{notebook}.ipynb")
        self.source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment)) / f"{notebook}.ipynb"
        self.store = self.root / JUDGED_DIR / assignment / student / f"{notebook}.ipynb"

    def key(self, limits: Limits, unsafe: bool) -> str:
        """What the judgement depends on: the submission, the release, the secret, the limits."""
        digest = hashlib.sha256()
        for part in (self.submitted.read_bytes(), self.source.read_bytes(), load_secret(self.root),
                     repr((limits, unsafe)).encode()):
            digest.update(hashlib.sha256(part).digest())
        return digest.hexdigest()

    def judge(self, limits: Limits, unsafe: bool):
        try:
            submitted = nbformat.read(self.submitted, as_version=4)
        except Exception:  # nbgrader reports an unreadable notebook itself
            submitted = None
        released = nbformat.read(self.source, as_version=4)
        return judge(submitted, released, self.assignment, self.student, load_secret(self.root),
                     limits, unsafe).notebook

    def judge_ahead(self, limits: Limits, unsafe: bool) -> None:
        """Judge now and store the result, for JudgeSubmission to pick up."""
        key = self.key(limits, unsafe)
        notebook = self.judge(limits, unsafe)
        notebook.metadata["bplib_judgement"] = key
        self.store.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, self.store)

    def stored(self, limits: Limits, unsafe: bool):
        """The judgement stored ahead for exactly this submission, taken once; else None."""
        if not self.store.exists():
            return None
        notebook = nbformat.read(self.store, as_version=4)
        self.store.unlink()
        if notebook.metadata.pop("bplib_judgement", None) != self.key(limits, unsafe):
            return None  # the submission, the release or the limits changed since
        return notebook
