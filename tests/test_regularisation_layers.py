"""BatchNorm1d, Dropout and Residual; training and evaluation modes; gradient_norms; the L1 and
L2 weight penalties. PyTorch, when installed, is the reference for BatchNorm1d."""
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bplib.data import load_digits, standardize, train_test_split
from bplib.gradcheck import check_layer, numerical_gradient, numerical_gradient_array, rel_error
from bplib.layers import BatchNorm1d, Dense, Dropout, Identity, Parameter, ReLU, Residual, Sigmoid, Tanh
from bplib.losses import MSELoss, SoftmaxCrossEntropy, l1_penalty, l2_penalty
from bplib.network import Sequential, evaluate, fit, gradient_norms
from bplib.optim import SGD

N, D = 5, 3  # every dimension different: a transposed (D, N) array is never mistaken for (N, D)


def _batchnorm(rng, d=D, **kwargs):
    """A BatchNorm1d whose gamma and beta are random, so that neither hides a missing factor."""
    bn = BatchNorm1d(d, **kwargs)
    bn.gamma.value[:] = rng.uniform(0.5, 2.0, d) * rng.choice([-1, 1], d)
    bn.beta.value[:] = rng.standard_normal(d)
    return bn


def _with_running_stats(bn, rng):
    bn.running_mean[:] = rng.standard_normal(bn.num_features)
    bn.running_var[:] = rng.uniform(0.5, 2.0, bn.num_features)
    return bn


def _describe(x):
    return f"x of shape {x.shape}, dtype {x.dtype}"


# ----------------------------------------------------------------------------- gradient checks


def test_batchnorm_training_backward_matches_numerical_gradient(rng):
    bn = _batchnorm(rng)
    x = 2 * rng.standard_normal((N, D)) + 1
    errors = check_layer(bn, x, rng=7)
    assert set(errors) == {"x", "gamma", "beta"}
    assert max(errors.values()) < 1e-7, f"{bn!r} in training mode on {_describe(x)}: relative errors {errors}"


def test_batchnorm_eval_backward_matches_numerical_gradient(rng):
    bn = _with_running_stats(_batchnorm(rng), rng).eval()
    x = rng.standard_normal((N, D))
    errors = check_layer(bn, x, rng=7)
    assert max(errors.values()) < 1e-7, f"{bn!r} in evaluation mode on {_describe(x)}: relative errors {errors}"


def test_batchnorm_inside_a_network_matches_numerical_gradient(rng):
    model = Sequential(Dense(D, 4, rng=0, init="xavier"), Tanh(), _batchnorm(rng, 4), Dense(4, 2, rng=1, init="xavier"))
    x = rng.standard_normal((N, D))
    errors = check_layer(model, x, rng=3)
    assert len(errors) == 1 + 6
    assert max(errors.values()) < 1e-7, f"Dense-Tanh-BatchNorm1d-Dense on {_describe(x)}: relative errors {errors}"


def test_a_bias_right_before_batchnorm_gets_no_gradient(rng):
    """Batch norm subtracts the batch mean, and with it any constant added before: so d loss / d b = 0."""
    dense = Dense(D, 4, rng=0)
    model = Sequential(dense, _batchnorm(rng, 4), Tanh())
    x = rng.standard_normal((N, D))
    model.backward(rng.standard_normal(model(x).shape))
    np.testing.assert_allclose(dense.b.grad, 0, atol=1e-12,
                               err_msg=f"bias of Dense before BatchNorm1d on {_describe(x)}")
    assert np.all(np.abs(dense.W.grad) > 1e-6)


def test_dropout_backward_matches_numerical_gradient_with_a_fixed_mask(rng):
    """A fresh Dropout with the same seed draws the same mask, so the layer is a fixed function."""
    x, dout = rng.standard_normal((N, D)), rng.standard_normal((N, D))
    layer = Dropout(0.4, rng=3)
    out = layer(x)
    assert 0 < np.count_nonzero(out == 0) < out.size, "the mask should drop some units and keep others"
    dx = layer.backward(dout)
    numeric = numerical_gradient_array(lambda x: Dropout(0.4, rng=3)(x), x, dout)
    assert rel_error(dx, numeric) < 1e-7, f"Dropout(0.4) on {_describe(x)}: dx {dx} against numerical {numeric}"
    errors = check_layer(Dropout(0.4, rng=3).eval(), x, rng=7)
    assert max(errors.values()) < 1e-7, f"Dropout(0.4) in evaluation mode on {_describe(x)}: {errors}"


@pytest.mark.parametrize("inner", ["mlp", "batchnorm"])
def test_residual_backward_matches_numerical_gradient(inner, rng):
    layer = {
        "mlp": lambda: Sequential(Dense(D, 4, rng=0, init="xavier"), Tanh(), Dense(4, D, rng=1, init="xavier")),
        "batchnorm": lambda: _batchnorm(rng),
    }[inner]()
    model = Residual(layer)
    x = rng.standard_normal((N, D))
    errors = check_layer(model, x, rng=5)
    assert len(errors) == 1 + len(layer.parameters())
    assert max(errors.values()) < 1e-7, f"{model!r} on {_describe(x)}: relative errors {errors}"


@pytest.mark.parametrize("penalty", [l2_penalty, l1_penalty])
def test_penalty_gradients_match_numerical_gradient(penalty, rng):
    weights = [Parameter(rng.standard_normal((D, 4)), "W"), Parameter(rng.standard_normal((4, 2)), "W")]
    for w in weights:
        w.value[np.abs(w.value) < 1e-2] = 0.5  # away from |w|'s kink at 0
    penalty(weights, 0.3)
    for i, w in enumerate(weights):
        def value(_):
            scratch = [Parameter(p.value) for p in weights]
            return penalty(scratch, 0.3)
        numeric = numerical_gradient(value, w.value)
        assert rel_error(w.grad, numeric) < 1e-7, f"{penalty.__name__} gradient of weight {i}, shape {w.value.shape}"


# ----------------------------------------------------------------------------- properties

finite = st.floats(-1e4, 1e4)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 9), st.integers(1, 4)), elements=finite))
def test_batchnorm_training_output_has_zero_mean_and_unit_variance(x):
    assume(np.all(x.std(axis=0) > 1.0))  # non-degenerate: eps = 1e-5 then changes the variance by < 1e-5
    out = BatchNorm1d(x.shape[1])(x)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-8,
                               err_msg=f"per-feature mean of BatchNorm1d(x), {_describe(x)}")
    np.testing.assert_allclose(out.var(axis=0), 1, atol=1e-4,
                               err_msg=f"per-feature biased variance of BatchNorm1d(x), {_describe(x)}")


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)), elements=finite), st.floats(0, 1))
def test_dropout_in_eval_mode_is_the_identity(x, p):
    layer = Dropout(p, rng=0).eval()
    np.testing.assert_array_equal(layer(x), x, err_msg=f"Dropout({p}).eval() on {_describe(x)}")
    np.testing.assert_array_equal(layer.backward(x), x, err_msg=f"Dropout({p}).eval().backward on {_describe(x)}")


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)), elements=finite), st.floats(0, 0.95),
       st.integers(0, 99))
def test_dropout_in_training_zeroes_or_scales_each_entry(x, p, seed):
    layer = Dropout(p, rng=seed)
    out = layer(x)
    mask = layer.backward(np.ones_like(x))
    assert np.all((mask == 0) | (mask == np.float64(1 / (1 - p)))), f"Dropout({p}) mask on {_describe(x)}: {mask}"
    np.testing.assert_array_equal(out, x * mask,
                                  err_msg=f"Dropout({p}) output is not x times the mask used by backward")


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)), elements=finite))
def test_residual_around_a_zero_layer_is_the_identity(x):
    layer = Residual(Dense(x.shape[1], x.shape[1], init="zeros"))
    np.testing.assert_array_equal(layer(x), x, err_msg=f"Residual(zero Dense) on {_describe(x)}")
    np.testing.assert_array_equal(layer.backward(x), x, err_msg=f"Residual(zero Dense).backward on {_describe(x)}")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([np.float32, np.float64]).flatmap(
    lambda dtype: arrays(dtype, st.tuples(st.integers(2, 7), st.integers(1, 4)),
                         elements=st.floats(-1e4, 1e4, width=32))))
def test_large_inputs_give_finite_outputs_and_no_warnings(x):
    """Inputs up to ±1e4 (constant columns included): finite results, no warning, dtype kept."""
    d = x.shape[1]
    layers = [BatchNorm1d(d), Dropout(0.3, rng=0), Residual(Dense(d, d, rng=0, dtype=x.dtype)), Dropout(1.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for layer in layers:
            for mode in (True, False):
                layer.train(mode)
                out = layer(x)
                dx = layer.backward(x)
                assert out.dtype == x.dtype and dx.dtype == x.dtype, f"{layer!r} (training={mode}) on {_describe(x)}"
                assert np.all(np.isfinite(out)) and np.all(np.isfinite(dx)), (
                    f"{layer!r} (training={mode}) on {_describe(x)}")


# ----------------------------------------------------------------------------- BatchNorm1d


def test_batchnorm_starts_as_pytorch_does():
    bn = BatchNorm1d(4)
    assert (bn.eps, bn.momentum, bn.training) == (1e-5, 0.1, True)
    assert bn.parameters() == [bn.gamma, bn.beta] and all(isinstance(p, Parameter) for p in bn.parameters())
    np.testing.assert_array_equal(bn.gamma.value, np.ones(4))
    np.testing.assert_array_equal(bn.beta.value, np.zeros(4))
    assert isinstance(bn.running_mean, np.ndarray) and not isinstance(bn.running_mean, Parameter)
    np.testing.assert_array_equal(bn.running_mean, np.zeros(4))
    np.testing.assert_array_equal(bn.running_var, np.ones(4))
    assert repr(bn) == "BatchNorm1d(4, eps=1e-05, momentum=0.1)"


def test_batchnorm_training_output_uses_the_biased_batch_variance(rng):
    bn = _batchnorm(rng)
    x = rng.standard_normal((N, D))
    expected = bn.gamma.value * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5) + bn.beta.value
    np.testing.assert_allclose(bn(x), expected, rtol=1e-12, err_msg=f"BatchNorm1d training forward on {_describe(x)}")


def test_running_stats_after_two_steps_follow_the_unbiased_formula(rng):
    bn = BatchNorm1d(D, momentum=0.2)
    x1, x2 = rng.standard_normal((N, D)), 3 + 2 * rng.standard_normal((N + 2, D))
    bn(x1)
    bn(x2)
    mean = 0.8 * (0.8 * 0 + 0.2 * x1.mean(axis=0)) + 0.2 * x2.mean(axis=0)
    var = 0.8 * (0.8 * 1 + 0.2 * x1.var(axis=0, ddof=1)) + 0.2 * x2.var(axis=0, ddof=1)
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-12,
                               err_msg="running_mean after batches x1 (5, 3) and x2 (7, 3)")
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-12,
                               err_msg="running_var after batches x1 (5, 3) and x2 (7, 3)")
    assert bn.num_batches_tracked == 2


def test_eval_mode_uses_and_keeps_the_running_stats(rng):
    bn = _with_running_stats(_batchnorm(rng), rng).eval()
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    x = rng.standard_normal((N, D))
    expected = bn.gamma.value * (x - mean) / np.sqrt(var + 1e-5) + bn.beta.value
    np.testing.assert_allclose(bn(x), expected, rtol=1e-12, err_msg=f"BatchNorm1d eval forward on {_describe(x)}")
    np.testing.assert_array_equal(bn.running_mean, mean)
    np.testing.assert_array_equal(bn.running_var, var)
    out_one_row = bn(x[:1])  # a single sample is fine in evaluation mode
    np.testing.assert_allclose(out_one_row, expected[:1], rtol=1e-12)
    np.testing.assert_allclose(bn.backward(np.ones((1, D))), (bn.gamma.value / np.sqrt(var + 1e-5))[None, :],
                               rtol=1e-12)


def test_momentum_is_the_weight_of_the_new_batch(rng):
    """PyTorch's convention (Keras's is the opposite): momentum=1 keeps only the last batch."""
    x1, x2 = rng.standard_normal((N, D)), rng.standard_normal((N, D)) + 5
    last_only, frozen, average = (BatchNorm1d(D, momentum=1.0), BatchNorm1d(D, momentum=0.0),
                                  BatchNorm1d(D, momentum=None))
    for bn in (last_only, frozen, average):
        bn(x1)
        bn(x2)
    np.testing.assert_allclose(last_only.running_mean, x2.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(last_only.running_var, x2.var(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_array_equal(frozen.running_mean, 0)
    np.testing.assert_array_equal(frozen.running_var, 1)
    np.testing.assert_allclose(average.running_mean, (x1.mean(axis=0) + x2.mean(axis=0)) / 2, rtol=1e-12)
    np.testing.assert_allclose(average.running_var, (x1.var(axis=0, ddof=1) + x2.var(axis=0, ddof=1)) / 2, rtol=1e-12)


def test_batchnorm_backward_accumulates_and_uses_the_forward_mode(rng):
    bn = _batchnorm(rng)
    x, dout = rng.standard_normal((N, D)), rng.standard_normal((N, D))
    bn(x)
    bn.eval()  # switching after forward: backward still differentiates the training-mode forward
    dx = bn.backward(dout)
    np.testing.assert_allclose(dx.sum(axis=0), 0, atol=1e-12,
                               err_msg="training-mode dx must sum to zero over the batch")
    first = bn.gamma.grad.copy()
    bn.backward(dout)
    np.testing.assert_allclose(bn.gamma.grad, 2 * first, err_msg="dgamma must accumulate until zero_grad")
    np.testing.assert_allclose(bn.beta.grad, 2 * dout.sum(axis=0))
    bn.zero_grad()
    assert not np.any(bn.gamma.grad) and not np.any(bn.beta.grad)


def test_constant_feature_is_normalised_to_zero(rng):
    x = rng.standard_normal((N, D))
    x[:, 1] = 7.0
    bn = BatchNorm1d(D)
    out = bn(x)
    np.testing.assert_array_equal(out[:, 1], 0)
    assert np.all(np.isfinite(bn.backward(rng.standard_normal((N, D)))))


# ----------------------------------------------------------------------------- Dropout


def test_dropout_keeps_the_mean_and_drops_a_fraction_p():
    x = np.ones((2000, 7))
    layer = Dropout(0.3, rng=0)
    out = layer(x)
    assert abs(out.mean() - 1) < 0.02, f"Dropout(0.3) on ones {x.shape}: mean {out.mean()}, expected about 1"
    assert abs(np.mean(out == 0) - 0.3) < 0.02, f"Dropout(0.3) on ones {x.shape}: dropped fraction {np.mean(out == 0)}"
    dout = np.arange(x.size, dtype=float).reshape(x.shape)
    np.testing.assert_array_equal(layer.backward(dout), dout * out, err_msg="backward must use the forward pass's mask")
    assert np.any(layer(x) != out), "each forward pass must draw a new mask"


def test_dropout_seeds_and_generators():
    x = np.ones((N, D))
    np.testing.assert_array_equal(Dropout(0.5, rng=4)(x), Dropout(0.5, rng=4)(x))
    shared = np.random.default_rng(4)
    a, b = Dropout(0.5, rng=shared), Dropout(0.5, rng=shared)
    assert a.rng is shared and b.rng is shared
    assert np.any(a(np.ones((40, 3))) != b(np.ones((40, 3)))), "layers sharing a Generator must advance it"


def test_dropout_extremes_p_0_and_p_1(rng):
    x = rng.standard_normal((N, D))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        everything = Dropout(1.0, rng=0)
        np.testing.assert_array_equal(everything(x), np.zeros((N, D)))
        np.testing.assert_array_equal(everything.backward(x), np.zeros((N, D)))
    nothing = Dropout(0.0, rng=0)
    np.testing.assert_array_equal(nothing(x), x)
    np.testing.assert_array_equal(nothing.backward(x), x)
    assert repr(Dropout()) == "Dropout(p=0.5)"


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), "0.5", True])
def test_dropout_refuses_p_outside_0_1(p):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Dropout(p)


# ----------------------------------------------------------------------------- Residual


def test_residual_adds_the_input_and_shares_the_parameters(rng):
    inner = Dense(D, D, rng=0)
    layer = Residual(inner)
    x = rng.standard_normal((N, D))
    np.testing.assert_allclose(layer(x), x + inner(x), err_msg=f"Residual(Dense) on {_describe(x)}")
    assert layer.parameters() == [inner.W, inner.b] and repr(layer) == "Residual(Dense(3, 3))"
    dout = rng.standard_normal((N, D))
    np.testing.assert_allclose(layer.backward(dout), dout + dout @ inner.W.value.T)
    first = Residual(Dense(D, D, rng=0, input_grad=False))
    first(x)
    assert first.backward(dout) is None, "no dx when the inner layer computes none"


def test_residual_refuses_a_layer_that_changes_the_shape(rng):
    with pytest.raises(ValueError, match=r"input's shape \(5, 3\).*got \(5, 4\)"):
        Residual(Dense(D, 4, rng=0))(rng.standard_normal((N, D)))
    with pytest.raises(TypeError, match="forward and backward"):
        Residual(np.zeros(3))


# ----------------------------------------------------------------------------- dtypes and bad input


@pytest.mark.parametrize("make", [lambda: BatchNorm1d(D), lambda: Dropout(0.5, rng=0), lambda: Residual(ReLU())])
@pytest.mark.parametrize("training", [True, False])
def test_float32_stays_float32(make, training, rng):
    layer = make().train(training)
    x = rng.standard_normal((N, D)).astype(np.float32)
    out = layer(x)
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == np.float32 and dx.dtype == np.float32, f"{layer!r} (training={training}) on {_describe(x)}"


def test_batchnorm_refuses_bad_shapes(rng):
    bn = BatchNorm1d(D)
    with pytest.raises(ValueError, match=r"\(N, 3\).*\(5, 4\)"):
        bn(np.zeros((N, 4)))
    with pytest.raises(ValueError, match=r"\(N, 3\).*\(3,\)"):
        bn(np.zeros(D))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training.*\\(1, 3\\)"):
        bn(np.zeros((1, D)))
    bn(rng.standard_normal((N, D)))
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(3, 5\)"):
        bn.backward(np.zeros((D, N)))
    with pytest.raises(ValueError, match="dtype"):
        bn(np.array([["a", "b", "c"]] * 2))
    for bad in [dict(num_features=0), dict(num_features=D, eps=0), dict(num_features=D, momentum=1.5)]:
        with pytest.raises(ValueError):
            BatchNorm1d(**bad)


def test_dropout_and_residual_refuse_a_wrong_upstream_shape(rng):
    for layer in (Dropout(0.5, rng=0), Dropout(0.5).eval(), Residual(ReLU())):
        layer(rng.standard_normal((N, D)))
        with pytest.raises(ValueError, match=r"\(5, 3\).*\(3, 5\)"):
            layer.backward(np.zeros((D, N)))


@pytest.mark.parametrize("make", [lambda: BatchNorm1d(D), lambda: Dropout(), lambda: Residual(Identity())])
def test_backward_before_forward_is_a_clear_error(make):
    with pytest.raises(RuntimeError, match="before forward"):
        make().backward(np.zeros((N, D)))


# ----------------------------------------------------------------------------- modes


def _nested():
    return Sequential(Dense(D, 4, rng=0), BatchNorm1d(4), ReLU(),
                      Residual(Sequential(Dense(4, 4, rng=1), Dropout(0.5, rng=0))), Dense(4, 2, rng=2))


def _all_layers(layer):
    yield layer
    for child in getattr(layer, "layers", []):
        yield from _all_layers(child)
    if isinstance(layer, Residual):
        yield from _all_layers(layer.layer)


def test_train_and_eval_reach_every_layer_and_return_self():
    model = _nested()
    assert all(layer.training for layer in _all_layers(model))
    assert model.eval() is model
    assert not any(layer.training for layer in _all_layers(model)), "eval() must reach the layers inside Residual"
    assert model.train() is model and all(layer.training for layer in _all_layers(model))
    assert model.train(False) is model and not any(layer.training for layer in _all_layers(model))
    assert model.train(True) is model and all(layer.training for layer in _all_layers(model))
    assert Residual(Dropout()).eval().layer.training is False
    with pytest.raises(ValueError, match="bool"):
        ReLU().train("no")


class _ModeSpy(Identity):
    """Records (training, batch size) at every forward pass."""

    def __init__(self):
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, len(x)))
        return super().forward(x)


@pytest.mark.parametrize("start_in_training", [True, False])
def test_fit_trains_in_training_mode_validates_in_eval_mode_and_restores_the_mode(start_in_training, rng):
    spy = _ModeSpy()
    model = Sequential(Dense(D, 4, rng=0), spy, Dropout(0.2, rng=0), Dense(4, 2, rng=1)).train(start_in_training)
    X, y = rng.standard_normal((40, D)), rng.integers(0, 2, 40)
    fit(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=8,
        validation=(X[:6], y[:6]), rng=0, progress=False)
    assert [mode for mode, n in spy.calls if n == 8] == [True] * 10, "fit's steps must run in training mode"
    assert [mode for mode, n in spy.calls if n == 6] == [False] * 2, "fit's validation must run in evaluation mode"
    assert all(layer.training == start_in_training for layer in _all_layers(model)), "fit must restore the mode"


def test_evaluate_is_deterministic_with_dropout_and_restores_the_mode(rng):
    model = Sequential(Dense(D, 8, rng=0), Dropout(0.5, rng=0), Dense(8, 2, rng=1))
    X, y = rng.standard_normal((20, D)), rng.integers(0, 2, 20)
    first, second = evaluate(model, SoftmaxCrossEntropy(), X, y), evaluate(model, SoftmaxCrossEntropy(), X, y)
    assert first == second and model.training and model[1].training
    without_dropout = Sequential(model[0], model[2])
    assert first["loss"] == pytest.approx(evaluate(without_dropout, SoftmaxCrossEntropy(), X, y)["loss"], rel=1e-12)


def test_fit_trains_a_digits_network_with_batchnorm_and_dropout():
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, rng=0)
    X_train, X_test, _, _ = standardize(X_train, X_test)
    model = Sequential(Dense(64, 48, rng=0), BatchNorm1d(48), ReLU(), Dropout(0.2, rng=0), Dense(48, 10, rng=1))
    history = fit(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.05, momentum=0.9), X_train, y_train,
                  epochs=5, batch_size=32, validation=(X_test, y_test), rng=0, progress=False)
    assert history["val_accuracy"][-1] >= 0.93, history
    assert not np.allclose(model[1].running_mean, 0), "training must have moved the running statistics"


# ----------------------------------------------------------------------------- gradient_norms


def test_gradient_norms_name_every_parameter_in_order(rng):
    model = Sequential(Dense(D, 4, rng=0), ReLU(), Residual(Sequential(Dense(4, 4, rng=1), Tanh())), BatchNorm1d(4),
                       Dense(4, 2, rng=2))
    out = model(rng.standard_normal((N, D)))
    model.backward(rng.standard_normal(out.shape))
    norms = gradient_norms(model)
    assert list(norms) == ["0.W", "0.b", "2.layer.0.W", "2.layer.0.b", "3.gamma", "3.beta", "4.W", "4.b"]
    expected = [np.linalg.norm(p.grad) for p in model.parameters()]
    np.testing.assert_allclose(list(norms.values()), expected, rtol=1e-12)
    assert all(type(v) is float for v in norms.values())
    model.zero_grad()
    assert set(gradient_norms(model).values()) == {0.0}
    assert list(gradient_norms(Dense(D, 2))) == ["W", "b"]


def test_gradient_norms_show_vanishing_gradients_in_a_deep_sigmoid_network(rng):
    layers = []
    for i in range(6):
        layers += [Dense(8, 8, rng=i, init="xavier"), Sigmoid()]
    model = Sequential(*layers, Dense(8, 1, rng=9))
    loss = MSELoss()
    loss(model(rng.standard_normal((16, 8))), rng.standard_normal((16, 1)))
    model.backward(loss.backward())
    norms = gradient_norms(model)
    assert norms["0.W"] < norms["10.W"] / 20, f"first layer's gradient should be far smaller: {norms}"


# ----------------------------------------------------------------------------- penalties


def test_l2_penalty_value_and_gradient_follow_weight_decay(rng):
    w1, w2 = Parameter(rng.standard_normal((D, 4)), "W"), Parameter(rng.standard_normal((4, 2)), "W")
    w1.grad[...] = 1.0  # the penalty's gradient adds to what backward left
    value = l2_penalty([w1, w2], 0.1)
    assert value == pytest.approx(0.05 * (np.sum(w1.value**2) + np.sum(w2.value**2)), rel=1e-12)
    np.testing.assert_allclose(w1.grad, 1 + 0.1 * w1.value, rtol=1e-12)
    np.testing.assert_allclose(w2.grad, 0.1 * w2.value, rtol=1e-12)
    # One SGD step with weight_decay=reg is one step with l2_penalty's gradient.
    a, b = Parameter(w1.value), Parameter(w1.value)
    SGD([a], lr=0.5, weight_decay=0.1).step()
    l2_penalty([b], 0.1)
    SGD([b], lr=0.5).step()
    np.testing.assert_allclose(a.value, b.value, rtol=1e-12)


def test_l1_penalty_value_and_gradient_with_sign_of_zero_zero():
    w = Parameter(np.array([[-2.0, 0.0, 3.0], [0.5, -0.0, 1.0]]), "W")
    assert l1_penalty(w, 0.2) == pytest.approx(0.2 * 6.5)
    np.testing.assert_array_equal(w.grad, 0.2 * np.array([[-1, 0, 1], [1, 0, 1]]))


def test_penalties_keep_float32_and_refuse_bad_arguments():
    w = Parameter(np.full((D, 2), 1e4, dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(l2_penalty([w], 0.01)) and np.isfinite(l1_penalty([w], 0.01))
    assert w.grad.dtype == np.float32
    for penalty in (l1_penalty, l2_penalty):
        with pytest.raises(ValueError, match="iterable of Parameters"):
            penalty(np.ones((D, 2)), 0.1)
        with pytest.raises(ValueError, match=">= 0"):
            penalty([w], -0.1)


# ----------------------------------------------------------------------------- PyTorch


def _torch_batchnorm(torch, bn):
    ref = torch.nn.BatchNorm1d(bn.num_features, eps=bn.eps, momentum=bn.momentum, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(bn.gamma.value))
        ref.bias.copy_(torch.from_numpy(bn.beta.value))
    return ref


def _torch_step(torch, ref, bn, x, dout, what):
    """One forward and backward in both libraries, compared to 1e-10."""
    for p in bn.parameters():
        p.zero_grad()
    ref.zero_grad()
    xt = torch.from_numpy(x).requires_grad_(True)
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(dout))
    out = bn(x)
    dx = bn.backward(dout)
    pairs = {"output": (out, out_t), "dx": (dx, xt.grad), "dgamma": (bn.gamma.grad, ref.weight.grad),
             "dbeta": (bn.beta.grad, ref.bias.grad), "running_mean": (bn.running_mean, ref.running_mean),
             "running_var": (bn.running_var, ref.running_var)}
    for name, (ours, theirs) in pairs.items():
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-10,
                                   err_msg=f"{name} of {bn!r} against torch, {what}, on {_describe(x)}")


@pytest.mark.parametrize("momentum", [0.1, 0.3, None])
def test_batchnorm_matches_torch_in_both_modes(momentum, rng):
    torch = pytest.importorskip("torch")
    bn = _batchnorm(rng, momentum=momentum)
    ref = _torch_batchnorm(torch, bn)
    for step, n in enumerate([N, 7, 4, 9]):
        x = 3 * rng.standard_normal((n, D)) + rng.standard_normal(D)
        _torch_step(torch, ref, bn, x, rng.standard_normal((n, D)), f"training step {step}")
    bn.eval()
    ref.eval()
    x = rng.standard_normal((N, D))
    _torch_step(torch, ref, bn, x, rng.standard_normal((N, D)), "evaluation mode after 4 steps")


def test_batchnorm_refuses_one_sample_when_training_as_torch_does():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        torch.nn.BatchNorm1d(D)(torch.zeros(1, D))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        BatchNorm1d(D)(np.zeros((1, D)))


def test_dropout_extremes_match_torch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((N, D))
    for p in (0.0, 1.0):
        theirs = torch.nn.Dropout(p)(torch.from_numpy(x)).numpy()
        np.testing.assert_array_equal(Dropout(p, rng=0)(x), theirs, err_msg=f"Dropout({p}) on {_describe(x)}")
    np.testing.assert_array_equal(Dropout(0.5).eval()(x), torch.nn.Dropout(0.5).eval()(torch.from_numpy(x)).numpy())
