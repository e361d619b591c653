"""Optimizers follow torch.optim's equations and defaults.

Each is compared with a plain transcription of the pseudo-code in PyTorch's documentation
(written here separately, without bplib's in-place tricks), and with torch itself when it
happens to be installed. The gradients come from a fixed non-convex function, so each step's
gradient depends on where the previous steps went.
"""
import inspect

import numpy as np
import pytest

from bplib.layers import Parameter
from bplib.optim import SGD, AdaGrad, Adam, RMSProp, clip_grad_norm

SHAPES = [(4, 3), (3,)]
STEPS = 25


def _loss_grad(w):
    """Gradient of sum(sin(w) + 0.1 w²)·scale: bounded, non-linear, different in every entry."""
    scale = np.linspace(0.5, 2.0, w.size).reshape(w.shape)
    return (np.cos(w) + 0.2 * w) * scale


def _initial():
    rng = np.random.default_rng(3)
    return [rng.standard_normal(s) for s in SHAPES]


def _run_bplib(cls, steps=STEPS, **kwargs):
    params = [Parameter(w) for w in _initial()]
    opt = cls(params, **kwargs)
    for _ in range(steps):
        opt.zero_grad()
        for p in params:
            p.grad += _loss_grad(p.value)
        opt.step()
    return [p.value for p in params]


def _reference(kind, lr=None, momentum=0.0, nesterov=False, weight_decay=0.0, alpha=0.99, eps=None, betas=(0.9, 0.999)):
    """The update rules exactly as PyTorch's docs state them."""
    out = []
    for w in _initial():
        w = w.copy()
        state = {"b": None, "s": np.zeros_like(w), "m": np.zeros_like(w), "v": np.zeros_like(w)}
        for t in range(1, STEPS + 1):
            g = _loss_grad(w)
            if weight_decay:
                g = g + weight_decay * w
            if kind == "sgd":
                if momentum:
                    state["b"] = g.copy() if state["b"] is None else momentum * state["b"] + g
                    g = g + momentum * state["b"] if nesterov else state["b"]
                w = w - lr * g
            elif kind == "adagrad":
                state["s"] = state["s"] + g * g
                w = w - lr * g / (np.sqrt(state["s"]) + eps)
            elif kind == "rmsprop":
                state["v"] = alpha * state["v"] + (1 - alpha) * g * g
                w = w - lr * g / (np.sqrt(state["v"]) + eps)
            elif kind == "adam":
                b1, b2 = betas
                state["m"] = b1 * state["m"] + (1 - b1) * g
                state["v"] = b2 * state["v"] + (1 - b2) * g * g
                m_hat = state["m"] / (1 - b1**t)
                v_hat = state["v"] / (1 - b2**t)
                w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


CASES = [
    (SGD, "sgd", dict(lr=0.1)),
    (SGD, "sgd", dict(lr=0.05, momentum=0.9)),
    (SGD, "sgd", dict(lr=0.05, momentum=0.9, nesterov=True)),
    (SGD, "sgd", dict(lr=0.05, momentum=0.5, weight_decay=0.01)),
    (SGD, "sgd", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05)),
    (AdaGrad, "adagrad", dict()),
    (AdaGrad, "adagrad", dict(lr=0.3, eps=1e-6)),
    (RMSProp, "rmsprop", dict()),
    (RMSProp, "rmsprop", dict(lr=0.003, alpha=0.9, eps=1e-6)),
    (Adam, "adam", dict()),
    (Adam, "adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
]
TORCH_CLASSES = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam"}  # in torch.optim
DEFAULTS = {"adagrad": dict(lr=0.01, eps=1e-10), "rmsprop": dict(lr=0.01, alpha=0.99, eps=1e-8),
            "adam": dict(lr=1e-3, eps=1e-8)}


@pytest.mark.parametrize("cls, kind, kwargs", CASES)
def test_matches_documented_update_rule(cls, kind, kwargs):
    ours = _run_bplib(cls, **kwargs)
    ref = _reference(kind, **{**DEFAULTS.get(kind, {}), **kwargs})
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert not np.allclose(ours[0], _initial()[0])  # it moved


@pytest.mark.parametrize("cls, kind, kwargs", CASES)
def test_matches_torch_when_available(cls, kind, kwargs):
    torch = pytest.importorskip("torch")
    torch_cls = getattr(torch.optim, TORCH_CLASSES[kind])
    tensors = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in _initial()]
    opt = torch_cls(tensors, **kwargs)
    for _ in range(STEPS):
        opt.zero_grad()
        for t in tensors:
            t.grad = torch.from_numpy(_loss_grad(t.detach().numpy()))
        opt.step()
    for ours, t in zip(_run_bplib(cls, **kwargs), tensors):
        np.testing.assert_allclose(ours, t.detach().numpy(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("cls, expected", [
    (SGD, dict(momentum=0.0, nesterov=False, weight_decay=0.0)),
    (AdaGrad, dict(lr=0.01, eps=1e-10)),
    (RMSProp, dict(lr=0.01, alpha=0.99, eps=1e-8)),
    (Adam, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
])
def test_defaults_are_torch_defaults(cls, expected):
    params = inspect.signature(cls).parameters
    assert {k: params[k].default for k in expected} == expected


def test_float32_training_stays_float32():
    for cls in (SGD, AdaGrad, RMSProp, Adam):
        p = Parameter(np.ones((3, 2), dtype=np.float32))
        opt = cls([p], lr=0.1) if cls is SGD else cls([p])
        p.grad += 0.5
        opt.step()
        assert p.value.dtype == np.float32 and p.grad.dtype == np.float32


def test_step_updates_in_place():
    p = Parameter(np.ones(3))
    value = p.value
    opt = Adam([p])
    p.grad += 1
    opt.step()
    assert p.value is value and np.all(value < 1)


def test_zero_grad_resets_in_place():
    p = Parameter(np.ones(3))
    grad = p.grad
    p.grad += 4
    SGD([p], lr=0.1).zero_grad()
    assert p.grad is grad and np.all(grad == 0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="empty"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD([Parameter(np.ones(2))], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="lr"):
        Adam([Parameter(np.ones(2))], lr=-1)


def test_clip_grad_norm():
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros(1))
    a.grad[:] = [3.0, 0.0]
    b.grad[:] = [4.0]
    total = clip_grad_norm([a, b], max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(np.sqrt(np.sum(a.grad**2) + np.sum(b.grad**2)), 1.0, rtol=1e-5)
    np.testing.assert_allclose(a.grad / b.grad[0], [0.75, 0.0])  # direction kept
    assert clip_grad_norm([a, b], max_norm=10.0) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(a.grad, [0.6, 0.0], rtol=1e-5)  # unchanged below the threshold


# ----------------------------------------------------------------------------- public state

STATE_NAMES = [
    (SGD, dict(lr=0.1), set()),
    (SGD, dict(lr=0.1, momentum=0.9), {"momentum_buffer"}),
    (AdaGrad, dict(), {"sum"}),
    (RMSProp, dict(), {"square_avg"}),
    (Adam, dict(), {"exp_avg", "exp_avg_sq"}),
]


@pytest.mark.parametrize("cls, kwargs, names", STATE_NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_state_is_public_with_torch_names(cls, kwargs, names, dtype):
    """optimizer.state[p]: a dict of arrays of p's shape and dtype, under torch.optim's names."""
    params = [Parameter(w.astype(dtype)) for w in _initial()]
    opt = cls(params, **kwargs)
    for p in params:
        p.grad += _loss_grad(p.value)
    opt.step()
    assert set(opt.state) == set(params)
    for p in params:
        assert set(opt.state[p]) == names
        for name, array in opt.state[p].items():
            assert array.shape == p.value.shape and array.dtype == dtype, f"{cls.__name__} state {name!r}"


def test_state_holds_the_running_averages():
    """After one step from zero state, each array is what its equation gives for g."""
    w = _initial()[0]
    g = _loss_grad(w)
    expected = {
        SGD: {"momentum_buffer": g},
        AdaGrad: {"sum": g**2},
        RMSProp: {"square_avg": (1 - 0.99) * g**2},
        Adam: {"exp_avg": (1 - 0.9) * g, "exp_avg_sq": (1 - 0.999) * g**2},
    }
    for cls, arrays in expected.items():
        p = Parameter(w)
        opt = cls([p], lr=0.1, momentum=0.9) if cls is SGD else cls([p])
        p.grad += g
        opt.step()
        for name, value in arrays.items():
            np.testing.assert_allclose(opt.state[p][name], value, rtol=1e-12, err_msg=f"{cls.__name__} {name!r}")


@pytest.mark.parametrize("cls, kind, kwargs", [case for case in CASES if case[0] is not SGD or case[2].get("momentum")])
def test_state_matches_torch_when_available(cls, kind, kwargs):
    torch = pytest.importorskip("torch")
    torch_cls = getattr(torch.optim, TORCH_CLASSES[kind])
    params = [Parameter(w) for w in _initial()]
    tensors = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in _initial()]
    ours, theirs = cls(params, **kwargs), torch_cls(tensors, **kwargs)
    for _ in range(STEPS):
        ours.zero_grad()
        theirs.zero_grad()
        for p, t in zip(params, tensors):
            p.grad += _loss_grad(p.value)
            t.grad = torch.from_numpy(_loss_grad(t.detach().numpy()))
        ours.step()
        theirs.step()
    for p, t in zip(params, tensors):
        torch_state = {name: value for name, value in theirs.state[t].items() if name != "step"}
        assert set(ours.state[p]) == set(torch_state)
        for name, value in torch_state.items():
            np.testing.assert_allclose(ours.state[p][name], value.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


FORGETFUL_CASES = [(SGD, dict(lr=0.05, momentum=0.9)), (AdaGrad, dict()), (RMSProp, dict()), (Adam, dict())]


@pytest.mark.parametrize("cls, kwargs", FORGETFUL_CASES)
def test_grading_forgetful_variant_really_forgets(cls, kwargs):
    """The grader's "optimizer_state_lost" variant zeroes optimizer.state before each step. It must
    reach the real arrays: equal to the reference after one step (from zero state either way),
    different after two. A renamed or moved state would make it a silent copy of the reference."""
    from bplib.grading.exercises.optimizers import _forgetful

    def run(optimizer_cls, steps):
        return _run_bplib(optimizer_cls, steps, **kwargs)

    for ref, forgetful in zip(run(cls, 1), run(_forgetful(cls), 1)):
        np.testing.assert_array_equal(forgetful, ref)
    for ref, forgetful in zip(run(cls, 2), run(_forgetful(cls), 2)):
        assert not np.allclose(forgetful, ref, rtol=1e-6, atol=0), f"_forgetful({cls.__name__}) after 2 steps"


def test_refuses_the_same_parameter_twice():
    p = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="twice"):
        SGD([p, p], lr=0.1)
