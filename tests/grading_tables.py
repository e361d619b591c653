"""The two tests of a table of answers to a notebook's exercises, for tests/test_grading_*.py.

A table module lists RIGHT, (exercise, answer) pairs that must pass both parts of their check, and
MISTAKES, (exercise, wrong answer, hint key) rows: each wrong answer must get its hint in the
visible part and fail the hidden part too. The tables are the specification of the checks.
"""
from __future__ import annotations

from typing import Callable

import pytest

from bplib import grading
from bplib.grading.report import Report


def keys(name: str, student, hidden: bool = False) -> list[str]:
    """The hint keys that the check of ``name`` gives ``student`` (visible part by default)."""
    report = Report(name)
    grading.EXERCISES[name].run(student, report, grading._rng(name, hidden), hidden)
    return [key for key, _ in report.problems]


def with_args(fn: Callable, **kwargs) -> Callable:
    """fn with some keyword arguments fixed: one switch of a right answer turned into a mistake."""
    def wrong(*args):
        return fn(*args, **kwargs)
    return wrong


def table_tests(notebook: str, right: list, mistakes: list) -> tuple:
    """The session fixture and the two tests of a table; a module assigns them to module names."""

    @pytest.fixture(autouse=True)
    def session():
        grading.start(notebook)
        grading._SESSION.tampered.clear()
        yield

    @pytest.mark.parametrize("name, student", right, ids=[f"{n}-{f.__name__}" for n, f in right])
    def test_right_answers_pass(name, student):
        for hidden in (False, True):
            assert keys(name, student, hidden) == [], f"{student.__name__} ({'hidden' if hidden else 'visible'} part)"

    @pytest.mark.parametrize("name, student, key", mistakes, ids=[f"{n}-{k}" for n, _, k in mistakes])
    def test_each_mistake_gets_its_hint_in_both_parts(name, student, key):
        found = keys(name, student)
        assert key in found, f"{name}: expected hint {key}, got {found}"
        assert keys(name, student, hidden=True), f"{name}: {key} passes the hidden part"

    return session, test_right_answers_pass, test_each_mistake_gets_its_hint_in_both_parts
