"""bplib's one rule for randomness (see bplib's docstring; the helper is bplib._checks.as_rng).

Every random function and class takes a single ``rng``: an int seed k means np.random.default_rng(k),
a Generator is used as it is and advanced, None is fresh entropy; anything else is refused.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib import data, gradcheck, init
from bplib._checks import as_rng
from bplib.layers import LSTM, RNN, Conv2d, Dense, Dropout, Layer
from bplib.losses import SoftmaxCrossEntropy
from bplib.network import Sequential, fit
from bplib.optim import SGD

_X = np.arange(24.0).reshape(12, 2)
_Y = np.repeat([0, 1, 2], 4)


def _fit_losses(**kw):
    model = Sequential(Dense(2, 3, rng=0))  # the weights fixed: only the batches vary with rng
    return fit(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1), _X / 24, _Y, epochs=2, batch_size=5,
               progress=False, **kw)["loss"]


# name -> a call of it with small sizes, taking rng as a keyword (or leaving it to its default).
# Randomness that makes or orders data: rng defaults to 0.
DATA = {
    "data.linear": lambda **kw: data.linear(n=6, **kw),
    "data.xor": lambda **kw: data.xor(n=8, noise=0.1, **kw),
    "data.spirals": lambda **kw: data.spirals(n=4, **kw),
    "data.moons": lambda **kw: data.moons(n=6, **kw),
    "data.circles": lambda **kw: data.circles(n=6, **kw),
    "data.minibatches": lambda **kw: list(data.minibatches(_X, _Y, 5, **kw)),
    "data.train_test_split": lambda **kw: data.train_test_split(_X, _Y, test_size=4, **kw),
    "data.train_test_split(stratify)": lambda **kw: data.train_test_split(_X, _Y, test_size=6, stratify=True, **kw),
    "gradcheck.check_layer": lambda **kw: gradcheck.check_layer(Dense(2, 3, rng=0), _X[:4] / 24, **kw),
    "network.fit": _fit_losses,
}
# Randomness that starts a model: rng defaults to None, new numbers on every call.
MODEL = {
    "init.xavier_uniform": lambda **kw: init.xavier_uniform(3, 4, **kw),
    "init.xavier_normal": lambda **kw: init.xavier_normal(3, 4, **kw),
    "init.he_uniform": lambda **kw: init.he_uniform(3, 4, **kw),
    "init.he_normal": lambda **kw: init.he_normal(3, 4, **kw),
    "Dense": lambda **kw: Dense(3, 4, **kw),
    "Conv2d": lambda **kw: Conv2d(2, 3, 2, **kw),
    "RNN": lambda **kw: RNN(2, 3, **kw),
    "LSTM": lambda **kw: LSTM(2, 3, **kw),
    "Dropout": lambda **kw: Dropout(0.5, **kw).forward(np.ones((4, 6))),
}
RANDOM = {**DATA, **MODEL}


def _arrays(result) -> list[np.ndarray]:
    """Every number a result holds, as a flat list of arrays: a layer's are its initial parameters."""
    if isinstance(result, Layer):
        return [p.value for p in result.parameters()]
    if isinstance(result, dict):
        return _arrays(list(result.values()))
    if isinstance(result, (list, tuple)):
        return [a for item in result for a in _arrays(item)]
    return [np.asarray(result)]


def _same(a, b) -> bool:
    a, b = _arrays(a), _arrays(b)
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


# ---------------------------------------------------------------------------------- as_rng


@given(seed=st.integers(0, 2**63))
def test_an_int_seed_is_default_rng_of_it(seed):
    assert as_rng(seed).random() == np.random.default_rng(seed).random()
    assert as_rng(np.uint64(seed)).random() == np.random.default_rng(seed).random()


def test_a_generator_is_returned_itself_and_none_is_fresh_entropy():
    gen = np.random.default_rng(3)
    assert as_rng(gen) is gen
    assert isinstance(as_rng(None), np.random.Generator)
    assert as_rng(None).random() != as_rng(None).random()


@pytest.mark.parametrize("bad", [True, False, np.True_, 1.5, np.float64(2.0), "0", [1, 2], np.random.RandomState(0),
                                 np.random, np.random.SeedSequence(0), np.random.PCG64(0)])
def test_as_rng_refuses_everything_else_naming_what_it_accepts(bad):
    with pytest.raises(ValueError, match=r"rng must be None, an int seed or a numpy\.random\.Generator"):
        as_rng(bad)


def test_as_rng_refuses_a_negative_seed():
    with pytest.raises(ValueError, match="rng as an int seed must be >= 0; got -1"):
        as_rng(-1)


# ---------------------------------------------------------------------- every random function


@pytest.mark.parametrize("name", sorted(RANDOM))
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_a_seed_gives_what_its_generator_gives(name, seed):
    call = RANDOM[name]
    assert _same(call(rng=seed), call(rng=np.random.default_rng(seed)))


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_a_generator_passed_in_is_advanced_so_calls_can_share_one_stream(name):
    call = RANDOM[name]
    gen = np.random.default_rng(5)
    start = gen.bit_generator.state
    first = call(rng=gen)
    assert gen.bit_generator.state != start, f"{name} did not draw from the Generator it was given"
    assert not _same(first, call(rng=gen)), f"{name}: a second call on the same stream repeated the first"
    assert _same(first, call(rng=5))


@pytest.mark.parametrize("name", sorted(DATA))
def test_data_randomness_is_reproducible_by_default(name):
    assert _same(DATA[name](), DATA[name](rng=0))
    assert not _same(DATA[name](rng=None), DATA[name](rng=None))


@pytest.mark.parametrize("name", sorted(MODEL))
def test_model_randomness_is_new_by_default(name):
    assert not _same(MODEL[name](), MODEL[name]())


@pytest.mark.parametrize("name", sorted(RANDOM))
@pytest.mark.parametrize("bad", [True, 0.5, np.random.RandomState(0)])
def test_every_random_function_refuses_a_wrong_rng(name, bad):
    with pytest.raises(ValueError, match="rng must be None, an int seed or a numpy.random.Generator"):
        RANDOM[name](rng=bad)


def test_dropout_keeps_the_generator_it_is_given():
    gen = np.random.default_rng(0)
    assert Dropout(0.5, rng=gen).rng is gen


def test_init_zeros_ignores_rng_but_refuses_a_wrong_one():
    np.testing.assert_array_equal(init.zeros(2, 3, rng=7), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="rng must be None"):
        init.zeros(2, 3, rng=1.5)
