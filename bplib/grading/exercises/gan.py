"""Exercises of 14-gan: the two players' losses, the generator's gradient through D, one step.

The discriminator loss is checked on real and fake batches of different sizes (a mean over
both together shows) and on logits as large as ±1e4 (log σ overflows). The generator's
gradient and the training step drive two small bplib networks that the check builds and
hands to the student's code; the results are the networks' gradients and weights, compared
with those that each usual mistake would leave. One generator outputs 1-D samples, where
feeding D's logit gradient straight into the generator raises no shape error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ... import _checks, activations, gan, init, optim
from ...activations import sigmoid
from ...layers import Dense, Layer, Parameter, Tanh
from ...network import Sequential
from ..compare import compare
from ..exercise import Case, Exercise, FunctionExercise
from ..report import Report
from ..stateful import _call

# The student's code runs the networks and optimizers that the check hands it.
_PLAYERS = (Layer, Parameter, _checks, Dense, Tanh, Sequential, activations, init, optim)


def _softplus(s):
    return np.logaddexp(0, s)


# ---------------------------------------------------------------- the losses


def _d_loss_cases(rng, hidden):
    sizes = [(5, 3), (2, 6)] if hidden else [(4, 7), (6, 3)]
    cases = [Case(f"{m} real and {k} fake random logits",
                  (rng.standard_normal((m, 1)) * 2, rng.standard_normal((k, 1)) * 2))
             for m, k in sizes]
    big_real, big_fake = np.array([[1e4], [-1e4], [3.0]]), np.array([[-1e4], [1e4]])
    cases.append(Case("logits as large as ±1e4 (3 real, 2 fake)", (big_real, big_fake)))
    return cases


def _d_loss(r, f, swapped=False, together=False, summed=False):
    if swapped:
        r, f = -r, -f  # real labelled 0 and fake 1: the same formulas with the signs of the logits swapped
    M, K = len(r), len(f)
    loss_r, loss_f = _softplus(-r), _softplus(f)
    d_r, d_f = sigmoid(r) - 1, sigmoid(f)
    if swapped:
        d_r, d_f = -d_r, -d_f
    if summed:
        return float(loss_r.sum() + loss_f.sum()), d_r, d_f
    if together:
        return float((loss_r.sum() + loss_f.sum()) / (M + K)), d_r / (M + K), d_f / (M + K)
    return float(loss_r.mean() + loss_f.mean()), d_r / M, d_f / K


_D_LOSS_VARIANTS = {
    "gan_d_labels_swapped": lambda r, f: _d_loss(r, f, swapped=True),
    "gan_d_mean_over_both": lambda r, f: _d_loss(r, f, together=True),
    "gan_d_sum_not_mean": lambda r, f: _d_loss(r, f, summed=True),
    "gan_d_halved": lambda r, f: tuple(0.5 * np.asarray(v) for v in _d_loss(r, f)),
}


def _g_loss_cases(rng, hidden):
    sizes = [5, 1] if hidden else [6, 2]
    cases = [Case(f"{k} random fake logits", (rng.standard_normal((k, 1)) * 2,), batch=k) for k in sizes]
    cases.append(Case("fake logits as large as ±1e4", (np.array([[1e4], [-1e4], [-3.0]]),), batch=3))
    return cases


_G_LOSS_VARIANTS = {
    "gan_g_saturating_loss": lambda f: (float(-_softplus(f).mean()), -sigmoid(f) / len(f)),
    "gan_g_fake_label": lambda f: (float(_softplus(f).mean()), sigmoid(f) / len(f)),
}

# ---------------------------------------------------------------- the two players


def _players(seed: int, z_dim: int, x_dim: int, hidden: bool):
    hg, hd = (4, 6) if hidden else (5, 3)
    generator = Sequential(Dense(z_dim, hg, rng=seed), Tanh(), Dense(hg, x_dim, rng=seed + 1))
    discriminator = Sequential(Dense(x_dim, hd, rng=seed + 2), Tanh(), Dense(hd, 1, rng=seed + 3))
    return generator, discriminator


def _flat(params) -> np.ndarray:
    return np.concatenate([np.ravel(p) for p in params])


def _generator_grads(generator, discriminator, z, upstream: Callable, through_d=True) -> tuple[float, np.ndarray]:
    """(loss, G's gradients flattened) when the generator's upstream gradient is upstream(logits)."""
    logits = discriminator.forward(generator.forward(z))
    loss, d_logits = upstream(logits)
    generator.backward(discriminator.backward(d_logits) if through_d else d_logits)
    return loss, _flat(p.grad for p in generator.parameters())


_G_UPSTREAM = {
    "gan_g_saturating_loss": _G_LOSS_VARIANTS["gan_g_saturating_loss"],
    "gan_g_discriminator_gradient": _G_LOSS_VARIANTS["gan_g_fake_label"],
}


@dataclass
class GeneratorBackwardExercise(Exercise):
    """generator_backward(generator, discriminator, z) -> loss: G's gradients through D."""

    name: str
    reference: Callable
    allowed: tuple = _PLAYERS
    depends_on: tuple = ("generator_loss",)
    serve_reference: bool = False  # it drives networks: the notebook's cells get the student's own

    def run(self, fn: Callable, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        for k, z_dim, x_dim in ((5, 3, 1), (6, 2, 2)) if hidden else ((6, 3, 1), (4, 2, 2)):
            report.cases += 1
            seed = int(rng.integers(1000))
            z = rng.standard_normal((k, z_dim))
            case = f"a generator {z_dim} -> {x_dim} and a discriminator {x_dim} -> 1, on z of shape {(k, z_dim)}"
            generator, discriminator = _players(seed, z_dim, x_dim, hidden)
            ok, loss = _call(report, fn, case, generator, discriminator, z, allowed=self.allowed, copy=False)
            if not ok:
                return
            right = _players(seed, z_dim, x_dim, hidden)
            expected_loss = self.reference(*right, z)
            expected = _flat(p.grad for p in right[0].parameters())
            wrong = {key: _generator_grads(*_players(seed, z_dim, x_dim, hidden), z, upstream)
                     for key, upstream in _G_UPSTREAM.items()}
            if x_dim == 1:  # D's logit gradient has the shape of a 1-D sample: a missing D.backward raises nothing
                wrong["gan_g_not_through_d"] = _generator_grads(*_players(seed, z_dim, x_dim, hidden), z,
                                                                gan.generator_loss, through_d=False)
            got = _flat(p.grad for p in generator.parameters())
            if not compare(report, got, expected, f"{case} (the generator's gradients)", batch=k,
                           variants={key: v[1] for key, v in wrong.items()}):
                return
            if not compare(report, loss, expected_loss, f"{case} (the loss returned)",
                           variants={key: v[0] for key, v in wrong.items()}):
                return


# ---------------------------------------------------------------- one training step


def _d_step(generator, discriminator, d_optimizer, x_real, z, zero=True, into_generator=False):
    fake = generator.forward(z)
    if zero:
        d_optimizer.zero_grad()
    logits = discriminator.forward(np.concatenate([x_real, fake]))
    M = len(x_real)
    d_loss, d_real, d_fake = gan.discriminator_loss(logits[:M], logits[M:])
    dx = discriminator.backward(np.concatenate([d_real, d_fake]))
    if into_generator:
        generator.backward(dx[M:])
    return d_loss


def _g_step(generator, discriminator, g_optimizer, z, zero=True):
    if zero:
        g_optimizer.zero_grad()
    return gan.generator_backward(generator, discriminator, z)


def _step(variant: str):
    """One training step as the reference, or with one of the usual mistakes."""
    def step(generator, discriminator, g_optimizer, d_optimizer, x_real, z):
        if variant == "gan_g_step_first":
            g_loss = _g_step(generator, discriminator, g_optimizer, z)
            g_optimizer.step()
            d_loss = _d_step(generator, discriminator, d_optimizer, x_real, z)
            d_optimizer.step()
        elif variant == "gan_steps_not_alternating":  # both gradients first, then both steps
            d_loss = _d_step(generator, discriminator, d_optimizer, x_real, z)
            g_loss = _g_step(generator, discriminator, g_optimizer, z)
            d_optimizer.step()
            g_optimizer.step()
        elif variant == "gan_generator_against_old_d":
            g_loss = _g_step(generator, discriminator, g_optimizer, z)
            d_loss = _d_step(generator, discriminator, d_optimizer, x_real, z)
            d_optimizer.step()
            g_optimizer.step()
        else:
            if variant == "gan_d_loss_into_generator":
                g_optimizer.zero_grad()
            d_loss = _d_step(generator, discriminator, d_optimizer, x_real, z, zero=variant != "gan_d_grads_not_zeroed",
                             into_generator=variant == "gan_d_loss_into_generator")
            d_optimizer.step()
            g_loss = _g_step(generator, discriminator, g_optimizer, z,
                             zero=variant not in ("gan_g_grads_not_zeroed", "gan_d_loss_into_generator"))
            g_optimizer.step()
        return d_loss, g_loss
    return step


_STEP_VARIANTS = ("gan_g_step_first", "gan_steps_not_alternating", "gan_generator_against_old_d",
                  "gan_d_grads_not_zeroed", "gan_g_grads_not_zeroed", "gan_d_loss_into_generator")


def _game(seed: int, z_dim: int, x_dim: int, hidden: bool):
    generator, discriminator = _players(seed, z_dim, x_dim, hidden)
    # Plain SGD with different rates: each player's update is its gradient, scaled, so the
    # weights after a step show whose gradient went where.
    return (generator, discriminator, optim.SGD(generator.parameters(), lr=0.5),
            optim.SGD(discriminator.parameters(), lr=0.3))


@dataclass
class TrainStepExercise(Exercise):
    """gan_train_step(generator, discriminator, g_optimizer, d_optimizer, x_real, z): two calls in a row."""

    name: str
    reference: Callable
    allowed: tuple = _PLAYERS
    depends_on: tuple = ("discriminator_loss", "generator_backward")
    serve_reference: bool = False

    def run(self, fn: Callable, report: Report, rng: np.random.Generator, hidden: bool) -> None:
        m, k, z_dim, x_dim = (5, 7, 2, 2) if hidden else (6, 4, 3, 2)
        seed = int(rng.integers(1000))
        batches = [(rng.standard_normal((m, x_dim)) + 2, rng.standard_normal((k, z_dim))) for _ in range(2)]
        student, right = _game(seed, z_dim, x_dim, hidden), _game(seed, z_dim, x_dim, hidden)
        wrong = {key: _game(seed, z_dim, x_dim, hidden) for key in _STEP_VARIANTS}
        for call, (x_real, z) in enumerate(batches, start=1):
            report.cases += 1
            case = f"call {call} of gan_train_step, with {m} real samples and z of shape {(k, z_dim)}"
            ok, losses = _call(report, fn, case, *student, x_real, z, allowed=self.allowed, copy=False)
            if not ok:
                return
            expected = self.reference(*right, x_real, z)
            wrong_losses = {key: _step(key)(*players, x_real, z) for key, players in wrong.items()}
            for index, player in ((1, "discriminator"), (0, "generator")):
                got = _flat(p.value for p in student[index].parameters())
                if not compare(report, got, _flat(p.value for p in right[index].parameters()),
                               f"{case} (the {player}'s weights after it)",
                               variants={key: _flat(p.value for p in players[index].parameters())
                                         for key, players in wrong.items()}):
                    return
            if not isinstance(losses, (tuple, list)) or len(losses) != 2:
                report.fail("wrong_length", case=case, got=len(losses) if isinstance(losses, (tuple, list)) else 1,
                            expected=2)
                return
            for i, what in enumerate(("d_loss", "g_loss")):
                if not compare(report, losses[i], expected[i], f"{case} ({what})",
                               variants={key: v[i] for key, v in wrong_losses.items()}):
                    return


EXERCISES = [
    FunctionExercise("discriminator_loss", gan.discriminator_loss, _d_loss_cases, _D_LOSS_VARIANTS,
                     outputs=("loss", "d_real", "d_fake"), nonfinite_key="gan_loss_overflow",
                     allowed=(activations, _checks)),
    FunctionExercise("generator_loss", gan.generator_loss, _g_loss_cases, _G_LOSS_VARIANTS, outputs=("loss", "d_fake"),
                     nonfinite_key="gan_loss_overflow", allowed=(activations, _checks)),
    GeneratorBackwardExercise("generator_backward", gan.generator_backward),
    TrainStepExercise("gan_train_step", gan.gan_train_step),
]
