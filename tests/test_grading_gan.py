"""The checks of 14-gan: right answers pass, and each typical wrong answer fails with the
hint that names its mistake (the table ``MISTAKES`` is the specification)."""
from __future__ import annotations

import numpy as np

from tests.grading_tables import table_tests, with_args


def sigmoid(s):
    return 0.5 * (1 + np.tanh(s / 2))


# ---------------------------------------------------------------- right answers, as students write them


def discriminator_loss(real_logits, fake_logits, labels="right", average="each"):
    r, f = (real_logits, fake_logits) if labels == "right" else (-real_logits, -fake_logits)
    M, K = len(r), len(f)
    if average == "each":
        loss = np.mean(np.logaddexp(0, -r)) + np.mean(np.logaddexp(0, f))
        d_real, d_fake = (sigmoid(r) - 1) / M, sigmoid(f) / K
    else:  # one mean over the M + K samples together
        loss = (np.sum(np.logaddexp(0, -r)) + np.sum(np.logaddexp(0, f))) / (M + K)
        d_real, d_fake = (sigmoid(r) - 1) / (M + K), sigmoid(f) / (M + K)
    if labels != "right":
        d_real, d_fake = -d_real, -d_fake
    return float(loss), d_real, d_fake


def discriminator_loss_naive(real_logits, fake_logits):
    """log σ through np.log: log(0) for a logit of -1e4."""
    d_r, d_f = sigmoid(real_logits), sigmoid(fake_logits)
    loss = -np.mean(np.log(d_r)) - np.mean(np.log(1 - d_f))
    return float(loss), (d_r - 1) / len(d_r), d_f / len(d_f)


def generator_loss(fake_logits, kind="non-saturating"):
    K = len(fake_logits)
    if kind == "non-saturating":
        return float(np.mean(np.logaddexp(0, -fake_logits))), (sigmoid(fake_logits) - 1) / K
    if kind == "saturating":  # mean log(1 − D(G(z))), minimised
        return float(-np.mean(np.logaddexp(0, fake_logits))), -sigmoid(fake_logits) / K
    return float(np.mean(np.logaddexp(0, fake_logits))), sigmoid(fake_logits) / K  # the fakes labelled 0


def generator_backward(generator, discriminator, z, upstream=generator_loss, through_d=True):
    fake = generator.forward(z)
    loss, d_logits = upstream(discriminator.forward(fake))
    generator.backward(discriminator.backward(d_logits) if through_d else d_logits)
    return loss


def gan_train_step(generator, discriminator, g_optimizer, d_optimizer, x_real, z, order="d-then-g", zero_d=True,
                   zero_g=True):
    def d_step():
        fake = generator.forward(z)
        if zero_d:
            d_optimizer.zero_grad()
        real_logits = discriminator.forward(x_real)
        loss, d_real, _ = discriminator_loss(real_logits, np.zeros((len(fake), 1)))
        discriminator.backward(d_real)                 # backward right after its own forward
        fake_logits = discriminator.forward(fake)
        loss, _, d_fake = discriminator_loss(real_logits, fake_logits)
        discriminator.backward(d_fake)
        d_optimizer.step()
        return loss

    def g_step():
        if zero_g:
            g_optimizer.zero_grad()
        loss = generator_backward(generator, discriminator, z)
        g_optimizer.step()
        return loss

    if order == "d-then-g":
        d_loss = d_step()
        g_loss = g_step()
    else:
        g_loss = g_step()
        d_loss = d_step()
    return d_loss, g_loss


def gan_train_step_model_zero_grad(generator, discriminator, g_optimizer, d_optimizer, x_real, z):
    """Another right formulation: the networks' own zero_grad, and one batch of reals and fakes."""
    fake = generator.forward(z)
    discriminator.zero_grad()
    logits = discriminator.forward(np.vstack([x_real, fake]))
    d_loss, d_real, d_fake = discriminator_loss(logits[:len(x_real)], logits[len(x_real):])
    discriminator.backward(np.vstack([d_real, d_fake]))
    d_optimizer.step()
    generator.zero_grad()
    g_loss = generator_backward(generator, discriminator, z)
    g_optimizer.step()
    return d_loss, g_loss


def gan_train_step_both_first(generator, discriminator, g_optimizer, d_optimizer, x_real, z):
    d_optimizer.zero_grad()
    fake = generator.forward(z)
    logits = discriminator.forward(np.vstack([x_real, fake]))
    d_loss, d_real, d_fake = discriminator_loss(logits[:len(x_real)], logits[len(x_real):])
    discriminator.backward(np.vstack([d_real, d_fake]))
    g_optimizer.zero_grad()
    g_loss = generator_backward(generator, discriminator, z)
    d_optimizer.step()
    g_optimizer.step()
    return d_loss, g_loss


RIGHT = [
    ("discriminator_loss", discriminator_loss),
    ("generator_loss", generator_loss),
    ("generator_backward", generator_backward),
    ("gan_train_step", gan_train_step),
    ("gan_train_step", gan_train_step_model_zero_grad),
]


MISTAKES = [
    ("discriminator_loss", with_args(discriminator_loss, labels="swapped"), "gan_d_labels_swapped"),
    ("discriminator_loss", with_args(discriminator_loss, average="together"), "gan_d_mean_over_both"),
    ("discriminator_loss", discriminator_loss_naive, "gan_loss_overflow"),
    ("generator_loss", with_args(generator_loss, kind="saturating"), "gan_g_saturating_loss"),
    ("generator_loss", with_args(generator_loss, kind="fake label"), "gan_g_fake_label"),
    ("generator_backward", with_args(generator_backward, upstream=with_args(generator_loss, kind="saturating")),
     "gan_g_saturating_loss"),
    ("generator_backward", with_args(generator_backward, upstream=with_args(generator_loss, kind="fake label")),
     "gan_g_discriminator_gradient"),
    ("generator_backward", with_args(generator_backward, through_d=False), "gan_g_not_through_d"),
    ("gan_train_step", with_args(gan_train_step, order="g-then-d"), "gan_g_step_first"),
    ("gan_train_step", with_args(gan_train_step, zero_d=False), "gan_d_grads_not_zeroed"),
    ("gan_train_step", with_args(gan_train_step, zero_g=False), "gan_g_grads_not_zeroed"),
    ("gan_train_step", gan_train_step_both_first, "gan_steps_not_alternating"),
]

session, test_right_answers_pass, test_each_mistake_gets_its_hint_in_both_parts = table_tests("14-gan", RIGHT, MISTAKES)
