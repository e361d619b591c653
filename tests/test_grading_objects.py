"""bplib.grading on exercises about objects: layers, Sequential, optimizers, batch generators,
and a trained model. Correct student code passes; each classic mistake gets its own hint."""
import numpy as np
import pytest

from bplib import grading
from bplib.grading import CheckFailed
from bplib.layers import Layer, Parameter


def passes(name, obj):
    grading.check(name, obj)
    grading.check(name, obj, hidden=True)
    return True


def failure(name, obj):
    with pytest.raises(CheckFailed) as info:
        grading.check(name, obj)
    return info.value.text


# ---- layers (06) -------------------------------------------------------------------------------

class Dense(Layer):
    def __init__(self, in_features, out_features, rng=None):
        rng = np.random.default_rng(rng)
        self.W = Parameter(rng.standard_normal((in_features, out_features)), name="W")
        self.b = Parameter(np.zeros(out_features), name="b")

    def forward(self, x):
        self.x = x
        return x @ self.W.value + self.b.value

    def backward(self, dout):
        self.W.grad += self.x.T @ dout
        self.b.grad += dout.sum(axis=0)
        return dout @ self.W.value.T

    def parameters(self):
        return [self.W, self.b]


class DenseAssigns(Dense):
    def backward(self, dout):
        self.W.grad = self.x.T @ dout
        self.b.grad = dout.sum(axis=0)
        return dout @ self.W.value.T


class DenseBiasNotSummed(Dense):
    def backward(self, dout):
        self.W.grad += self.x.T @ dout
        self.b.grad = self.b.grad + dout
        return dout @ self.W.value.T


class Sigmoid(Layer):
    def forward(self, x):
        e = np.exp(-np.abs(x))
        self.out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SigmoidOfOutput(Sigmoid):
    def backward(self, dout):
        s = 1 / (1 + np.exp(-self.out))
        return dout * s * (1 - s)


class Sequential(Layer):
    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


class DenseBiasSummedOverEverything(Dense):
    def backward(self, dout):
        self.W.grad += self.x.T @ dout
        self.b.grad += dout.sum()
        return dout @ self.W.value.T


class NaiveSigmoid(Sigmoid):
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out


class ReLUWithoutMask(Layer):
    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout


class ReLUMaskAtZero(Layer):
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout * (self.x >= 0)  # slope 1 at exactly 0: PyTorch and the course take 0


@pytest.fixture(autouse=True)
def session():
    grading.start("06-backprop-in-a-network")
    grading._SESSION.tampered.clear()


def test_correct_layers_pass_with_handed_out_base_classes():
    assert passes("Dense", Dense) and passes("Sigmoid", Sigmoid) and passes("Sequential", Sequential)


@pytest.mark.parametrize("name, cls, expected", [
    ("Dense", DenseAssigns, "replaced the gradient"),
    ("Dense", DenseBiasNotSummed, "keeps the batch axis"),
    ("Sigmoid", SigmoidOfOutput, "activation a = f(z)"),
    ("Dense", DenseBiasSummedOverEverything, "sum of the whole upstream gradient"),
    ("Sigmoid", NaiveSigmoid, "1 / (1 + np.exp(-x))"),
    ("ReLU", ReLUWithoutMask, "passes through unchanged"),
    ("ReLU", ReLUMaskAtZero, "Use x > 0, not x >= 0"),
])
def test_layer_mistakes_are_named(name, cls, expected):
    assert expected in failure(name, cls)


def test_layer_without_parameters_attribute_is_explained():
    class NoParams(Layer):
        def __init__(self, in_features, out_features, rng=None):
            self.weights = np.zeros((in_features, out_features))
    assert "no attribute `W`" in failure("Dense", NoParams)


def test_an_object_the_check_cannot_drive_gets_a_message_not_a_traceback():
    class ListWeights(Dense):
        def __init__(self, in_features, out_features, rng=None):
            super().__init__(in_features, out_features, rng)
            self.W.value = self.W.value.tolist()  # not an array: the check cannot load weights
    assert "could not drive Dense" in failure("Dense", ListWeights)


def test_subclassing_the_reference_layer_is_refused():
    from bplib.layers import Dense as ReferenceDense

    class Mine(ReferenceDense):
        pass
    assert "reference implementation" in failure("Dense", Mine)


# ---- optimizers (09) ---------------------------------------------------------------------------

class Optimizer:
    def __init__(self, params):
        self.params = list(params)

    def zero_grad(self):
        for p in self.params:
            p.grad[...] = 0


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params)
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0
        self.m = [np.zeros_like(p.value) for p in self.params]
        self.v = [np.zeros_like(p.value) for p in self.params]

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            m[...] = b1 * m + (1 - b1) * p.grad
            v[...] = b2 * v + (1 - b2) * p.grad**2
            p.value -= self.lr * self.scale() * m / (np.sqrt(v) / np.sqrt(1 - b2**self.t) + self.eps)

    def scale(self):
        return 1 / (1 - self.betas[0] ** self.t)


class AdamNoBiasCorrection(Adam):
    def step(self):
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            m[...] = b1 * m + (1 - b1) * p.grad
            v[...] = b2 * v + (1 - b2) * p.grad**2
            p.value -= self.lr * m / (np.sqrt(v) + self.eps)


class AdamWrongDefault(Adam):
    def __init__(self, params, lr=0.01, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, lr, betas, eps)


class AdamNoZeroGrad(Adam):
    def zero_grad(self):
        pass


class SGD(Optimizer):
    def __init__(self, params, lr, momentum=0.0, nesterov=False):
        super().__init__(params)
        self.lr, self.momentum, self.nesterov = lr, momentum, nesterov
        self.b = [np.zeros_like(p.value) for p in self.params]

    def step(self):
        for p, b in zip(self.params, self.b):
            g = p.grad
            if self.momentum:
                b[...] = self.momentum * b + g
                g = g + self.momentum * b if self.nesterov else b
            p.value -= self.lr * g


class SGDLrInsideVelocity(SGD):
    """The same numbers as torch.optim.SGD while lr stays put."""

    def step(self):
        for p, b in zip(self.params, self.b):
            g = self.lr * p.grad
            if self.momentum:
                b[...] = self.momentum * b + g
                g = g + self.momentum * b if self.nesterov else b
            p.value -= g


def test_sgd_with_lr_inside_the_velocity_fails_once_lr_changes():
    grading.start("09-optimizers")
    assert passes("SGD", SGD)
    assert "lr folded into it" in failure("SGD", SGDLrInsideVelocity)
    with pytest.raises(CheckFailed):
        grading.check("SGD", SGDLrInsideVelocity, hidden=True)


def test_optimizers():
    grading.start("09-optimizers")
    assert passes("Adam", Adam)
    assert "without bias correction" in failure("Adam", AdamNoBiasCorrection)
    assert "default for `lr`" in failure("Adam", AdamWrongDefault)
    assert "previous step was still there" in failure("Adam", AdamNoZeroGrad)


# ---- mini-batches (04) and a trained model (08) ------------------------------------------------

def minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def minibatches_shuffled_inside_blocks(X, y, batch_size, rng):
    for start in range(0, len(X), batch_size):
        idx = start + rng.permutation(min(batch_size, len(X) - start))
        yield X[idx], y[idx]


def test_minibatches_shuffled_only_inside_fixed_blocks_fail():
    grading.start("04-gradient-descent")
    assert "only the order inside fixed blocks" in failure("minibatches", minibatches_shuffled_inside_blocks)


def test_minibatches():
    grading.start("04-gradient-descent")
    assert passes("minibatches", minibatches)

    def in_order(X, y, batch_size, rng):
        for start in range(0, len(X), batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]

    def drops_last(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        for start in range(0, len(X) - batch_size + 1, batch_size):
            yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]

    def misaligned(X, y, batch_size, rng):
        a, b = rng.permutation(len(X)), rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            yield X[a[start:start + batch_size]], y[b[start:start + batch_size]]

    def own_rng(X, y, batch_size, rng):
        return minibatches(X, y, batch_size, np.random.default_rng())

    assert "original order" in failure("minibatches", in_order)
    assert "every sample exactly once" in failure("minibatches", drops_last)
    assert "no longer match" in failure("minibatches", misaligned)
    assert "rng argument" in failure("minibatches", own_rng)


def test_trained_model_goal():
    grading.start("08-training-on-real-data")
    assert "at least 95%" in failure("predict_digits", lambda X: np.zeros(len(X), dtype=int))
    stored = {}

    def memorised(X):  # ignores its input: fails once the check shuffles the digits
        stored.setdefault("y", grading.EXERCISES["predict_digits"].held_out()[1])
        return stored["y"]
    for hidden in (False, True):  # the visible part shuffles the digits too
        with pytest.raises(CheckFailed, match="depends on the other samples in X, or ignores X"):
            grading.check("predict_digits", memorised, hidden=hidden)


def test_model_standardising_with_its_own_statistics_is_caught():
    from bplib.data import load_digits, standardize, train_test_split
    from bplib.layers import Dense as D
    from bplib.layers import ReLU
    from bplib.losses import SoftmaxCrossEntropy
    from bplib.network import Sequential as S
    from bplib.network import fit
    from bplib.optim import SGD

    grading.start("08-training-on-real-data")
    X, y = load_digits()
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25, rng=0)
    X_train_s, mean, std = standardize(X_train)
    model = S(D(64, 64, rng=0), ReLU(), D(64, 10, rng=1))
    fit(model, SoftmaxCrossEntropy(), SGD(model.parameters(), lr=0.05, momentum=0.9), X_train_s, y_train,
        epochs=15, rng=0, progress=False)
    right = lambda X: model((X - mean) / std).argmax(axis=1)  # noqa: E731
    own_statistics = lambda X: model((X - X.mean(0)) / (X.std(0) + 1e-8)).argmax(axis=1)  # noqa: E731
    assert passes("predict_digits", right)
    assert "returned scores of shape (450, 10)" in failure("predict_digits", lambda X: model((X - mean) / std))
    # The full held-out set hides the mistake; the other selections, in both parts, do not.
    for hidden in (False, True):
        with pytest.raises(CheckFailed, match="mean and std saved from"):
            grading.check("predict_digits", own_statistics, hidden=hidden)


class DenseMutatesItsCache(Dense):
    def backward(self, dout):
        dx = super().backward(dout)
        self.x *= 2  # the next backward pass reads a changed cache
        return dx


def test_a_mutated_cache_is_not_called_assignment():
    text = failure("Dense", DenseMutatesItsCache)
    assert "added a different gradient" in text and "replaced the gradient" not in text


class DenseWithoutBiasGradient(Dense):
    def backward(self, dout):
        self.W.grad += self.x.T @ dout
        return dout @ self.W.value.T


class AdamCorrectionStored(Adam):
    def step(self):
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            m[...] = (b1 * m + (1 - b1) * p.grad) / (1 - b1**self.t)
            v[...] = (b2 * v + (1 - b2) * p.grad**2) / (1 - b2**self.t)
            p.value -= self.lr * m / (np.sqrt(v) + self.eps)


class AdamStepPerParameter(Adam):
    def step(self):
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            self.t += 1
            m[...] = b1 * m + (1 - b1) * p.grad
            v[...] = b2 * v + (1 - b2) * p.grad**2
            p.value -= self.lr * (m / (1 - b1**self.t)) / (np.sqrt(v / (1 - b2**self.t)) + self.eps)


def test_forgotten_bias_gradient_and_adam_bookkeeping_are_named():
    assert "never added the bias gradient" in failure("Dense", DenseWithoutBiasGradient)
    grading.start("09-optimizers")
    assert "stored back into m and v" in failure("Adam", AdamCorrectionStored)
    assert "once per parameter" in failure("Adam", AdamStepPerParameter)


class DenseWithoutTranspose(Dense):
    def backward(self, dout):
        super().backward(dout)
        return dout @ self.W.value  # W, not W.T


class SequentialForwardOrder(Sequential):
    def backward(self, dout):
        for layer in self.layers:  # forward order
            dout = layer.backward(dout)
        return dout


def test_shape_errors_name_the_product_or_the_order():
    assert "inner dimensions differ" in failure("Dense", DenseWithoutTranspose)
    assert "reversed(self.layers)" in failure("Sequential", SequentialForwardOrder)


class SGDSharedVelocity(SGD):
    def __init__(self, params, lr, momentum=0.0, nesterov=False):
        super().__init__(params, lr, momentum, nesterov)
        self.v = np.zeros_like(self.params[0].value)  # one buffer for parameters of different shapes

    def step(self):
        for p in self.params:
            self.v = self.momentum * self.v + p.grad
            p.value -= self.lr * self.v


def test_one_state_buffer_shared_by_all_parameters_is_named():
    grading.start("09-optimizers")
    assert "one per parameter" in failure("SGD", SGDSharedVelocity)


# ---- the diagnosis table for exercises on objects: each wrong answer and its hint key ----------
# (function exercises: DIAGNOSES in tests/test_grading.py; notebooks 10-11: tests/test_grading_deep.py)

def _keys(notebook, name, student, hidden=False):
    from bplib.grading.report import Report

    grading.start(notebook)
    report = Report(name)
    grading.EXERCISES[name].run(student, report, grading._rng(name, hidden), hidden)
    return [key for key, _ in report.problems]


def minibatches_fixed_blocks_in_shuffled_order(X, y, batch_size, rng):
    """The same samples always share a batch: only the order of the full blocks changes (the
    short one stays last, as the right answer's does)."""
    full = len(X) // batch_size
    for k in list(rng.permutation(full)) + ([full] if len(X) % batch_size else []):
        idx = np.arange(k * batch_size, min((k + 1) * batch_size, len(X)))
        yield X[idx], y[idx]


class DenseWithoutBias(Dense):
    def forward(self, x):
        self.x = x
        return x @ self.W.value


class DenseThatSteps(Dense):
    def backward(self, dout):
        dx = super().backward(dout)
        self.W.value -= 0.1 * self.W.grad  # the optimizer's job
        return dx


class ReLUWithoutUpstream(ReLUMaskAtZero):
    def backward(self, dout):
        return (self.x > 0).astype(float)  # the local slope alone


OBJECT_DIAGNOSES = [
    ("06-backprop-in-a-network", "ReLU", ReLUMaskAtZero, "relu_grad_at_zero"),
    ("06-backprop-in-a-network", "Dense", DenseAssigns, "assign_instead_of_add"),
    ("06-backprop-in-a-network", "Dense", DenseMutatesItsCache, "second_backward_differs"),
    ("06-backprop-in-a-network", "Dense", DenseWithoutBiasGradient, "bias_grad_missing"),
    ("06-backprop-in-a-network", "Dense", DenseWithoutTranspose, "matmul_shapes"),
    ("06-backprop-in-a-network", "Sequential", SequentialForwardOrder, "dout_shape_in_backward"),
    ("09-optimizers", "SGD", SGDLrInsideVelocity, "lr_inside_velocity"),
    ("09-optimizers", "SGD", SGDSharedVelocity, "inplace_shape_mismatch"),
    ("09-optimizers", "Adam", AdamCorrectionStored, "adam_correction_stored"),
    ("09-optimizers", "Adam", AdamStepPerParameter, "adam_step_per_parameter"),
    ("09-optimizers", "Adam", AdamNoBiasCorrection, "adam_no_bias_correction"),
    ("04-gradient-descent", "minibatches", minibatches_shuffled_inside_blocks, "batches_fixed_blocks"),
    # found by the audit of 01-09
    ("04-gradient-descent", "minibatches", minibatches_fixed_blocks_in_shuffled_order, "batches_fixed_blocks"),
    ("06-backprop-in-a-network", "Dense", DenseWithoutBias, "bias_missing_in_forward"),
    ("06-backprop-in-a-network", "Dense", DenseThatSteps, "backward_changes_weights"),
    ("06-backprop-in-a-network", "ReLU", ReLUWithoutUpstream, "forgot_upstream"),
]



@pytest.mark.parametrize("notebook, name, student, key", OBJECT_DIAGNOSES,
                         ids=[f"{n}-{k}" for _, n, _, k in OBJECT_DIAGNOSES])
def test_each_object_mistake_gets_its_hint_in_both_parts(notebook, name, student, key):
    assert _keys(notebook, name, student)[:1] == [key]
    assert _keys(notebook, name, student, hidden=True), f"{name}: {key!r} passes the hidden part"


class SGDDampened(SGD):
    """b = μb + (1 − μ)g."""

    def step(self):
        for p, b in zip(self.params, self.b):
            g = p.grad
            if self.momentum:
                b[...] = self.momentum * b + (1 - self.momentum) * g
                g = g + self.momentum * b if self.nesterov else b
            p.value -= self.lr * g


class AdamCorrectionsSwapped(Adam):
    def step(self):
        self.t += 1
        b1, b2 = self.betas
        for p, m, v in zip(self.params, self.m, self.v):
            m[...] = b1 * m + (1 - b1) * p.grad
            v[...] = b2 * v + (1 - b2) * p.grad**2
            p.value -= self.lr * (m / (1 - b2**self.t)) / (np.sqrt(v / (1 - b1**self.t)) + self.eps)


@pytest.mark.parametrize("student, key", [(SGDDampened, "sgd_dampened_momentum"),
                                          (AdamCorrectionsSwapped, "adam_corrections_swapped")],
                         ids=["sgd_dampened_momentum", "adam_corrections_swapped"])
def test_optimizer_slips_found_by_the_audit_are_named(student, key):
    name = student.__mro__[1].__name__
    assert _keys("09-optimizers", name, student)[:1] == [key]
    assert _keys("09-optimizers", name, student, hidden=True)


@pytest.mark.parametrize("name", ["SGD", "AdaGrad", "RMSProp", "Adam"])
def test_every_wrong_optimizer_runs_and_differs_from_the_reference(name):
    """A wrong optimizer that raised (a missing hyperparameter) would be skipped silently, and its
    mistake never named: each must run on every configuration, and differ from the reference on one
    at least (eps inside the root, for one, only shows with a large eps)."""
    from bplib.grading.stateful import _defaults

    exercise = grading.EXERCISES[name]
    start = [np.linspace(-1, 1, 12).reshape(4, 3), np.linspace(0.5, -0.5, 3)]
    configs = exercise.configs(False) + exercise.configs(True)
    for key, wrong in exercise.variants.items():
        differs = False
        for kwargs in configs:
            expected = exercise._trajectory(exercise.reference, start, kwargs)
            got = exercise._trajectory(wrong, start, {**_defaults(exercise.reference), **kwargs})
            differs |= any(not np.allclose(g, e, rtol=1e-6, atol=1e-9) for g, e in zip(got, expected))
        assert differs, f"{name}: the variant {key} gives the reference's numbers on every configuration"
