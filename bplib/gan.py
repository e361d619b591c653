"""A generative adversarial network's losses and training step, on logits.

A discriminator D maps a sample to one logit s per row, (N, 1), with D(x) = σ(s) the
probability that x is real. A generator G maps noise z to samples. The two-player objective
(Goodfellow et al., 2014) is

    min_G max_D  E_x[log D(x)] + E_z[log(1 − D(G(z)))]

written here as two losses to minimise, with softplus(s) = log(1 + eˢ) = −log σ(−s), which
``np.logaddexp(0, s)`` computes without overflow for any s::

    discriminator:  mean_m softplus(−r_m) + mean_k softplus(f_k)     r = D(x_real), f = D(G(z))
    generator:      mean_k softplus(−f_k)                             (the non-saturating loss)

The generator's loss is −log D(G(z)) rather than log(1 − D(G(z))): both are smallest when D is
fooled, but early in training D rejects the fakes with confidence (f ≪ 0), where
log(1 − σ(f)) is flat and its gradient σ(f) vanishes, while the gradient of softplus(−f),
σ(f) − 1, is close to −1.

The generator learns *through* the discriminator: d loss / d fake is what
``discriminator.backward`` returns, and it is the upstream gradient of ``generator.backward``.
"""
from __future__ import annotations

import numpy as np

from ._checks import as_float_array, require_shape
from .activations import sigmoid


def _logits(s, name: str) -> np.ndarray:
    s = as_float_array(s, name)
    require_shape(s, ("N", 1), name, "a GAN loss")
    return s


def discriminator_loss(real_logits, fake_logits) -> tuple[float, np.ndarray, np.ndarray]:
    """The discriminator's loss, BCE(real, 1) + BCE(fake, 0), and its gradient with respect to each logit.

    Parameters
    ----------
    real_logits : np.ndarray, shape (M, 1)
        D's logits on M real samples.
    fake_logits : np.ndarray, shape (K, 1)
        D's logits on K generated samples (K may differ from M).

    Returns
    -------
    loss : float
        mean softplus(−r) + mean softplus(f).
    d_real : np.ndarray, shape (M, 1)
        (σ(r) − 1) / M.
    d_fake : np.ndarray, shape (K, 1)
        σ(f) / K.
    """
    r, f = _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    loss = np.mean(np.logaddexp(0, -r)) + np.mean(np.logaddexp(0, f))
    return float(loss), (sigmoid(r) - 1) / len(r), sigmoid(f) / len(f)


def generator_loss(fake_logits) -> tuple[float, np.ndarray]:
    """The non-saturating generator loss −mean log D(G(z)) and its gradient.

    Parameters
    ----------
    fake_logits : np.ndarray, shape (K, 1)
        D's logits on K generated samples.

    Returns
    -------
    loss : float
        mean softplus(−f).
    d_fake : np.ndarray, shape (K, 1)
        (σ(f) − 1) / K.
    """
    f = _logits(fake_logits, "fake_logits")
    return float(np.mean(np.logaddexp(0, -f))), (sigmoid(f) - 1) / len(f)


def generator_backward(generator, discriminator, z) -> float:
    """The generator's loss on G(z), back-propagated through D into the generator's gradients.

    Parameters
    ----------
    generator : Layer
        Maps z (K, Z) to samples (K, D_x); its parameters' ``.grad`` receive the gradient (added).
    discriminator : Layer
        Maps samples (K, D_x) to logits (K, 1). Its ``.grad`` are changed on the way too: the
        training step zeroes them before the discriminator's own step.
    z : np.ndarray, shape (K, Z)

    Returns
    -------
    loss : float
        The generator's loss.
    """
    fake = generator.forward(z)
    loss, d_logits = generator_loss(discriminator.forward(fake))
    d_fake = discriminator.backward(d_logits)  # d loss / d fake: through D, not D's own gradient
    generator.backward(d_fake)
    return loss


def gan_train_step(generator, discriminator, g_optimizer, d_optimizer, x_real, z) -> tuple[float, float]:
    """One step of each player: the discriminator first, then the generator against the updated D.

    Parameters
    ----------
    generator, discriminator : Layer
        As in ``generator_backward``.
    g_optimizer, d_optimizer : Optimizer
        Over the generator's and the discriminator's parameters.
    x_real : np.ndarray, shape (M, D_x)
        A batch of real samples.
    z : np.ndarray, shape (K, Z)
        Noise, used by both steps.

    Returns
    -------
    d_loss, g_loss : float
        The discriminator's loss before its step, and the generator's before its own.
    """
    fake = generator.forward(z)  # a constant for D's step: the generator's backward is not called
    d_optimizer.zero_grad()
    # Reals and fakes as one batch: a layer caches the input of its last forward for its backward.
    logits = discriminator.forward(np.concatenate([as_float_array(x_real, "x_real"), fake]))
    M = len(x_real)
    d_loss, d_real, d_fake = discriminator_loss(logits[:M], logits[M:])
    discriminator.backward(np.concatenate([d_real, d_fake]))
    d_optimizer.step()

    g_optimizer.zero_grad()
    g_loss = generator_backward(generator, discriminator, z)
    g_optimizer.step()
    return d_loss, g_loss
