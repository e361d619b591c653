"""Collects every problem a check finds and shows them the way a teacher would."""
from __future__ import annotations

from . import messages
from ._guard import CAPTURED_BUILTINS

_print = CAPTURED_BUILTINS["print"]
MAX_PROBLEMS_SHOWN = 4


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

    def __init__(self, name: str) -> None:
        self.name = name
        self.cases = 0
        self.problems: list[tuple[str, dict]] = []
        self.stopped = False  # set when continuing would be meaningless (stub, reference use)

    def fail(self, key: str, **fields) -> None:
        if any(k == key for k, _ in self.problems):
            return  # the same mistake on several inputs is one problem
        self.problems.append((key, {"name": self.name, **fields}))

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
