"""Shared pytest configuration: every test runs with floating-point errors raised, so a stray
overflow or invalid operation in bplib fails loudly instead of printing a warning."""
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _raise_on_float_errors():
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
