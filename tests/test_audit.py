"""tools/audit.py: the copy audit flags copies of the reference and shared code, and nothing else.

One scratch course (02-activation-functions) with a small class of crafted submissions is
audited once; the tests read the report as an instructor would. A second, larger class of
synthetic submissions checks that the report stays short as the class grows.
"""
from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest

import tasks
from tools import audit, submissions

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "02-activation-functions"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"

# The solution's sigmoid with every name changed, comments added and the layout redone.
RENAMED_SOLUTION = '''def sigmoid(z):
    """My own sigmoid."""
    # exp of a negative number cannot overflow
    expo = np.exp(
        -np.abs(z))
    return np.where(z >= 0,
                    1 / (1 + expo),
                    expo / (1 + expo))
'''

# An unusual sigmoid, unlike the reference, that two students share (the second renamed it).
SHARED = '''def sigmoid(x):
    out = np.empty_like(x, dtype=float)
    positive = x >= 0
    out[positive] = 1 / (1 + np.exp(-x[positive]))
    exp_x = np.exp(x[~positive])
    out[~positive] = exp_x / (1 + exp_x)
    return out
'''
SHARED_REWORDED = '''def sigmoid(values):
    """Piecewise, so that nothing overflows."""
    result = np.empty_like(values, dtype=float)
    pos = values >= 0                       # safe as they are
    result[pos] = 1 / (1 + np.exp(-values[pos]))
    small = np.exp(values[~pos])            # in (0, 1)
    result[~pos] = small / (1 + small)
    return result
'''

# A third student's own, independent answer.
HONEST = '''def sigmoid(x):
    clipped = np.clip(x, -500, 500)   # exp(500) is still finite
    return 1.0 / (1.0 + np.exp(-clipped))
'''

# The body of bplib.activations.sigmoid, pasted with the names changed.
BPLIB_COPY = '''def sigmoid(inp):
    inp = as_float_array(inp)
    t = np.exp(-np.abs(inp))
    return np.where(inp >= 0, 1.0 / (1.0 + t), t / (1.0 + t)).astype(inp.dtype, copy=False)
'''

# Not Python (an IPython magic): compared as text, and said so. As text, a copy is still a copy.
WITH_MAGIC = "%load_ext autoreload\n" + SHARED


def _rows(report: str, heading: str) -> list[dict[str, str]]:
    """The rows of the Markdown table under `## heading`, as dicts keyed by column."""
    section = report.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    if not lines:
        return []

    def cells(line: str) -> list[str]:
        return [value.strip() for value in line.strip("|").split("|")]

    header = cells(lines[0])
    return [dict(zip(header, cells(line))) for line in lines[2:]]  # lines[1] is the | --- | rule


def _scratch_course(course: Path):
    """Set up the assignment's solution and released notebooks in ``course``: (student, solution)."""
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("solutions", "course"):
        shutil.copytree(ROOT / folder / ASSIGNMENT, course / folder / ASSIGNMENT)
    return submissions.load(ASSIGNMENT, course)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A scratch course: the assignment's solution and released notebooks, and a class."""
    course = tmp_path_factory.mktemp("course")
    student, solution = _scratch_course(course)

    def answered(**replace: str):
        """The released notebook with only the answers given here written (the rest left as stubs)."""
        return submissions.filled(student, solution, ids=[], replace=replace)

    relu = "def relu(x):\n    return np.maximum(x, 0)\n"
    notebooks = {
        "ada-renamed": answered(sigmoid=RENAMED_SOLUTION, relu=relu),
        "ben-shared": answered(sigmoid=SHARED),
        "cy-shared": answered(sigmoid=SHARED_REWORDED),
        "dan-honest": answered(sigmoid=HONEST, relu=relu),
        "eli-bplib": answered(sigmoid=BPLIB_COPY),
        "fay-empty": student,
        "gus-empty": student,
        "hal-perfect": submissions.filled(student, solution),
        "kim-magic": answered(sigmoid=WITH_MAGIC),
    }
    for name, notebook in notebooks.items():
        submissions.write(notebook, course / "submitted" / name / ASSIGNMENT / NOTEBOOK)
    for name, text in {"ivy-broken": '{"cells": [ this is not json', "jo-not-a-notebook": '{"hello": "world"}'}.items():
        path = course / "submitted" / name / ASSIGNMENT / NOTEBOOK
        path.parent.mkdir(parents=True)
        path.write_text(text)
    return course


@pytest.fixture(scope="module")
def report(course) -> str:
    assert audit.main([ASSIGNMENT, "--course", str(course)]) == 0, "flagging is not an error"
    return (course / "audit" / f"{ASSIGNMENT}.md").read_text()


def _flagged(report: str, cell: str = "sigmoid") -> tuple[dict[str, str], set[frozenset[str]]]:
    """student -> reference matched, and the similar pairs, for one cell."""
    matches = {row["student"]: row["reference"] for row in _rows(report, "Matches the reference")
               if row["cell"] == cell}
    pairs = {frozenset((row["student A"], row["student B"])) for row in _rows(report, "Similar submissions")
             if row["cell"] == cell}
    return matches, pairs


def test_header_states_what_was_compared(report):
    assert report.startswith(f"# Audit of {ASSIGNMENT}\n")
    assert "Submissions: 9 read, 2 could not be read" in report
    # 9 notebooks of 8 answers. Left as released: fay's and gus's 8, and all but the one or two
    # answers each other student wrote, except hal, who wrote all 8. Too short: ada's and dan's
    # relu, and 5 of hal's. Compared: 6 sigmoids, and hal's sigmoid, leaky_relu_grad and softmax.
    counted = next((line for line in report.splitlines() if line.startswith("- Answer cells:")), None)
    assert counted == "- Answer cells: 72 (9 compared, 7 too short to judge, 56 unchanged from the released stub)", \
        f"the report counts: {counted}"
    assert "Threshold: similarity of at least 0.9 is flagged" in report
    assert "never changes a grade" in report and "Read the flagged cells" in report


def test_renamed_and_reformatted_solution_matches_the_notebook_solution(report):
    rows = [r for r in _rows(report, "Matches the reference") if r["student"] == "ada-renamed"]
    assert rows == [{"student": "ada-renamed", "cell": "sigmoid", "similarity": "1.00",
                     "reference": "notebook solution"}]


def test_pasted_bplib_source_matches_bplib(report):
    matches, _ = _flagged(report)
    assert matches["eli-bplib"] == "bplib source (bplib.activations.sigmoid)"


def test_shared_code_is_flagged_and_an_honest_answer_is_not(report):
    matches, pairs = _flagged(report)
    assert frozenset(("ben-shared", "cy-shared")) in pairs
    assert "ben-shared" not in matches and "cy-shared" not in matches, "their code is not the reference"
    assert "dan-honest" not in report
    too_short = report.split("## Too short to judge", 1)[1].split("\n## ", 1)[0]
    assert "sigmoid (" not in too_short, "dan's answer was long enough to be judged, and was not flagged"


def _alike_through_the_reference(report: str) -> list[str]:
    """The summary lines, one per cell, of the pairs of students who both match the reference."""
    section = report.split("## Similar submissions\n", 1)[1].split("\n## ", 1)[0]
    if "### Alike through the reference\n" not in section:
        return []
    below = section.split("### Alike through the reference\n", 1)[1]
    return [line[2:] for line in below.splitlines() if line.startswith("- ")]


def test_two_copies_of_the_reference_are_one_summary_line_not_a_pair(report):
    # ada and hal both copied the notebook's sigmoid; eli, who matches bplib, is not like them.
    pairs = _rows(report, "Similar submissions")
    assert not any({r["student A"], r["student B"]} == {"ada-renamed", "hal-perfect"} for r in pairs)
    assert "note" not in pairs[0], "the table holds only pairs that the reference does not explain"
    assert _alike_through_the_reference(report) == [
        "sigmoid: 3 students match the reference (they are listed above), and 1 of the 3 pairs of them is alike too."
    ]
    assert "both match the reference" not in report.split("## Similar submissions", 1)[0]


def test_similar_submissions_are_sorted_by_similarity(report):
    scores = [float(r["similarity"]) for r in _rows(report, "Similar submissions")]
    assert scores == sorted(scores, reverse=True) and scores


def test_unchanged_stubs_are_never_flagged(report):
    assert "fay-empty" not in report and "gus-empty" not in report


def test_short_answers_are_counted_never_flagged(report):
    for table in ("Matches the reference", "Similar submissions"):
        assert all(r["cell"] != "relu" for r in _rows(report, table))
    assert "relu (3)," in report.split("## Too short to judge", 1)[1], "ada, dan and hal wrote the one-line relu"


def test_unreadable_submissions_are_listed(report):
    unreadable = report.split("## Could not be read", 1)[1]
    assert "- ivy-broken: not valid JSON" in unreadable
    assert "- jo-not-a-notebook: not a notebook" in unreadable


def test_code_that_does_not_parse_is_compared_as_text(report):
    assert "- kim-magic: sigmoid" in report.split("## Compared as text", 1)[1]
    _, pairs = _flagged(report)
    assert frozenset(("ben-shared", "kim-magic")) in pairs, "the same text as ben's, plus a magic"


def test_options_choose_the_report_and_the_threshold(course, tmp_path, capsys):
    output = tmp_path / "elsewhere.md"
    assert audit.main([ASSIGNMENT, "--course", str(course), "--output", str(output), "--threshold", "0.95"]) == 0
    summary = capsys.readouterr().out
    assert summary.strip().endswith(f"report: {output}") and len(summary.splitlines()) == 1
    assert "similarity of at least 0.95" in output.read_text()


def _own_sigmoid(seed: int) -> str:
    """A sigmoid of random arithmetic, unlike the reference and unlike any other seed's."""
    rng = random.Random(seed)
    names = ["x"]

    def expression(depth: int) -> str:
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(names) if rng.random() < 0.7 else str(rng.randint(2, 99))
        if rng.random() < 0.5:
            function = rng.choice(("np.exp", "np.tanh", "np.log1p", "np.abs", "np.sqrt", "np.square", "np.cos"))
            return f"{function}({expression(depth - 1)})"
        return f"({expression(depth - 1)} {rng.choice('+-*/')} {expression(depth - 1)})"

    lines = ["def sigmoid(x):"]
    for k in range(rng.randint(3, 6)):
        lines.append(f"    t{k} = {expression(3)}")
        names.append(f"t{k}")
    return "\n".join(lines + [f"    return 1 / (1 + np.exp(-{names[-1]}))"]) + "\n"


def test_a_large_class_of_reference_copies_gives_a_short_report(tmp_path):
    """60 students, half of whom copy the reference: 435 alike pairs per cell, summarised in a line."""
    student, solution = _scratch_course(tmp_path)
    for i in range(30):
        copy = submissions.filled(student, solution, replace={"sigmoid": RENAMED_SOLUTION} if i % 2 else None)
        submissions.write(copy, tmp_path / "submitted" / f"copy-{i:02}" / ASSIGNMENT / NOTEBOOK)
        own = submissions.filled(student, solution, ids=[], replace={"sigmoid": _own_sigmoid(i)})
        submissions.write(own, tmp_path / "submitted" / f"own-{i:02}" / ASSIGNMENT / NOTEBOOK)

    start = time.perf_counter()
    assert audit.main([ASSIGNMENT, "--course", str(tmp_path)]) == 0
    elapsed = time.perf_counter() - start
    report = (tmp_path / "audit" / f"{ASSIGNMENT}.md").read_text()

    assert elapsed < 10, f"the audit of 60 submissions took {elapsed:.1f} s"
    assert len(report.splitlines()) < 200, "pairs that both match the reference are counted, not listed"
    assert "Submissions: 60 read" in report
    matches = _rows(report, "Matches the reference")
    assert {r["student"] for r in matches} == {f"copy-{i:02}" for i in range(30)}
    compared = ["leaky_relu_grad", "sigmoid", "softmax"]  # the answers long enough to compare
    assert sorted({r["cell"] for r in matches}) == compared
    assert _alike_through_the_reference(report) == [
        f"{cell}: 30 students match the reference (they are listed above), so every pair of them is alike too."
        for cell in compared
    ]
    assert not any(r["student A"].startswith("copy-") and r["student B"].startswith("copy-")
                   for r in _rows(report, "Similar submissions"))


def test_tasks_py_runs_the_audit():
    assert "audit" in tasks.COMMANDS and "tasks.py audit" in tasks.__doc__


# ---- normalising ------------------------------------------------------------------------------

def test_renaming_and_layout_do_not_change_the_normalised_code():
    first = audit.normalise("def f(x):\n    y = np.exp(x)  # why\n    return y * 2\n")
    second = audit.normalise('def g(a):\n    """Doc."""\n    b = np.exp(\n        a)\n    return b*2\n')
    assert first.tokens == second.tokens
    assert "np" in first.tokens and "exp" in first.tokens, "names the cell does not bind stay"
    assert audit.similarity(first, second) == 1.0


def test_attributes_and_globals_keep_their_names():
    code = audit.normalise("def forward(self, x):\n    self.mask = x > 0\n    return helper(x)\n")
    assert {"mask", "helper"} <= set(code.tokens)
    assert not {"self", "x", "forward"} & set(code.tokens)


def test_only_what_the_student_wrote_beyond_the_stub_is_compared():
    solution = '''def scale(x):
    """Doc."""
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    ### BEGIN SOLUTION
    return x / np.abs(x).max()
    ### END SOLUTION
'''
    stub = audit.normalise(audit.released_stub(solution))
    answer = audit.normalise(submissions.strip_markers(solution))
    assert answer.without(stub).tokens == ("return", "v1", "/", "np", ".", "abs", "(", "v1", ")", ".", "max")


def test_similarity_is_symmetric():
    a, b = audit.normalise(SHARED), audit.normalise(HONEST)
    assert audit.similarity(a, b) == audit.similarity(b, a)
