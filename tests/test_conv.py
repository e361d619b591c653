import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib import conv as conv_functions
from bplib.conv import col2im, im2col, output_size
from bplib.gradcheck import check_layer, rel_error
from bplib.layers import Conv2d, Dense, Flatten, MaxPool2d, ReLU
from bplib.network import Sequential

N, C, H, W, F = 2, 3, 7, 6, 4  # every dimension different

# (kernel_size, stride, padding): square and non-square kernels, stride 2, padding 1, pairs.
CONV_GEOMETRIES = [
    (3, 1, 0),
    (3, 2, 1),
    ((2, 3), 2, 1),
    ((3, 2), (2, 1), (1, 2)),
    (1, 1, 0),
    ((4, 5), (3, 2), (2, 0)),
]
POOL_GEOMETRIES = [(2, None), (3, 2), ((2, 3), (1, 2)), (3, 1)]


def _distinct(shape, rng, gap=0.01):
    """Values at least ``gap`` apart, so that a step of 1e-5 never changes which one is a maximum."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) - np.prod(shape) / 2) * gap


def _conv_reference(x, Wt, b, stride, padding):
    """The definition, one output pixel at a time: out[n, f, y, x] = b[f] + Σ W[f] · (window at y, x)."""
    (sh, sw), (ph, pw) = stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    kh, kw = Wt.shape[2:]
    Ho, Wo = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    out = np.empty((x.shape[0], Wt.shape[0], Ho, Wo))
    for n in range(x.shape[0]):
        for f in range(Wt.shape[0]):
            for y in range(Ho):
                for z in range(Wo):
                    out[n, f, y, z] = b[f] + np.sum(Wt[f] * xp[n, :, y * sh:y * sh + kh, z * sw:z * sw + kw])
    return out


# ----------------------------------------------------------------------------------------
# Gradient checks (float64, random upstream gradients)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel_size, stride, padding", CONV_GEOMETRIES)
def test_conv2d_backward_matches_numerical_gradient(kernel_size, stride, padding, rng):
    layer = Conv2d(C, F, kernel_size, stride=stride, padding=padding, rng=0)
    # The output is linear in x and in W: the centred difference has no truncation error, and a
    # step of 1e-3 keeps its round-off below 1e-12 (with 1e-5, entries of dx near 1e-5 would
    # show relative errors near 1e-7 from round-off alone).
    errors = check_layer(layer, rng.standard_normal((N, C, H, W)), rng=7, eps=1e-3)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < 1e-8, errors


@pytest.mark.parametrize("kernel_size, stride", POOL_GEOMETRIES)
def test_maxpool2d_backward_matches_numerical_gradient(kernel_size, stride, rng):
    errors = check_layer(MaxPool2d(kernel_size, stride), _distinct((N, C, H, W), rng), rng=7)
    assert set(errors) == {"x"} and errors["x"] < 1e-8, errors


def test_flatten_backward_matches_numerical_gradient(rng):
    errors = check_layer(Flatten(), rng.standard_normal((N, C, H, W)), rng=7)
    assert errors["x"] < 1e-8, errors


def test_small_cnn_backward_matches_numerical_gradient(rng):
    model = Sequential(Conv2d(C, F, 3, padding=1, rng=1), ReLU(), MaxPool2d(2), Flatten(), Dense(F * 3 * 3, 5, rng=2))
    errors = check_layer(model, _distinct((N, C, H, W), rng, gap=0.05), rng=3)
    assert len(errors) == 5 and max(errors.values()) < 1e-7, errors


# ----------------------------------------------------------------------------------------
# Conv2d: what it computes
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel_size, stride, padding", CONV_GEOMETRIES)
def test_conv2d_matches_its_definition(kernel_size, stride, padding, rng):
    layer = Conv2d(C, F, kernel_size, stride, padding, rng=0)
    x = rng.standard_normal((N, C, H, W))
    expected = _conv_reference(x, layer.W.value, layer.b.value, layer.stride, layer.padding)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 12), w=st.integers(1, 12),
       kh=st.integers(1, 5), kw=st.integers(1, 5), sh=st.integers(1, 3), sw=st.integers(1, 3),
       ph=st.integers(0, 2), pw=st.integers(0, 2))
def test_conv2d_output_size_formula(n, c, h, w, kh, kw, sh, sw, ph, pw):
    if h + 2 * ph < kh or w + 2 * pw < kw:
        with pytest.raises(ValueError, match="kernel"):
            Conv2d(c, 2, (kh, kw), (sh, sw), (ph, pw), rng=0)(np.zeros((n, c, h, w)))
        return
    out = Conv2d(c, 2, (kh, kw), (sh, sw), (ph, pw), rng=0)(np.ones((n, c, h, w)))
    assert out.shape == (n, 2, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)
    assert out.shape[2:] == (output_size(h, kh, sh, ph), output_size(w, kw, sw, pw))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(3, 9), w=st.integers(3, 9),
       k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_col2im_is_the_adjoint_of_im2col(n, c, h, w, k, s, p, seed):
    """sum(im2col(x) · d) == sum(x · col2im(d)): why col2im turns d loss / d cols into d loss / d x."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w))
    cols = im2col(x, k, s, p)
    d = rng.standard_normal(cols.shape)
    assert cols.shape == (c * k * k, output_size(h, k, s, p) * output_size(w, k, s, p) * n)
    assert np.sum(cols * d) == pytest.approx(np.sum(x * col2im(d, x.shape, k, s, p)), rel=1e-12, abs=1e-12)


def test_im2col_layout():
    """Row (c, i, j), column (y, x, n) holds x_pad[n, c, s·y + i, s·x + j]."""
    x = np.arange(2 * 3 * 5 * 4, dtype=float).reshape(2, 3, 5, 4)
    cols = im2col(x, (2, 3), stride=(2, 1), padding=(1, 0)).reshape(3, 2, 3, 3, 2, 2)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    for c, i, j, y, z, n in np.ndindex(cols.shape):
        assert cols[c, i, j, y, z, n] == xp[n, c, 2 * y + i, z + j]


def test_conv2d_init_is_pytorchs():
    layer = Conv2d(16, 32, (3, 5), rng=0)
    bound = 1 / np.sqrt(16 * 3 * 5)
    assert layer.W.value.shape == (32, 16, 3, 5) and layer.b.value.shape == (32,)
    assert np.abs(layer.W.value).max() <= bound and np.abs(layer.b.value).max() <= bound
    assert layer.W.value.var() == pytest.approx(bound**2 / 3, rel=0.05)  # uniform on [-a, a]: a² / 3
    np.testing.assert_array_equal(Conv2d(16, 32, 3, rng=5).W.value, Conv2d(16, 32, 3, rng=5).W.value)
    gen = np.random.default_rng(5)
    assert not np.array_equal(Conv2d(2, 3, 3, rng=gen).W.value, Conv2d(2, 3, 3, rng=gen).W.value)
    assert [p.name for p in layer.parameters()] == ["W", "b"]
    assert np.all(layer.W.grad == 0) and np.all(layer.b.grad == 0)
    assert repr(Conv2d(3, 8, 3, 2, (1, 0))) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 0))"


def test_conv2d_gradients_accumulate_until_zeroed(rng):
    layer = Conv2d(C, F, 3, rng=0)
    x = rng.standard_normal((N, C, H, W))
    dout = rng.standard_normal(layer(x).shape)
    layer.backward(dout)
    first_W, first_b = layer.W.grad.copy(), layer.b.grad.copy()
    layer.backward(dout)
    np.testing.assert_allclose(layer.W.grad, 2 * first_W)
    np.testing.assert_allclose(layer.b.grad, 2 * first_b)
    layer.zero_grad()
    assert np.all(layer.W.grad == 0) and np.all(layer.b.grad == 0)


@pytest.mark.parametrize("layer", [Conv2d(C, F, 3, padding=1, rng=0), MaxPool2d(2), Flatten()], ids=repr)
def test_forward_and_backward_leave_inputs_unchanged(layer, rng):
    x = rng.standard_normal((N, C, H, W))
    x_before = x.copy()
    out = layer(x)
    dout = rng.standard_normal(out.shape)
    dout_before = dout.copy()
    dx = layer.backward(dout)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(dout, dout_before)


@pytest.mark.parametrize("n", [1, 3])
def test_conv2d_returns_new_arrays(n, rng):
    """Conv2d reuses its intermediate arrays from batch to batch, never the ones it returns."""
    layer = Conv2d(C, 1, 3, padding=1, rng=0)
    x = rng.standard_normal((n, C, H, W))
    out, dout = layer(x), rng.standard_normal((n, 1, H, W))
    dx = layer.backward(dout)
    out_before, dx_before = out.copy(), dx.copy()
    layer(2 * x)
    layer.backward(2 * dout)
    np.testing.assert_array_equal(out, out_before)
    np.testing.assert_array_equal(dx, dx_before)
    assert out.flags.c_contiguous and dx.flags.c_contiguous


@pytest.mark.parametrize("make",
                         [lambda: Conv2d(C, F, (3, 2), stride=2, padding=1, rng=0), lambda: MaxPool2d(2), Flatten],
                         ids=["conv", "maxpool", "flatten"])
def test_float32_stays_float32(make, rng):
    layer = make()
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    out = layer(x)
    assert out.dtype == np.float32
    assert layer.backward(np.ones(out.shape)).dtype == np.float32  # even from a float64 dout


def test_conv2d_float32_parameters(rng):
    layer = Conv2d(C, F, 3, rng=0, dtype=np.float32)
    assert layer.W.value.dtype == np.float32 and layer.b.value.dtype == np.float32
    out = layer(rng.standard_normal((N, C, H, W)).astype(np.float32))
    layer.backward(np.ones_like(out))
    assert out.dtype == np.float32 and layer.W.grad.dtype == np.float32 and layer.b.grad.dtype == np.float32
    with pytest.raises(ValueError, match="float32 or float64"):
        Conv2d(C, F, 3, dtype=np.int64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_inputs_are_quiet(dtype, rng):
    """±1e4 inputs: finite outputs and gradients, no warning (pytest turns them into errors)."""
    x = (1e4 * np.sign(rng.standard_normal((N, C, H, W)))).astype(dtype)
    for layer in (Conv2d(C, F, 3, stride=2, padding=1, rng=0), MaxPool2d(3, 2), Flatten()):
        out = layer(x)
        dx = layer.backward(1e4 * np.ones(out.shape, dtype=dtype))
        assert out.dtype == dtype and np.all(np.isfinite(out)) and np.all(np.isfinite(dx))


# ----------------------------------------------------------------------------------------
# MaxPool2d: routing of the gradient
# ----------------------------------------------------------------------------------------
def test_maxpool2d_ties_go_to_the_first_maximum():
    """Row-major window order: in a window of equal values, the top-left one gets the gradient."""
    pool = MaxPool2d(2)
    x = np.array([[[[1.0, 1.0, 0.0, 2.0],
                    [1.0, 1.0, 2.0, 2.0],
                    [5.0, 3.0, 4.0, 4.0],
                    [5.0, 5.0, 4.0, 4.0]]]])
    np.testing.assert_array_equal(pool(x), [[[[1.0, 2.0], [5.0, 4.0]]]])
    dx = pool.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    np.testing.assert_array_equal(dx, [[[[10.0, 0.0, 0.0, 20.0],
                                         [0.0, 0.0, 0.0, 0.0],
                                         [30.0, 0.0, 40.0, 0.0],
                                         [0.0, 0.0, 0.0, 0.0]]]])


def test_maxpool2d_overlapping_windows_add_up():
    """The centre is the maximum of all four 2×2 windows of a 3×3 image (stride 1): it gets every gradient."""
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0
    pool = MaxPool2d(2, stride=1)
    np.testing.assert_array_equal(pool(x), np.ones((1, 1, 2, 2)))
    dx = pool.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 1, 1] = 10.0
    np.testing.assert_array_equal(dx, expected)


def test_maxpool2d_defaults_and_remainders():
    pool = MaxPool2d(3)
    assert pool.stride == (3, 3) and repr(pool) == "MaxPool2d(kernel_size=(3, 3), stride=(3, 3))"
    x = np.arange(2 * 3 * 7 * 8, dtype=float).reshape(2, 3, 7, 8)
    out = pool(x)  # 7 and 8 leave remainders of 1 and 2 rows / columns that no window covers
    assert out.shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(out, x[:, :, 2:6:3, 2:6:3])  # increasing values: the bottom-right corner
    dx = pool.backward(np.ones_like(out))
    assert dx[:, :, 6:, :].sum() == 0 and dx[:, :, :, 6:].sum() == 0


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(2, 9), w=st.integers(2, 9),
       k=st.tuples(st.integers(1, 3), st.integers(1, 3)), s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       ties=st.booleans(), seed=st.integers(0, 2**16))
def test_maxpool2d_routes_every_window_gradient_to_one_maximum(n, c, h, w, k, s, ties, seed):
    """dx sums to dout's sum, image by image and channel by channel, and is nonzero only at maxima."""
    k = (min(k[0], h), min(k[1], w))
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, (n, c, h, w)).astype(float) if ties else rng.standard_normal((n, c, h, w))
    pool = MaxPool2d(k, s)
    out = pool(x)
    dout = rng.random(out.shape) + 0.5  # positive: nothing cancels
    dx = pool.backward(dout)
    np.testing.assert_allclose(dx.sum(axis=(2, 3)), dout.sum(axis=(2, 3)), rtol=1e-12)
    assert np.all(dx >= 0)
    assert np.all(np.isin(x[dx > 0], out))  # only maxima receive gradient
    assert np.count_nonzero(dx) <= out.size


# ----------------------------------------------------------------------------------------
# Flatten
# ----------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=2, max_size=5), seed=st.integers(0, 2**16))
def test_flatten_round_trip(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    flatten = Flatten()
    out = flatten(x)
    assert out.shape == (shape[0], int(np.prod(shape[1:])))
    np.testing.assert_array_equal(out, x.reshape(shape[0], -1))  # C order, as torch.flatten
    np.testing.assert_array_equal(flatten.backward(out), x)


# ----------------------------------------------------------------------------------------
# Input checks
# ----------------------------------------------------------------------------------------
def test_conv2d_refuses_bad_shapes():
    layer = Conv2d(3, 8, 3, rng=0)
    with pytest.raises(ValueError, match=r"Conv2d expects x of shape \(N, 3, H, W\), got \(5, 2, 8, 8\)"):
        layer(np.zeros((5, 2, 8, 8)))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\).*\(3, 8, 8\)"):
        layer(np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match=r"kernel.*\(3, 3\).*\(5, 3, 2, 8\)"):
        layer(np.zeros((5, 3, 2, 8)))
    layer(np.zeros((5, 3, 8, 9)))
    with pytest.raises(ValueError, match=r"\(5, 8, 6, 7\).*\(5, 8, 6, 6\)"):
        layer.backward(np.zeros((5, 8, 6, 6)))


@pytest.mark.parametrize("bad", [0, -1, 1.5, (1, 2, 3), (2,), "3", True, (2, 0)])
def test_conv2d_refuses_bad_geometry(bad):
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        Conv2d(3, 8, bad)
    with pytest.raises(ValueError, match="stride must be an int or a pair"):
        MaxPool2d(2, stride=bad)


def test_conv2d_refuses_bad_channels():
    with pytest.raises(ValueError, match="in_channels must be a positive int"):
        Conv2d(0, 8, 3)
    with pytest.raises(ValueError, match="out_channels must be a positive int"):
        Conv2d(3, 2.0, 3)


def test_conv2d_refuses_negative_padding():
    with pytest.raises(ValueError, match=r"padding .*>= 0"):
        Conv2d(3, 8, 3, padding=-1)
    Conv2d(3, 8, 3, padding=(0, 2))


def test_maxpool2d_and_flatten_refuse_bad_shapes():
    with pytest.raises(ValueError, match=r"MaxPool2d expects x of shape \(N, C, H, W\), got \(4, 6\)"):
        MaxPool2d(2)(np.zeros((4, 6)))
    with pytest.raises(ValueError, match=r"kernel.*\(3, 3\).*\(1, 1, 2, 5\)"):
        MaxPool2d(3)(np.zeros((1, 1, 2, 5)))
    with pytest.raises(ValueError, match=r"Flatten expects x of shape \(N, \.\.\.\)"):
        Flatten()(np.zeros(4))
    flatten = Flatten()
    flatten(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"\(2, 12\)"):
        flatten.backward(np.zeros((2, 3, 4)))


@pytest.mark.parametrize("layer", [Conv2d(C, F, 3), MaxPool2d(2), Flatten()], ids=repr)
def test_backward_before_forward_is_a_clear_error(layer):
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((N, F, 2, 2)))


# ----------------------------------------------------------------------------------------
# Against PyTorch (float64, weights copied across)
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel_size, stride, padding", CONV_GEOMETRIES)
def test_conv2d_matches_pytorch(kernel_size, stride, padding, rng):
    torch = pytest.importorskip("torch")
    layer = Conv2d(C, F, kernel_size, stride, padding, rng=0)
    x = rng.standard_normal((N, C, H, W))
    out = layer(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)

    xt = torch.tensor(x, requires_grad=True)
    conv = torch.nn.Conv2d(C, F, kernel_size, stride, padding).double()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(layer.W.value))
        conv.bias.copy_(torch.from_numpy(layer.b.value))
    out_t = conv(xt)
    out_t.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.W.grad, conv.weight.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(layer.b.grad, conv.bias.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kernel_size, stride", POOL_GEOMETRIES)
@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
def test_maxpool2d_matches_pytorch(kernel_size, stride, ties, rng):
    torch = pytest.importorskip("torch")
    x = rng.integers(0, 3, (N, C, H, W)).astype(float) if ties else rng.standard_normal((N, C, H, W))
    pool = MaxPool2d(kernel_size, stride)
    out = pool(x)
    dout = rng.standard_normal(out.shape)
    dx = pool.backward(dout)

    xt = torch.tensor(x, requires_grad=True)
    out_t = torch.nn.MaxPool2d(kernel_size, stride)(xt)
    out_t.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_maxpool2d_all_equal_matches_pytorch(rng):
    torch = pytest.importorskip("torch")
    x = np.full((N, C, H, W), 0.5)
    pool = MaxPool2d(3, 2)
    dout = rng.standard_normal(pool(x).shape)
    xt = torch.tensor(x, requires_grad=True)
    torch.nn.MaxPool2d(3, 2)(xt).backward(torch.from_numpy(dout))
    np.testing.assert_array_equal(pool.backward(dout), xt.grad.numpy())


def test_flatten_matches_pytorch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((N, C, H, W))
    np.testing.assert_array_equal(Flatten()(x), torch.nn.Flatten()(torch.from_numpy(x)).numpy())
    assert rel_error(Flatten()(x), x.reshape(N, -1)) == 0


# ----------------------------------------------------------------------------------------
# The same, as functions (notebook 12's references)
# ----------------------------------------------------------------------------------------


def test_functions_give_the_layers_results(rng):
    x, W, b = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    layer = Conv2d(3, 4, (3, 2), stride=2, padding=1)
    layer.W.value[...], layer.b.value[...] = W, b
    out = conv_functions.conv2d(x, W, b, stride=2, padding=1)
    np.testing.assert_array_equal(out, layer.forward(x))
    dout = rng.standard_normal(out.shape)
    dx, dW, db = conv_functions.conv2d_backward(dout, x, W, stride=2, padding=1)
    np.testing.assert_array_equal(dx, layer.backward(dout))
    np.testing.assert_array_equal(dW, layer.W.grad)
    np.testing.assert_array_equal(db, layer.b.grad)
    pool = MaxPool2d(3, 2)
    np.testing.assert_array_equal(conv_functions.max_pool2d(x, 3, 2), pool.forward(x))
    dpool = rng.standard_normal((2, 3, 3, 2))
    np.testing.assert_array_equal(conv_functions.max_pool2d_backward(dpool, x, 3, 2), pool.backward(dpool))


def test_conv2d_function_refuses_bad_weights(rng):
    x = rng.standard_normal((2, 3, 5, 5))
    with pytest.raises(ValueError, match=r"W.*\(F, C, kh, kw\)"):
        conv_functions.conv2d(x, rng.standard_normal((4, 3, 3)), np.zeros(4))
    with pytest.raises(ValueError, match=r"b"):
        conv_functions.conv2d(x, rng.standard_normal((4, 3, 3, 3)), np.zeros(3))
