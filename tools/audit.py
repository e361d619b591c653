"""Flag answers that copy the reference or each other: `python3 tasks.py audit ASSIGNMENT`.

The autograder checks what an answer *does*, so it cannot tell a student who worked out the
stable sigmoid from one who pasted the solution with the variables renamed, or two students
who shared their code. This audit is the instructor's report for that. Run from an nbgrader
course root (the folder holding ``solutions/<assignment>/`` and ``submitted/<student>/<assignment>/``):

    python3 tools/audit.py 02-activation-functions [--course DIR] [--threshold 0.9] [--output PATH]

Every answer cell of every submission is compared, by ``grade_id``, with

- the reference sources: the solution notebook's answer (without the nbgrader markers) and the
  bplib object the exercise is graded against (``bplib.grading.NOTEBOOKS``);
- the same cell of every other submission.

Before comparing, each cell is normalised so that renaming and reformatting hide nothing: it is
parsed, its comments and docstrings dropped, every name it binds renamed ``v0, v1, ...`` in
order of first appearance (names it only uses, such as ``np.exp``, stay), and the code the
students were handed (the released stub: signature, docstring, given lines) is subtracted, so
that only what the student wrote is compared. The similarity of two cells is the
``difflib.SequenceMatcher`` ratio of their tokens. Cells too short to mean anything and cells
left as released are counted, never flagged.

The report, Markdown in ``<course>/audit/<assignment>.md`` by default, names students: keep it
private (``audit/`` is ignored by git). It flags; it never changes a grade.

Safety: this runs in the instructor's own, trusted process, on files that students wrote. It
only reads them as JSON and *parses* their code (``ast``, ``tokenize``); it never imports,
executes or evaluates any of it. Keep it that way.
"""
from __future__ import annotations

import argparse
import ast
import inspect
import io
import itertools
import json
import sys
import textwrap
import tokenize
import warnings
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make `tools` importable
from tools.submissions import grade_id, is_answer, strip_markers  # noqa: E402

DEFAULT_THRESHOLD = 0.9
# Below this many tokens written, everyone who solves the exercise writes nearly the same
# line (`return np.maximum(x, 0)` is 9 tokens): a match means nothing.
MIN_TOKENS = 15
# A run of at least this many tokens shared with the stub is handed-out code. Shorter runs,
# a lone `(` or `.`, are shared by accident and stay part of what the student wrote.
MIN_HANDED_OUT_RUN = 3
# Tokens that only lay out the code: they mark structure in the comparison but are not
# something a student "wrote" when counting the size of an answer.
LAYOUT = frozenset({"NEWLINE", "INDENT", "DEDENT"})
NOTEBOOK_SOLUTION = "notebook solution"


# ---- normalising code ------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """A piece of code reduced to what a comparison should see.

    Attributes
    ----------
    tokens : tuple of str, or None
        Python tokens of the normalised code (layout as "NEWLINE", "INDENT", "DEDENT");
        None when the code does not parse.
    words : tuple of str
        The raw text split on whitespace: the fallback comparison for code that does not parse.
    """

    tokens: tuple[str, ...] | None
    words: tuple[str, ...]

    @property
    def parsed(self) -> bool:
        return self.tokens is not None

    @property
    def size(self) -> int:
        """How much code this is: tokens other than layout (words, when it does not parse)."""
        if self.tokens is None:
            return len(self.words)
        return sum(token not in LAYOUT for token in self.tokens)

    def same_as(self, other: Code) -> bool:
        """Equal after normalising (as text when either side does not parse)."""
        mine, theirs = _comparable(self, other)
        return mine == theirs

    def without(self, handed_out: Code) -> Code:
        """This code minus the long runs it shares with ``handed_out`` (the released stub)."""
        tokens = None
        if self.tokens is not None and handed_out.tokens is not None:
            tokens = _subtract(self.tokens, handed_out.tokens)
        return Code(tokens, _subtract(self.words, handed_out.words))


def _subtract(sequence: tuple[str, ...], handed_out: tuple[str, ...]) -> tuple[str, ...]:
    matcher = SequenceMatcher(None, handed_out, sequence, autojunk=False)
    given = set()
    for block in matcher.get_matching_blocks():
        if block.size >= MIN_HANDED_OUT_RUN:
            given.update(range(block.b, block.b + block.size))
    return tuple(token for i, token in enumerate(sequence) if i not in given)


def normalise(source: str) -> Code:
    """Normalise a cell's source so that renaming variables or reformatting changes nothing.

    Parameters
    ----------
    source : str
        Python code, as written in a notebook cell.

    Returns
    -------
    Code
        Its tokens after dropping comments and docstrings and renaming every name the code
        binds to ``v0, v1, ...`` (``tokens`` is None if the code does not parse).
    """
    words = tuple(source.split())
    try:
        with warnings.catch_warnings():  # e.g. "invalid escape sequence": not our business
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(source)
        _drop_docstrings(tree)
        _Renamer(_bound_names(tree)).visit(tree)
        return Code(_tokens(ast.unparse(tree)), words)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # IPython magics, a half-finished edit, a null byte, nesting too deep to walk: text.
        return Code(None, words)


def _drop_docstrings(tree: ast.AST) -> None:
    """Remove every statement that is a bare string: docstrings, and strings used as comments."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        kept = [stmt for stmt in body if not _is_bare_string(stmt)]
        # A function whose body was only a docstring still needs a body to unparse.
        node.body = kept or [ast.Pass()]


def _is_bare_string(stmt: ast.AST) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _bound_names(tree: ast.AST) -> set[str]:
    """The names that this code itself binds: the ones its author was free to choose.

    Imports are left out on purpose: `np` names a library, and keeping it is more telling
    than hiding it. Attributes (`self.W`) and keyword arguments (`axis=`) are not names.
    """
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


class _Renamer(ast.NodeTransformer):
    """Rename the bound names to v0, v1, ... in the order the tree walk first meets them.

    Two cells that differ only in their choice of names walk in the same order, so they get
    the same placeholders.
    """

    def __init__(self, bound: set[str]) -> None:
        self.bound = bound
        self.placeholders: dict[str, str] = {}

    def _rename(self, name: str) -> str:
        if name not in self.bound:
            return name  # a global or a library name such as np: part of the meaning
        return self.placeholders.setdefault(name, f"v{len(self.placeholders)}")

    def _rename_definition(self, node: ast.AST) -> ast.AST:
        node.name = self._rename(node.name)
        self.generic_visit(node)
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _rename_definition

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        if node.name:
            node.name = self._rename(node.name)
        self.generic_visit(node)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._rename(node.arg)
        self.generic_visit(node)
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self._rename(node.id)
        return node

    def visit_Global(self, node: ast.Global) -> ast.AST:
        node.names = [self._rename(name) for name in node.names]
        return node

    visit_Nonlocal = visit_Global


def _tokens(code: str) -> tuple[str, ...]:
    """The tokens of code that ast.unparse wrote (so there are no comments or blank lines)."""
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        name = tokenize.tok_name[token.type]
        if name in LAYOUT:
            tokens.append(name)
        elif name not in ("NL", "ENDMARKER"):
            tokens.append(token.string)
    return tuple(tokens)


def _comparable(a: Code, b: Code) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Their tokens when both parse, else their words: both sides must be of one kind."""
    return (a.tokens, b.tokens) if a.tokens is not None and b.tokens is not None else (a.words, b.words)


def similarity(a: Code, b: Code) -> float:
    """How alike two pieces of code are, in [0, 1]: 1 means the same after normalising.

    The ``SequenceMatcher`` ratio over their tokens, or over their words when either does not
    parse. The ratio can depend on which sequence comes first, so the larger of both orders
    is taken: the similarity of A to B is that of B to A.
    """
    x, y = _comparable(a, b)
    if x == y:  # the usual case of a copy, and cheaper than matching
        return 1.0
    forward = SequenceMatcher(None, x, y, autojunk=False).ratio()
    backward = SequenceMatcher(None, y, x, autojunk=False).ratio()
    return max(forward, backward)


def could_reach(a: Code, b: Code, threshold: float) -> bool:
    """False when the similarity of a and b is surely below threshold (a cheap upper bound).

    quick_ratio counts the tokens the two have in common regardless of order, which bounds
    the ratio in both orders: most pairs of a large class are ruled out without the full match.
    """
    x, y = _comparable(a, b)
    return SequenceMatcher(None, x, y, autojunk=False).quick_ratio() >= threshold


# ---- reading the course ----------------------------------------------------------------------


class Unreadable(Exception):
    """A submission that is not a notebook we can read; the message says why."""


def answer_sources(notebook) -> dict[str, str]:
    """grade_id -> source of each answer cell (the first, if a student duplicated one)."""
    answers: dict[str, str] = {}
    for cell in notebook.cells:
        if is_answer(cell):
            answers.setdefault(grade_id(cell), cell.source)
    return answers


def read_submission(path: Path) -> dict[str, str]:
    """The answer cells of a student's notebook, read as data and never run.

    Raises
    ------
    Unreadable
        When the file is not UTF-8 JSON, or not a notebook with answer cells nbgrader marked.
    """
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Unreadable(f"not valid JSON ({error})") from error
    try:
        return answer_sources(nbformat.reads(text, as_version=4))
    except Exception as error:  # any malformed notebook: one student's problem, not the audit's
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise Unreadable(f"not a notebook ({reason})") from error


def released_stub(solution_source: str) -> str:
    """An answer cell as nbgrader releases it: each solution region becomes a `raise`."""
    lines, in_solution = [], False
    for line in solution_source.splitlines():
        marker = line.strip()
        if marker == "### BEGIN SOLUTION":
            in_solution = True
            lines.append(line.replace(marker, "raise NotImplementedError()"))
        elif marker == "### END SOLUTION":
            in_solution = False
        elif not in_solution:
            lines.append(line)
    return "\n".join(lines)


def bplib_references(assignment: str) -> dict[str, tuple[str, str]]:
    """exercise name -> (label, source) of the bplib object each exercise is graded against."""
    try:
        from bplib.grading import NOTEBOOKS
    except ImportError:
        return {}
    references = {}
    for exercise in NOTEBOOKS.get(assignment, []):
        reference = exercise.reference
        try:
            source = textwrap.dedent(inspect.getsource(reference))
        except (TypeError, OSError):  # a builtin, a lambda without a file: nothing to compare
            continue
        where = f"{getattr(reference, '__module__', '?')}.{getattr(reference, '__qualname__', exercise.name)}"
        references[exercise.name] = (f"bplib source ({where})", source)
    return references


# ---- the audit -------------------------------------------------------------------------------


@dataclass
class ReferenceMatch:
    student: str
    cell: str
    similarity: float
    reference: str


@dataclass
class SimilarPair:
    student_a: str
    student_b: str
    cell: str
    similarity: float
    both_match_reference: bool


@dataclass
class Audit:
    """Everything the report says."""

    assignment: str
    threshold: float
    students: list[str] = field(default_factory=list)  # the submissions that could be read
    unreadable: dict[str, str] = field(default_factory=dict)  # student -> why
    cells: int = 0  # answer cells looked at, over all readable submissions
    unchanged: int = 0  # left as released
    too_short: Counter[str] = field(default_factory=Counter)  # cell -> how many
    unparsed: list[tuple[str, str]] = field(default_factory=list)  # (student, cell) compared as text
    reference_matches: list[ReferenceMatch] = field(default_factory=list)
    similar_pairs: list[SimilarPair] = field(default_factory=list)

    @property
    def judged(self) -> int:
        return self.cells - self.unchanged - sum(self.too_short.values())


def audit(course: Path, assignment: str, threshold: float = DEFAULT_THRESHOLD) -> Audit:
    """Compare every submission of ``assignment`` in ``course`` with the references and each other.

    Raises
    ------
    FileNotFoundError
        When the course has no solution notebook for the assignment.
    """
    notebook = f"{assignment}.ipynb"
    solution = answer_sources(nbformat.read(course / "solutions" / assignment / notebook, as_version=4))
    released_path = course / "course" / assignment / notebook
    released = answer_sources(nbformat.read(released_path, as_version=4)) if released_path.exists() else {}

    # What the students were handed, per cell: the released notebook when the course has it,
    # else what nbgrader would release. Subtracting it leaves what each author wrote.
    stubs = {cell: normalise(released.get(cell) or released_stub(source)) for cell, source in solution.items()}
    references = {cell: [(NOTEBOOK_SOLUTION, normalise(strip_markers(source)).without(stubs[cell]))]
                  for cell, source in solution.items()}
    for cell, (label, source) in bplib_references(assignment).items():
        if cell in references:  # an exercise with no answer cell of that name: nothing to compare
            references[cell].append((label, normalise(source).without(stubs[cell])))

    result = Audit(assignment, threshold)
    written = _written_answers(course / "submitted", assignment, stubs, result)
    result.reference_matches = _reference_matches(written, references, threshold)
    matched = {(m.student, m.cell) for m in result.reference_matches}
    result.similar_pairs = _similar_pairs(written, matched, threshold)
    return result


def _written_answers(submitted: Path, assignment: str, stubs: dict[str, Code],
                     result: Audit) -> dict[str, dict[str, Code]]:
    """student -> cell -> the code they wrote, for the answers worth judging.

    Counts in ``result`` what is not judged: unreadable files, unchanged stubs, short answers.
    """
    written: dict[str, dict[str, Code]] = {}
    for path in sorted(submitted.glob(f"*/{assignment}/{assignment}.ipynb")):
        student = path.parent.parent.name
        try:
            answers = read_submission(path)
        except Unreadable as error:
            result.unreadable[student] = str(error)
            continue
        result.students.append(student)
        written[student] = {}
        for cell, stub in stubs.items():
            if cell not in answers:
                continue  # a deleted answer cell: nothing the student wrote
            result.cells += 1
            code = normalise(answers[cell])
            if not code.parsed:
                result.unparsed.append((student, cell))
            if code.same_as(stub):
                result.unchanged += 1  # everyone who did nothing shares the stub
                continue
            own = code.without(stub)
            if own.size < MIN_TOKENS:
                result.too_short[cell] += 1
                continue
            written[student][cell] = own
    return written


def _reference_matches(written: dict[str, dict[str, Code]], references: dict[str, list[tuple[str, Code]]],
                       threshold: float) -> list[ReferenceMatch]:
    """Each answer as similar to a reference as the threshold, with the closest reference."""
    matches = []
    for student, answers in written.items():
        for cell, own in answers.items():
            # The closest reference; on a tie, the notebook's solution (listed first) is named.
            best, label = max(((similarity(own, code), label) for label, code in references[cell]),
                              key=lambda score: score[0])
            if best >= threshold:
                matches.append(ReferenceMatch(student, cell, best, label))
    return sorted(matches, key=lambda m: (-m.similarity, m.student, m.cell))


def _similar_pairs(written: dict[str, dict[str, Code]], matched: set[tuple[str, str]],
                   threshold: float) -> list[SimilarPair]:
    """Each pair of students whose answers to a cell are as similar as the threshold, once."""
    pairs = []
    for a, b in itertools.combinations(sorted(written), 2):
        for cell in written[a].keys() & written[b].keys():
            x, y = written[a][cell], written[b][cell]
            if could_reach(x, y, threshold) and (score := similarity(x, y)) >= threshold:
                both = (a, cell) in matched and (b, cell) in matched
                pairs.append(SimilarPair(a, b, cell, score, both))
    # Among equal similarities, the pairs that the reference does not explain come first.
    return sorted(pairs, key=lambda p: (-p.similarity, p.both_match_reference, p.cell, p.student_a, p.student_b))


# ---- the report ------------------------------------------------------------------------------

WHAT_THIS_IS = """\
This audit flags answers for a person to read; it never changes a grade. Each answer cell
was compared, after its comments, docstrings and layout were dropped, the names it binds
replaced by placeholders and the code handed out in the stub removed, with the reference
solutions and with the same cell of every other submission. A high similarity can be
innocent: a short answer or a standard formula leaves little room to differ, and students
who learned from the same notebook write alike. Read the flagged cells side by side, and
talk with the students, before acting on anything here."""


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[str]], empty: str) -> list[str]:
    if not rows:
        return [empty]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(_md(value) for value in row) + " |" for row in rows]
    return lines


def _explained_pairs(result: Audit) -> list[str]:
    """One line per cell that has similar pairs of students who both match the reference."""
    matching = Counter(m.cell for m in result.reference_matches)
    alike = Counter(p.cell for p in result.similar_pairs if p.both_match_reference)
    lines = []
    for cell, pairs in sorted(alike.items()):
        students = matching[cell]
        possible = students * (students - 1) // 2
        line = f"{cell}: {students:,} students match the reference (they are listed above), "
        if pairs == possible:
            line += "so every pair of them is alike too."
        else:  # alike to the reference need not mean alike to each other, at the threshold
            line += f"and {pairs:,} of the {possible:,} pairs of them {'is' if pairs == 1 else 'are'} alike too."
        lines.append(line)
    return lines


def render(result: Audit) -> str:
    """The audit as a Markdown report."""
    too_short = sum(result.too_short.values())
    lines = [
        f"# Audit of {result.assignment}",
        "",
        f"- Submissions: {len(result.students)} read"
        + (f", {len(result.unreadable)} could not be read" if result.unreadable else ""),
        f"- Answer cells: {result.cells} ({result.judged} compared, {too_short} too short to judge, "
        f"{result.unchanged} unchanged from the released stub)",
        f"- Threshold: similarity of at least {result.threshold:g} is flagged",
        "",
        WHAT_THIS_IS,
        "",
        "## Matches the reference",
        "",
    ]
    lines += _table(
        ["student", "cell", "similarity", "reference"],
        [[m.student, m.cell, f"{m.similarity:.2f}", m.reference] for m in result.reference_matches],
        "No answer reaches the threshold.",
    )
    # A pair of students who both match the reference is explained by it: listing such pairs
    # would add a row for every two of them (thousands in a large class), so they are only
    # counted, one line per cell, and the table keeps the pairs the reference does not explain.
    unexplained = [p for p in result.similar_pairs if not p.both_match_reference]
    explained = _explained_pairs(result)
    lines += ["", "## Similar submissions", ""]
    lines += _table(
        ["student A", "student B", "cell", "similarity"],
        [[p.student_a, p.student_b, p.cell, f"{p.similarity:.2f}"] for p in unexplained],
        "No two submissions reach the threshold"
        + (", other than students who both match the reference." if explained else "."),
    )
    if explained:
        lines += ["", "### Alike through the reference", "",
                  "Two students who both match the reference are alike because of it: such pairs are "
                  "counted here, one line per cell, instead of being listed in the table.", ""]
        lines += [f"- {_md(line)}" for line in explained]
    lines += ["", "## Too short to judge", ""]
    if too_short:
        lines.append(f"{too_short} answers have fewer than {MIN_TOKENS} tokens of their own and were not compared: "
                     + ", ".join(f"{cell} ({count})" for cell, count in sorted(result.too_short.items())) + ".")
    else:
        lines.append("None.")
    if result.unparsed:
        lines += ["", "## Compared as text", "",
                  "These cells are not valid Python, so they were treated as whitespace-separated words, "
                  "where renaming a variable does hide a copy:", ""]
        lines += [f"- {_md(student)}: {_md(cell)}" for student, cell in result.unparsed]
    if result.unreadable:
        lines += ["", "## Could not be read", ""]
        lines += [f"- {_md(student)}: {_md(why)}" for student, why in sorted(result.unreadable.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Run the audit from the command line; returns the exit status (0, even when flagging)."""
    parser = argparse.ArgumentParser(prog="tasks.py audit", description=__doc__.splitlines()[0])
    parser.add_argument("assignment", help="e.g. 02-activation-functions")
    parser.add_argument("--course", type=Path, default=Path("."), help="the nbgrader course root (default: here)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help=f"flag similarities at least this high, in [0, 1] (default: {DEFAULT_THRESHOLD})")
    parser.add_argument("--output", type=Path, help="the report (default: <course>/audit/<assignment>.md)")
    args = parser.parse_args(argv)
    if not 0 <= args.threshold <= 1:
        parser.error("--threshold must be between 0 and 1")
    solution = args.course / "solutions" / args.assignment / f"{args.assignment}.ipynb"
    if not solution.exists():
        parser.error(f"no solution notebook {solution}: run from the course root, or pass --course")

    result = audit(args.course, args.assignment, args.threshold)
    output = args.output or args.course / "audit" / f"{args.assignment}.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(result), encoding="utf-8")
    unreadable = f", {len(result.unreadable)} could not be read" if result.unreadable else ""
    print(f"audit of {args.assignment}: {len(result.students)} submissions read{unreadable}, "
          f"{len(result.reference_matches)} answers match the reference, "
          f"{len(result.similar_pairs)} similar pairs; report: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
