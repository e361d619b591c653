import numpy as np
import pytest

from bplib.data import load_digits, standardize, train_test_split, xor
from bplib.gradcheck import check_layer
from bplib.layers import Dense, ReLU, Tanh
from bplib.losses import BCEWithLogitsLoss, MSELoss, SoftmaxCrossEntropy
from bplib.network import Sequential, accuracy, evaluate, fit
from bplib.optim import SGD, Adam


def digits_mlp(seed=0):
    return Sequential(Dense(64, 64, rng=seed), ReLU(), Dense(64, 10, rng=seed + 1))


def test_mlp_reaches_95_percent_on_digits():
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, rng=0)
    X_train, X_test, _, _ = standardize(X_train, X_test)
    model = digits_mlp()
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9)
    history = fit(model, SoftmaxCrossEntropy(), opt, X_train, y_train, epochs=20, batch_size=32,
                  validation=(X_test, y_test), rng=0, progress=False)
    assert history["val_accuracy"][-1] >= 0.95
    assert history["loss"][-1] < history["loss"][0] / 5
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 20 for v in history.values())


def test_fit_solves_xor_with_bce():
    X, y = xor()
    model = Sequential(Dense(2, 8, rng=3, init="xavier"), Tanh(), Dense(8, 1, rng=4, init="xavier"))
    history = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.05), X, y.reshape(-1, 1).astype(float),
                  epochs=300, batch_size=4, rng=0, progress=False)
    assert history["accuracy"][-1] == 1.0
    assert accuracy(model(X), y) == 1.0


def test_fit_regression_history_has_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]])
    model = Sequential(Dense(3, 1, rng=0))
    history = fit(model, MSELoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=30, batch_size=10, progress=False)
    assert set(history) == {"loss"} and history["loss"][-1] < 1e-3


def test_sequential_gradient_check_all_dims_different(rng):
    model = Sequential(Dense(4, 6, rng=0, init="xavier"), Tanh(), Dense(6, 3, rng=1, init="xavier"))
    errors = check_layer(model, rng.standard_normal((5, 4)))
    assert max(errors.values()) < 1e-7, errors


def test_evaluate_restores_training_mode(rng):
    model = digits_mlp()
    result = evaluate(model, SoftmaxCrossEntropy(), rng.standard_normal((6, 64)), np.arange(6))
    assert model.training and set(result) == {"loss", "accuracy"}
    model.eval()
    evaluate(model, SoftmaxCrossEntropy(), rng.standard_normal((6, 64)), np.arange(6))
    assert not model.training


def test_accuracy_binary_and_multiclass():
    assert accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 0])) == 0.5
    assert accuracy(np.array([[-1.0], [2.0], [0.5]]), np.array([0, 1, 0])) == pytest.approx(2 / 3)


# ---- EarlyStopping ---------------------------------------------------------------------------

from bplib.network import EarlyStopping  # noqa: E402


def test_early_stopping_counts_epochs_without_improvement_from_the_best():
    stopper = EarlyStopping(patience=2)
    losses = [1.0, 0.8, 0.8, 0.85, 0.7, 0.75, 0.72]
    decisions = [stopper.step(v) for v in losses]
    # 0.8 ties the best (no improvement), 0.85 is worse: stop after two; 0.7 restarts the count.
    assert decisions == [False, False, False, True, False, False, True]
    assert (stopper.best_epoch, stopper.best_loss, stopper.bad_epochs) == (4, 0.7, 2)


def test_early_stopping_min_delta_and_fresh_state():
    stopper = EarlyStopping(patience=1, min_delta=0.05)
    assert (stopper.best_loss, stopper.best_epoch) == (np.inf, -1)
    assert stopper.step(1.0) is False
    assert stopper.step(0.97) is True  # lower, but by less than min_delta
    assert stopper.best_epoch == 0


@pytest.mark.parametrize("kwargs, expected", [
    ({"patience": 0}, "patience must be an int >= 1"),
    ({"patience": 2.5}, "patience must be an int >= 1"),
    ({"min_delta": -0.1}, "min_delta must be a number >= 0"),
])
def test_early_stopping_refuses_bad_settings(kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        EarlyStopping(**kwargs)
