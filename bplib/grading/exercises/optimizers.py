"""Exercises of 09-optimizers: each optimizer class, graded against bplib.optim, whose
equations and defaults are those of torch.optim."""
from __future__ import annotations

import numpy as np

from ...optim import SGD, AdaGrad, Adam, RMSProp
from ..stateful import OptimizerExercise


class _Plain:
    """Known wrong optimizers, written plainly: a student whose numbers match one gets its hint.

    OptimizerExercise passes every hyperparameter, the reference's defaults included, so these
    read them from ``self.kw`` and hold no defaults of their own.
    """

    def __init__(self, params, **kwargs):
        self.params, self.kw, self.t = list(params), kwargs, 0
        self.lr = kwargs["lr"]  # the check changes it partway, as a schedule would
        self.state = [dict(m=np.zeros_like(p.value), v=np.zeros_like(p.value), b=None) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad[...] = 0


class _PlainSGD(_Plain):
    sign, lookahead = 1.0, True

    def step(self):
        mu, lr = self.kw["momentum"], self.lr
        for p, s in zip(self.params, self.state):
            g = p.grad.copy()
            if mu:
                s["b"] = g if s["b"] is None else mu * s["b"] + g
                g = g + mu * s["b"] if self.kw["nesterov"] and self.lookahead else s["b"]
            p.value -= self.sign * lr * g


class _LrInsideVelocity(_PlainSGD):
    """b = μb + lr·g, then w -= b (w -= lr·g + μb with Nesterov): torch.optim.SGD's numbers
    only while lr stays the same; after a change the old steps keep the old lr."""

    def step(self):
        mu, lr = self.kw["momentum"], self.lr
        for p, s in zip(self.params, self.state):
            g = lr * p.grad
            if mu:
                s["b"] = g if s["b"] is None else mu * s["b"] + g
                g = g + mu * s["b"] if self.kw["nesterov"] else s["b"]
            p.value -= g


class _SGDAscent(_PlainSGD):
    sign = -1.0


class _NesterovAsPlainMomentum(_PlainSGD):
    lookahead = False


class _EpsInsideSqrt(_Plain):
    def step(self):
        self.t += 1
        for p, s in zip(self.params, self.state):
            g = p.grad
            kind = self.kind
            if kind == "adagrad":
                s["v"] = s["v"] + g * g
                p.value -= self.lr * g / np.sqrt(s["v"] + self.kw["eps"])
            elif kind == "rmsprop":
                a = self.kw["alpha"]
                s["v"] = a * s["v"] + (1 - a) * g * g
                p.value -= self.lr * g / np.sqrt(s["v"] + self.kw["eps"])
            else:
                b1, b2 = self.kw["betas"]
                s["m"] = b1 * s["m"] + (1 - b1) * g
                s["v"] = b2 * s["v"] + (1 - b2) * g * g
                m_hat, v_hat = s["m"] / (1 - b1**self.t), s["v"] / (1 - b2**self.t)
                p.value -= self.lr * m_hat / np.sqrt(v_hat + self.kw["eps"])


def _eps_inside(kind):
    return type(f"_EpsInside_{kind}", (_EpsInsideSqrt,), {"kind": kind})


class _AdamNoBiasCorrection(_Plain):
    def step(self):
        b1, b2 = self.kw["betas"]
        for p, s in zip(self.params, self.state):
            g = p.grad
            s["m"] = b1 * s["m"] + (1 - b1) * g
            s["v"] = b2 * s["v"] + (1 - b2) * g * g
            p.value -= self.lr * s["m"] / (np.sqrt(s["v"]) + self.kw["eps"])


class _AdamCorrectionInPlace(_Plain):
    """m and v divided by their bias corrections *and stored*: the next step corrects them again."""

    def step(self):
        self.t += 1
        b1, b2 = self.kw["betas"]
        for p, s in zip(self.params, self.state):
            s["m"] = (b1 * s["m"] + (1 - b1) * p.grad) / (1 - b1**self.t)
            s["v"] = (b2 * s["v"] + (1 - b2) * p.grad**2) / (1 - b2**self.t)
            p.value -= self.lr * s["m"] / (np.sqrt(s["v"]) + self.kw["eps"])


class _AdamStepPerParameter(_Plain):
    """t counted once per parameter instead of once per step."""

    def step(self):
        b1, b2 = self.kw["betas"]
        for p, s in zip(self.params, self.state):
            self.t += 1
            s["m"] = b1 * s["m"] + (1 - b1) * p.grad
            s["v"] = b2 * s["v"] + (1 - b2) * p.grad**2
            m_hat, v_hat = s["m"] / (1 - b1**self.t), s["v"] / (1 - b2**self.t)
            p.value -= self.lr * m_hat / (np.sqrt(v_hat) + self.kw["eps"])


class _SGDDampened(_PlainSGD):
    """b = μb + (1 − μ)g: an exponential average, as in Adam's m; torch.optim.SGD adds g whole."""

    def step(self):
        mu = self.kw["momentum"]
        for p, s in zip(self.params, self.state):
            g = p.grad.copy()
            if mu:
                s["b"] = (1 - mu) * g if s["b"] is None else mu * s["b"] + (1 - mu) * g
                g = g + mu * s["b"] if self.kw["nesterov"] else s["b"]
            p.value -= self.lr * g


class _Adaptive(_Plain):
    """AdaGrad, RMSProp or Adam (``kind``) with one usual slip switched on (class attributes)."""

    kind, root, alpha_swapped, corrected = "adam", True, False, "mv"

    def step(self):
        self.t += 1
        for p, s in zip(self.params, self.state):
            g = p.grad
            if self.kind == "adagrad":
                s["v"] = s["v"] + g * g
                m, v, eps = g, s["v"], self.kw["eps"]
            elif self.kind == "rmsprop":
                a = self.kw["alpha"]
                a = 1 - a if self.alpha_swapped else a
                s["v"] = a * s["v"] + (1 - a) * g * g
                m, v, eps = g, s["v"], self.kw["eps"]
            else:
                b1, b2 = self.kw["betas"]
                s["m"] = b1 * s["m"] + (1 - b1) * g
                s["v"] = b2 * s["v"] + (1 - b2) * g * g
                c1, c2 = ((1 - b2**self.t, 1 - b1**self.t) if self.corrected == "swapped"
                          else (1 - b1**self.t, 1 - b2**self.t))
                m = s["m"] / c1 if "m" in self.corrected or self.corrected == "swapped" else s["m"]
                v = s["v"] / c2 if "v" in self.corrected or self.corrected == "swapped" else s["v"]
                eps = self.kw["eps"]
            p.value -= self.lr * m / ((np.sqrt(v) if self.root else v) + eps)


def _adaptive(kind: str, **slip) -> type:
    return type(f"_Adaptive_{kind}", (_Adaptive,), {"kind": kind, **slip})


def _forgetful(cls: type) -> type:
    """cls with every array of its public ``state`` zeroed before each step: a student who
    rebinds a loop variable instead of updating the stored buffer gets exactly these numbers."""

    class Forgetful(cls):
        def step(self):
            for arrays in self.state.values():
                for array in arrays.values():
                    array.fill(0)
            super().step()

    return Forgetful


EXERCISES = [
    OptimizerExercise(
        "SGD", SGD,
        lambda hidden: [dict(lr=0.1, momentum=0.5, nesterov=True), dict(lr=0.02, momentum=0.99)] if hidden
        else [dict(lr=0.05), dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, nesterov=True)],
        variants={"nesterov_lookahead": _NesterovAsPlainMomentum, "ascent": _SGDAscent,
                  "optimizer_state_lost": _forgetful(SGD), "lr_inside_velocity": _LrInsideVelocity,
                  "sgd_dampened_momentum": _SGDDampened},
    ),
    # Each visible set includes a large eps, where eps inside or outside the root differ clearly.
    OptimizerExercise("AdaGrad", AdaGrad, lambda hidden: [dict(lr=0.1, eps=1e-6)] if hidden
                      else [dict(), dict(lr=0.3, eps=1e-2)],
                      variants={"eps_inside_sqrt": _eps_inside("adagrad"), "optimizer_state_lost": _forgetful(AdaGrad),
                                "adaptive_without_root": _adaptive("adagrad", root=False)}),
    OptimizerExercise("RMSProp", RMSProp, lambda hidden: [dict(lr=0.01, alpha=0.95, eps=1e-6)] if hidden
                      else [dict(), dict(lr=0.003, alpha=0.9, eps=1e-2)],
                      variants={"eps_inside_sqrt": _eps_inside("rmsprop"), "optimizer_state_lost": _forgetful(RMSProp),
                                "adaptive_without_root": _adaptive("rmsprop", root=False),
                                "rmsprop_alpha_swapped": _adaptive("rmsprop", alpha_swapped=True)}),
    OptimizerExercise("Adam", Adam, lambda hidden: [dict(lr=0.02, betas=(0.8, 0.99), eps=1e-2)] if hidden
                      else [dict(), dict(lr=0.05, eps=1e-2)],
                      variants={"adam_no_bias_correction": _AdamNoBiasCorrection,
                                "eps_inside_sqrt": _eps_inside("adam"),
                                "adam_correction_stored": _AdamCorrectionInPlace,
                                "adam_step_per_parameter": _AdamStepPerParameter,
                                "optimizer_state_lost": _forgetful(Adam),
                                "adaptive_without_root": _adaptive("adam", root=False),
                                "adam_corrections_swapped": _adaptive("adam", corrected="swapped"),
                                "adam_only_m_corrected": _adaptive("adam", corrected="m"),
                                "adam_only_v_corrected": _adaptive("adam", corrected="v")}),
]
