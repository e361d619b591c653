import numpy as np
import pytest

from bplib.gradcheck import check_layer
from bplib.layers import Dense, Identity, LeakyReLU, Parameter, ReLU, Sigmoid, Tanh
from bplib.network import Sequential

N, D, H = 5, 4, 3  # every dimension different


def _away_from_kinks(x):
    return np.where(np.abs(x) < 1e-2, 0.3, x)


LAYERS = {
    "dense": lambda: Dense(D, H, rng=0),
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": lambda: LeakyReLU(alpha=0.05),
    "identity": Identity,
    "mlp": lambda: Sequential(Dense(D, 6, rng=1, init="xavier"), Tanh(), Dense(6, H, rng=2), ReLU(),
                              Dense(H, 2, rng=3)),
}


@pytest.mark.parametrize("name", LAYERS)
def test_backward_matches_numerical_gradient(name, rng):
    layer = LAYERS[name]()
    x = _away_from_kinks(rng.standard_normal((N, D)))
    errors = check_layer(layer, x, rng=7)
    assert errors and max(errors.values()) < 1e-7, errors
    expected_keys = {"x"} | ({"W", "b"} if name == "dense" else set())
    if name != "mlp":
        assert set(errors) == expected_keys


def test_dense_computes_affine_map(rng):
    layer = Dense(D, H, rng=0)
    layer.b.value[:] = rng.standard_normal(H)
    x = rng.standard_normal((N, D))
    np.testing.assert_allclose(layer(x), x @ layer.W.value + layer.b.value)
    assert layer.W.value.shape == (D, H) and layer.b.value.shape == (H,)
    assert layer.W.grad.shape == (D, H) and np.all(layer.W.grad == 0)


def test_dense_refuses_wrong_number_of_features():
    with pytest.raises(ValueError, match=r"\(N, 4\).*\(5, 3\)"):
        Dense(D, H, rng=0)(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        Dense(D, H, rng=0)(np.zeros(4))


def test_dense_refuses_wrong_upstream_shape():
    layer = Dense(D, H, rng=0)
    layer(np.zeros((N, D)))
    with pytest.raises(ValueError, match=r"\(5, 3\)"):
        layer.backward(np.zeros((N, D)))


@pytest.mark.parametrize("name", LAYERS)
def test_backward_before_forward_is_a_clear_error(name):
    with pytest.raises(RuntimeError, match="before forward"):
        LAYERS[name]().backward(np.zeros((N, H)))


def test_gradients_accumulate_until_zeroed(rng):
    layer = Dense(D, H, rng=0)
    x, dout = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    layer(x)
    layer.backward(dout)
    first = layer.W.grad.copy()
    layer.backward(dout)
    np.testing.assert_allclose(layer.W.grad, 2 * first)
    layer.zero_grad()
    assert np.all(layer.W.grad == 0) and np.all(layer.b.grad == 0)


def test_forward_and_backward_leave_inputs_unchanged(rng):
    model = LAYERS["mlp"]()
    x = rng.standard_normal((N, D))
    x_before = x.copy()
    out = model(x)
    dout = rng.standard_normal(out.shape)
    dout_before = dout.copy()
    model.backward(dout)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)


def test_float32_model_stays_float32(rng):
    model = Sequential(Dense(D, 6, rng=0, dtype=np.float32), ReLU(), Dense(6, H, rng=1, dtype=np.float32))
    out = model(rng.standard_normal((N, D)).astype(np.float32))
    assert out.dtype == np.float32
    dx = model.backward(np.ones_like(out))
    assert dx.dtype == np.float32 and all(p.grad.dtype == np.float32 for p in model.parameters())


def test_dense_init_choices():
    assert np.all(Dense(D, H, init="zeros").W.value == 0)
    he = Dense(400, 300, rng=0).W.value
    xavier = Dense(400, 300, rng=0, init="xavier").W.value
    assert he.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert xavier.std() == pytest.approx(np.sqrt(2 / 700), rel=0.02)
    with pytest.raises(ValueError, match="float32 or float64"):
        Dense(D, H, dtype=np.int64)


def test_sequential_collects_parameters_and_modes():
    model = LAYERS["mlp"]()
    assert len(model.parameters()) == 6 and len(model) == 5
    assert all(isinstance(p, Parameter) for p in model.parameters())
    model.eval()
    assert not model.training and not any(layer.training for layer in model.layers)
    model.train()
    assert all(layer.training for layer in model.layers)
    assert "Dense(4, 6)" in repr(model)


def test_parameter_copies_its_value():
    value = np.ones(3)
    p = Parameter(value, name="w")
    value[0] = 5
    assert p.value[0] == 1 and p.grad.shape == (3,) and "w" in repr(p)


def test_first_layer_can_skip_the_input_gradient(rng):
    """input_grad=False (PyTorch's requires_grad=False data): same parameter gradients, no dx."""
    x, dout = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    full, first = Dense(D, H, rng=0), Dense(D, H, rng=0, input_grad=False)
    full(x)
    first(x)
    assert full.backward(dout) is not None and first.backward(dout) is None
    np.testing.assert_array_equal(first.W.grad, full.W.grad)
    np.testing.assert_array_equal(first.b.grad, full.b.grad)
    model = Sequential(Dense(D, 6, rng=1, input_grad=False), ReLU(), Dense(6, H, rng=2))
    model(x)
    assert model.backward(dout) is None and np.any(model.layers[0].W.grad)


ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_are_written_as_f_and_its_derivative(name):
    """Each activation gives only f and f' (``_f``, ``_df``): forward and backward are _Elementwise's."""
    cls = type(LAYERS[name]())
    assert "forward" not in vars(cls) and "backward" not in vars(cls), f"{cls.__name__} overrides the template"


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_keep_float32_and_stay_finite_at_large_inputs(name):
    layer = LAYERS[name]()
    x = np.array([[-1e4, -3.0, 0.5, 1e4]], dtype=np.float32)
    out = layer(x)
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == np.float32 and dx.dtype == np.float32, f"{layer!r}: {out.dtype}, {dx.dtype}"
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(dx)), f"{layer!r} on ±1e4: {out}, {dx}"
