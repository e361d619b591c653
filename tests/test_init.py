import numpy as np
import pytest

from bplib import init

FAN_IN, FAN_OUT = 500, 300


@pytest.mark.parametrize("fn, var", [
    (init.xavier_uniform, 2 / (FAN_IN + FAN_OUT)),
    (init.xavier_normal, 2 / (FAN_IN + FAN_OUT)),
    (init.he_uniform, 2 / FAN_IN),
    (init.he_normal, 2 / FAN_IN),
])
def test_variance_and_shape(fn, var):
    w = fn(FAN_IN, FAN_OUT, rng=0)
    assert w.shape == (FAN_IN, FAN_OUT) and w.dtype == np.float64
    assert w.var() == pytest.approx(var, rel=0.02)
    assert abs(w.mean()) < 0.01 * np.sqrt(var) * 10


def test_uniform_bounds():
    assert np.abs(init.he_uniform(FAN_IN, FAN_OUT, rng=0)).max() <= np.sqrt(6 / FAN_IN)
    assert np.abs(init.xavier_uniform(FAN_IN, FAN_OUT, rng=0)).max() <= np.sqrt(6 / (FAN_IN + FAN_OUT))


def test_seeded_and_dtype():
    np.testing.assert_array_equal(init.he_normal(3, 4, rng=1), init.he_normal(3, 4, rng=1))
    assert init.xavier_normal(3, 4, rng=1, dtype=np.float32).dtype == np.float32


def test_he_keeps_relu_signal_variance():
    """He's point: through 20 ReLU layers the activations neither vanish nor explode."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 256))
    start = np.mean(x**2)
    for _ in range(20):
        x = np.maximum(x @ init.he_normal(256, 256, rng=rng), 0)
    assert 0.2 < np.mean(x**2) / start < 5
