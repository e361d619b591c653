"""bplib.gan: the losses are the cross-entropies they claim, stable, and their gradients and
the training step are what the chain rule and the optimizers say."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib import gan
from bplib.gradcheck import numerical_gradient, rel_error
from bplib.layers import Dense, Tanh
from bplib.network import Sequential
from bplib.optim import SGD

M, K, Z, X, HG, HD = 5, 3, 2, 4, 6, 7  # every dimension different


def _players(seed=0):
    return (Sequential(Dense(Z, HG, rng=seed), Tanh(), Dense(HG, X, rng=seed + 1)),
            Sequential(Dense(X, HD, rng=seed + 2), Tanh(), Dense(HD, 1, rng=seed + 3)))


def _sigmoid(s):
    return 1 / (1 + np.exp(-s))


def test_losses_are_binary_cross_entropies(rng):
    r, f = rng.standard_normal((M, 1)), rng.standard_normal((K, 1))
    loss, _, _ = gan.discriminator_loss(r, f)
    assert loss == pytest.approx(-np.mean(np.log(_sigmoid(r))) - np.mean(np.log(1 - _sigmoid(f))), rel=1e-12)
    assert gan.generator_loss(f)[0] == pytest.approx(-np.mean(np.log(_sigmoid(f))), rel=1e-12)


def test_loss_gradients_match_numerical_gradients(rng):
    r, f = rng.standard_normal((M, 1)), rng.standard_normal((K, 1))
    _, d_real, d_fake = gan.discriminator_loss(r, f)
    assert rel_error(d_real, numerical_gradient(lambda v: gan.discriminator_loss(v, f)[0], r.copy())) < 1e-7
    assert rel_error(d_fake, numerical_gradient(lambda v: gan.discriminator_loss(r, v)[0], f.copy())) < 1e-7
    _, d_g = gan.generator_loss(f)
    assert rel_error(d_g, numerical_gradient(lambda v: gan.generator_loss(v)[0], f.copy())) < 1e-7


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=6), st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=6))
def test_losses_are_finite_and_quiet_up_to_1e4(real, fake):
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        loss, d_real, d_fake = gan.discriminator_loss(np.array(real)[:, None], np.array(fake)[:, None])
        g_loss, d_g = gan.generator_loss(np.array(fake)[:, None])
    assert np.isfinite([loss, g_loss]).all() and loss >= 0 and g_loss >= 0
    assert np.isfinite(d_real).all() and np.isfinite(d_fake).all() and np.isfinite(d_g).all()


def test_losses_refuse_flat_logits():
    with pytest.raises(ValueError, match=r"\(N, 1\)"):
        gan.discriminator_loss(np.zeros(3), np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"\(N, 1\)"):
        gan.generator_loss(np.zeros((2, 2)))


def test_generator_gradient_flows_through_the_discriminator(rng):
    generator, discriminator = _players()
    z = rng.standard_normal((K, Z))
    loss = gan.generator_backward(generator, discriminator, z)
    for p in generator.parameters():
        def f(v, p=p):
            saved = p.value.copy()
            p.value[...] = v
            value = gan.generator_loss(discriminator.forward(generator.forward(z)))[0]
            p.value[...] = saved
            return value
        assert rel_error(p.grad, numerical_gradient(f, p.value.copy())) < 1e-7, p.name
    assert loss == pytest.approx(gan.generator_loss(discriminator.forward(generator.forward(z)))[0], rel=1e-12)


def test_train_step_updates_each_player_by_its_own_gradient(rng):
    generator, discriminator = _players()
    g_opt, d_opt = SGD(generator.parameters(), lr=0.1), SGD(discriminator.parameters(), lr=0.2)
    x_real, z = rng.standard_normal((M, X)), rng.standard_normal((K, Z))
    # What the step should do, by hand: D's gradient of its loss with the fakes held fixed ...
    fake = generator.forward(z)
    d_before = [p.value.copy() for p in discriminator.parameters()]
    d_loss, d_real, d_fake = gan.discriminator_loss(discriminator.forward(x_real), discriminator.forward(fake))
    discriminator.backward(d_fake)  # the layers cached the fakes, their last input
    discriminator.forward(x_real)
    discriminator.backward(d_real)
    d_grads = [p.grad.copy() for p in discriminator.parameters()]
    discriminator.zero_grad()
    got_d_loss, got_g_loss = gan.gan_train_step(generator, discriminator, g_opt, d_opt, x_real, z)
    assert got_d_loss == pytest.approx(d_loss, rel=1e-12)
    for before, grad, p in zip(d_before, d_grads, discriminator.parameters()):
        np.testing.assert_allclose(p.value, before - 0.2 * grad, rtol=1e-10, atol=1e-14)
    # ... and the generator's step was taken against the updated discriminator.
    assert got_g_loss == pytest.approx(gan.generator_loss(discriminator.forward(fake))[0], rel=1e-12)
