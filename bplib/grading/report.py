"""Collects every problem a check finds and shows them the way a teacher would."""
from __future__ import annotations

import re

from . import messages
from ._guard import CAPTURED_BUILTINS

_print = CAPTURED_BUILTINS["print"]
MAX_PROBLEMS_SHOWN = 4
_DECIMAL = re.compile(r"-?\d+\.\d+")


# Fields that can carry what the student's code saw or made of a hidden input: its error
# message, the shape or value it returned. A submission could encode the hidden inputs in
# them, so the hidden part's messages show the kind of problem without them.
_STUDENT_DATA_FIELDS = ("error", "got", "expected")


def _without_hidden_data(fields: dict) -> dict:
    fields = dict(fields)
    if isinstance(fields.get("case"), str):
        fields["case"] = _DECIMAL.sub("…", fields["case"])  # "x = 0.731" was drawn from the secret
    for key in _STUDENT_DATA_FIELDS:
        if key in fields:
            text = str(fields[key])
            fields[key] = text.split(":")[0] if key == "error" else "(not shown for the hidden part)"
    return fields


class CheckFailed(AssertionError):
    """Raised by a failing check; Jupyter shows its message instead of a traceback.

    IPython calls ``_render_traceback_`` when an exception defines it, so the student sees
    the teaching message and not the grader's internals. nbgrader still sees an error, and
    the check cell scores zero.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def _render_traceback_(self) -> list[str]:
        return self.text.splitlines()


class Report:
    """The outcome of one check: how many cases ran, and each distinct problem found."""

    def __init__(self, name: str, hidden: bool = False) -> None:
        self.name = name
        self.hidden = hidden  # the judge's hidden part: its inputs must not show in a message
        self.cases = 0
        self.problems: list[tuple[str, dict]] = []
        self.stopped = False  # set when continuing would be meaningless (stub, reference use)

    def fail(self, key: str, **fields) -> None:
        if any(k == key for k, _ in self.problems):
            return  # the same mistake on several inputs is one problem
        if self.hidden:
            fields = _without_hidden_data(fields)
        self.problems.append((key, {"name": self.name, **fields}))

    def fail_first(self, key: str, **fields) -> None:
        """Record a problem that explains the others, so that it is read first."""
        self.fail(key, **fields)
        self.problems.insert(0, self.problems.pop())

    def revise(self, key: str, **fields) -> None:
        """Replace the problem recorded last by ``key``: a later observation explains it better.

        For example, Sequential's wrong gradient in a hidden layer, first recorded as
        "wrong_values", is revised to the mistake that gives exactly that observation.
        """
        if self.problems:
            self.problems.pop()
        self.fail(key, **fields)

    @property
    def last_problem(self) -> str | None:
        """The key of the problem recorded last, or None when there is none."""
        return self.problems[-1][0] if self.problems else None

    def stop(self, key: str, **fields) -> None:
        self.fail(key, **fields)
        self.stopped = True

    @property
    def passed(self) -> bool:
        return not self.problems

    def text(self) -> str:
        if self.passed:
            return f"✔ {self.name}: passed ({self.cases} check{'s' if self.cases != 1 else ''})"
        shown = self.problems[:MAX_PROBLEMS_SHOWN]
        count = len(self.problems)
        lines = [f"✘ {self.name}: {count} problem{'s' if count > 1 else ''} found"]
        for i, (key, fields) in enumerate(shown, 1):
            lines.append(f"  {i}. {messages.render(key, **fields)}")
        if count > len(shown):
            lines.append(f"  ... and {count - len(shown)} more; fix these first.")
        return "\n".join(lines)

    def finish(self, quiet: bool = False) -> None:
        """Print the passed line (unless quiet), or raise CheckFailed with every problem."""
        if not self.passed:
            raise CheckFailed(self.text())
        if not quiet:
            _print(self.text())
