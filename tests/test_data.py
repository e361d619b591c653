"""Tests for bplib.data: generators, bundled digits, IDX/MNIST loading and data plumbing.

No test touches the network: load_mnist is exercised with bplib.data.mnist._download replaced
by a function that writes local bytes, and urllib's urlopen is booby-trapped while it runs.
"""
from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
import urllib.request

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bplib import data

GENERATORS = {
    "linear": data.linear,
    "xor": lambda **kw: data.xor(n=40, noise=0.1, **kw),
    "spirals": data.spirals,
    "moons": data.moons,
    "circles": data.circles,
}


# ----------------------------------------------------------------------------------------
# Generators
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_reproducible_by_default_and_rng_changes_data(name):
    make = GENERATORS[name]
    X1, y1 = make()
    X2, y2 = make()
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(X1, make(rng=0)[0])  # the default is rng=0
    X3, _ = make(rng=1)
    assert not np.array_equal(X1, X3)
    assert not np.array_equal(make(rng=None)[0], make(rng=None)[0])  # None: fresh entropy


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_reject_bad_rng(name):
    with pytest.raises(ValueError, match="Generator"):
        GENERATORS[name](rng=np.random.RandomState(0))
    with pytest.raises(ValueError, match="int seed"):
        GENERATORS[name](rng=1.5)


def test_linear_shapes_and_line():
    X, y = data.linear(n=50)
    assert X.shape == (50, 1) and y.shape == (50, 1)
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert X.min() >= -1.0 and X.max() <= 1.0
    # Without noise the points lie exactly on the line.
    X0, y0 = data.linear(n=20, slope=-3.0, intercept=0.5, noise=0.0)
    np.testing.assert_allclose(y0, -3.0 * X0 + 0.5)
    # With noise, least squares recovers the line approximately.
    X, y = data.linear(n=2000, slope=2.0, intercept=1.0, noise=0.1)
    A = np.hstack([X, np.ones_like(X)])
    (w, b), *_ = np.linalg.lstsq(A, y[:, 0], rcond=None)
    assert abs(w - 2.0) < 0.02 and abs(b - 1.0) < 0.02
    assert 0.09 < np.std(y - (2.0 * X + 1.0)) < 0.11


def test_xor_exact_points():
    X, y = data.xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert X.dtype == np.float64 and y.dtype == np.int64
    # Deterministic: the rng does not matter without noise.
    np.testing.assert_array_equal(data.xor(rng=5)[0], X)


def test_xor_noisy_clusters():
    X, y = data.xor(n=103, noise=0.1)
    assert X.shape == (103, 2) and y.shape == (103,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1}
    corners = np.round(X).astype(int)  # noise 0.1 never moves a point half-way
    np.testing.assert_array_equal(y, corners[:, 0] ^ corners[:, 1])
    # Every corner gets n // 4 or n // 4 + 1 points.
    counts = np.unique(corners, axis=0, return_counts=True)[1]
    assert len(counts) == 4 and counts.min() >= 103 // 4 and counts.max() <= 103 // 4 + 1
    with pytest.raises(ValueError, match="n must be an int >= 4"):
        data.xor(n=3)


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_spirals_per_class_counts_and_range(classes):
    X, y = data.spirals(n=60, classes=classes)
    assert X.shape == (60 * classes, 2) and X.dtype == np.float64
    assert y.shape == (60 * classes,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [60] * classes)
    # Noise is on the angle only, so radii are exactly linspace(0, 1) within each arm.
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], np.linspace(0, 1, 60))
    assert r.max() <= 1.0 + 1e-12
    with pytest.raises(ValueError, match="classes"):
        data.spirals(classes=1)


def test_moons_geometry_and_balance():
    X, y = data.moons(n=201, noise=0.0)
    assert X.shape == (201, 2) and y.shape == (201,) and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [100, 101])
    # Noise-free: class 0 on the unit circle around (0, 0), class 1 on the one around (1, 0.5).
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0)
    assert (X[y == 0, 1] >= -1e-12).all() and (X[y == 1, 1] <= 0.5 + 1e-12).all()
    Xn, yn = data.moons()
    assert Xn.shape == (200, 2)
    np.testing.assert_array_equal(np.bincount(yn), [100, 100])


def test_circles_geometry_and_balance():
    X, y = data.circles(n=100, noise=0.0, factor=0.3)
    assert X.shape == (100, 2) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [50, 50])
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.3)
    assert len(np.unique(X.round(12), axis=0)) == 100  # no duplicated point at angle 2*pi
    with pytest.raises(ValueError, match=r"factor must be a float in \(0, 1\)"):
        data.circles(factor=1.0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: data.linear(n=0), "n must be an int >= 1"),
        (lambda: data.spirals(n=2.5), "n must be an int"),
        (lambda: data.moons(n=1), "n must be an int >= 2"),
        (lambda: data.circles(noise=-0.1), "noise must be a float >= 0"),
        (lambda: data.xor(n=True), "n must be an int"),
    ],
)
def test_generators_reject_bad_sizes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------------------
# Bundled digits
# ----------------------------------------------------------------------------------------
def test_load_digits_facts():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 16.0
    np.testing.assert_array_equal(X, np.round(X))  # block counts are integers
    counts = np.bincount(y)
    np.testing.assert_array_equal(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    assert counts.sum() == 1797
    assert X.sum() == 561718.0
    # Content digests of the exact arrays, recorded in bplib/datasets/README.md.
    assert hashlib.sha256(X.astype(np.uint8).tobytes()).hexdigest() == (
        "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3"
    )
    assert hashlib.sha256(y.astype(np.uint8).tobytes()).hexdigest() == (
        "8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0"
    )
    # The digits' corner pixels are blank in every image: a trap for naive standardization.
    assert (X.std(axis=0) == 0).sum() == 3


def test_load_digits_returns_fresh_arrays():
    X1, _ = data.load_digits()
    X1[:] = -1
    X2, _ = data.load_digits()
    assert X2.min() == 0.0


def test_bplib_data_never_imports_sklearn():
    code = (
        "import sys, bplib.data as d; d.load_digits(); d.moons(); "
        "assert not any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules), 'sklearn imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# ----------------------------------------------------------------------------------------
# IDX files
# ----------------------------------------------------------------------------------------
_TYPE_CODES = {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}


def idx_bytes(arr: np.ndarray) -> bytes:
    """Write ``arr`` in IDX format: the test's own, independent encoder."""
    code = _TYPE_CODES[arr.dtype.str[1:]]
    header = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def test_read_idx_mnist_like_header_bytes():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = idx_bytes(images)
    assert raw[:4] == b"\x00\x00\x08\x03"  # magic 0x00000803
    assert raw[4:16] == b"\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04"
    labels = np.array([7, 2, 1], dtype=np.uint8)
    assert idx_bytes(labels)[:4] == b"\x00\x00\x08\x01"  # magic 0x00000801
    out = data.read_idx(raw)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, images)
    out[0, 0, 0] = 99  # the result is writable, not a view into immutable bytes


def test_read_idx_raw_and_gz_files(tmp_path):
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    raw_path = tmp_path / "labels-idx1-ubyte"
    gz_path = tmp_path / "labels-idx1-ubyte.gz"
    raw_path.write_bytes(idx_bytes(labels))
    gz_path.write_bytes(gzip.compress(idx_bytes(labels)))
    np.testing.assert_array_equal(data.read_idx(raw_path), labels)
    np.testing.assert_array_equal(data.read_idx(str(gz_path)), labels)
    # gzip is recognised by its magic bytes, whatever the file is called
    odd_name = tmp_path / "labels.bin"
    odd_name.write_bytes(gzip.compress(idx_bytes(labels)))
    np.testing.assert_array_equal(data.read_idx(odd_name), labels)
    np.testing.assert_array_equal(data.read_idx(gz_path.read_bytes()), labels)


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from(sorted(_TYPE_CODES)),
    shape=st.lists(st.integers(0, 5), min_size=1, max_size=4),
    compress=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_read_idx_round_trip(dtype, shape, compress, seed):
    rng = np.random.default_rng(seed)
    arr = (rng.standard_normal(shape) * 100).astype(dtype)
    raw = idx_bytes(arr)
    out = data.read_idx(gzip.compress(raw) if compress else raw)
    assert out.shape == tuple(shape) and out.dtype == np.dtype(dtype)
    assert out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize(
    "raw, match",
    [
        (b"\x00\x00\x08", "truncated IDX file"),
        (b"\x01\x02\x08\x01" + b"\x00\x00\x00\x01" + b"\x05", "bad IDX magic number 0x01020801"),
        (b"\x00\x00\x07\x01" + b"\x00\x00\x00\x01" + b"\x05", "bad IDX magic number 0x00000701"),
        (b"\x00\x00\x08\x00", "bad IDX magic number"),
        (b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02", "truncated IDX header"),
    ],
)
def test_read_idx_rejects_bad_headers(raw, match):
    with pytest.raises(ValueError, match=match):
        data.read_idx(raw)


def test_read_idx_rejects_truncated_and_padded_data(tmp_path):
    raw = idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"truncated IDX file.*\(3, 28, 28\)"):
        data.read_idx(raw[:-1])
    with pytest.raises(ValueError, match="trailing bytes"):
        data.read_idx(raw + b"\x00")
    # A download cut short: the gzip stream ends early.
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(raw)[:-20])
    with pytest.raises(ValueError, match="truncated gzip"):
        data.read_idx(path)
    fake = tmp_path / "not-really.gz"
    fake.write_bytes(raw)
    with pytest.raises(ValueError, match="not gzip-compressed"):
        data.read_idx(fake)
    with pytest.raises(ValueError, match="path"):
        data.read_idx(12345)


# ----------------------------------------------------------------------------------------
# load_mnist: cache and checksums, with the downloader monkeypatched (no network)
# ----------------------------------------------------------------------------------------
def _fake_mnist_files(n_train: int = 6, n_test: int = 4) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    files = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(images))
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(labels))
    return files


@pytest.fixture
def fake_mnist(monkeypatch):
    """Serve fake MNIST files from memory and record every download attempt."""
    files = _fake_mnist_files()
    for name, content in files.items():
        monkeypatch.setitem(data.MNIST_SHA256, name, hashlib.sha256(content).hexdigest())
    served = dict(files)  # what the "server" returns; tests may corrupt entries
    calls: list[str] = []

    def fake_download(url, dest):
        calls.append(url)
        dest.write_bytes(served[url.rsplit("/", 1)[1]])

    def no_network(*args, **kwargs):
        raise AssertionError("test tried to use the network")

    monkeypatch.setattr("bplib.data.mnist._download", fake_download)
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    return files, served, calls


def test_mnist_constants_are_sha256_digests():
    assert set(data.MNIST_SHA256) == {
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    }
    for digest in data.MNIST_SHA256.values():
        assert len(digest) == 64 and int(digest, 16) >= 0
    assert all(url.startswith("https://") and url.endswith("/") for url in data.MNIST_MIRRORS)


def test_load_mnist_downloads_once_then_uses_cache(fake_mnist, tmp_path):
    files, _, calls = fake_mnist
    cache = tmp_path / "nested" / "mnist"  # created on demand
    X, y = data.load_mnist(cache)
    assert X.shape == (6, 28, 28) and X.dtype == np.uint8
    assert y.shape == (6,) and y.dtype == np.int64
    np.testing.assert_array_equal(X, data.read_idx(files["train-images-idx3-ubyte.gz"]))
    assert [u.rsplit("/", 1)[1] for u in calls] == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert calls[0].startswith(data.MNIST_MIRRORS[0])
    assert sorted(p.name for p in cache.iterdir()) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]

    calls.clear()
    X2, y2 = data.load_mnist(str(cache))
    assert calls == []  # verified cache: no download at all
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)

    Xt, yt = data.load_mnist(cache, kind="test")
    assert Xt.shape == (4, 28, 28) and yt.shape == (4,)
    assert len(calls) == 2


def test_load_mnist_replaces_corrupt_cached_file(fake_mnist, tmp_path):
    files, _, calls = fake_mnist
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(b"half a download")
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(files["train-images-idx3-ubyte.gz"])
    X, y = data.load_mnist(tmp_path)
    assert [u.rsplit("/", 1)[1] for u in calls] == ["train-labels-idx1-ubyte.gz"]
    assert (tmp_path / "train-labels-idx1-ubyte.gz").read_bytes() == files["train-labels-idx1-ubyte.gz"]
    assert len(y) == len(X) == 6


def test_load_mnist_tries_next_mirror_after_bad_checksum(fake_mnist, tmp_path, monkeypatch):
    files, _, calls = fake_mnist
    good = files["train-images-idx3-ubyte.gz"]

    def flaky_download(url, dest):
        calls.append(url)
        name = url.rsplit("/", 1)[1]
        dest.write_bytes(b"<html>mirror error page</html>" if url.startswith("https://bad/") else files[name])

    monkeypatch.setattr("bplib.data.mnist._download", flaky_download)
    X, _ = data.load_mnist(tmp_path, mirrors=["https://bad/", "https://good/"])
    assert calls[:2] == ["https://bad/train-images-idx3-ubyte.gz", "https://good/train-images-idx3-ubyte.gz"]
    assert (tmp_path / "train-images-idx3-ubyte.gz").read_bytes() == good
    assert X.shape == (6, 28, 28)


def test_load_mnist_checksum_mismatch_raises_and_leaves_no_file(fake_mnist, tmp_path):
    _, served, _ = fake_mnist
    served["train-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(np.zeros((6, 28, 28), np.uint8)))
    with pytest.raises(data.ChecksumError, match="SHA-256") as info:
        data.load_mnist(tmp_path)
    assert isinstance(info.value, ValueError)
    for mirror in data.MNIST_MIRRORS:  # every mirror was tried and is named in the message
        assert mirror + "train-images-idx3-ubyte.gz" in str(info.value)
    assert list(tmp_path.iterdir()) == []  # neither the bad file nor a .part is left behind


def test_load_mnist_network_failure_is_connection_error(tmp_path, monkeypatch):
    def offline(url, dest):
        dest.write_bytes(b"partial")
        raise OSError("network unreachable")

    monkeypatch.setattr("bplib.data.mnist._download", offline)
    with pytest.raises(ConnectionError, match="network unreachable"):
        data.load_mnist(tmp_path, kind="test")
    assert list(tmp_path.iterdir()) == []


def test_load_mnist_real_downloader_with_local_file_mirror(tmp_path, monkeypatch):
    # The real _download (urllib) fetching from a file:// "mirror": no network involved.
    files = _fake_mnist_files()
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, content in files.items():
        (mirror / name).write_bytes(content)
        monkeypatch.setitem(data.MNIST_SHA256, name, hashlib.sha256(content).hexdigest())
    X, y = data.load_mnist(tmp_path / "cache", kind="test", mirrors=mirror.as_uri() + "/")
    assert X.shape == (4, 28, 28) and y.shape == (4,)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]


def test_load_mnist_rejects_inconsistent_files(fake_mnist, tmp_path, monkeypatch):
    _, served, _ = fake_mnist
    bad_labels = gzip.compress(idx_bytes(np.zeros(5, np.uint8)))  # 5 labels for 6 images
    served["train-labels-idx1-ubyte.gz"] = bad_labels
    monkeypatch.setitem(data.MNIST_SHA256, "train-labels-idx1-ubyte.gz", hashlib.sha256(bad_labels).hexdigest())
    with pytest.raises(ValueError, match=r"expected labels of shape \(6,\)"):
        data.load_mnist(tmp_path)


def test_load_mnist_rejects_bad_kind(tmp_path):
    with pytest.raises(ValueError, match='"train" or "test"'):
        data.load_mnist(tmp_path, kind="validation")


# ----------------------------------------------------------------------------------------
# minibatches
# ----------------------------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(n=st.integers(0, 60), batch_size=st.integers(1, 70), shuffle=st.booleans(), seed=st.integers(0, 1000))
def test_minibatches_cover_every_sample_exactly_once(n, batch_size, shuffle, seed):
    X = np.arange(n * 3, dtype=np.float64).reshape(n, 3)
    y = np.arange(n)
    batches = list(data.minibatches(X, y, batch_size, shuffle=shuffle, rng=np.random.default_rng(seed)))
    sizes = [len(yb) for _, yb in batches]
    assert len(batches) == -(-n // batch_size)
    assert all(s == batch_size for s in sizes[:-1])
    if n:
        assert 1 <= sizes[-1] <= batch_size
    seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], dtype=int)
    np.testing.assert_array_equal(np.sort(seen), y)  # each index exactly once
    if not shuffle:
        np.testing.assert_array_equal(seen, y)
    for Xb, yb in batches:  # rows stay paired with their labels
        np.testing.assert_array_equal(Xb[:, 0], 3 * yb)


def test_minibatches_shuffle_reproducibility():
    X, y = np.zeros((50, 2)), np.arange(50)
    order = lambda **kw: np.concatenate([yb for _, yb in data.minibatches(X, y, 8, **kw)])  # noqa: E731
    np.testing.assert_array_equal(order(), order())  # default is seeded
    assert not np.array_equal(order(), y)  # ... and does shuffle
    rng = np.random.default_rng(0)
    assert not np.array_equal(order(rng=rng), order(rng=rng))  # one Generator: new order per epoch


def test_minibatches_errors_are_raised_at_call_time():
    with pytest.raises(ValueError, match=r"same number of samples.*\(5, 2\).*\(4,\)"):
        data.minibatches(np.zeros((5, 2)), np.zeros(4), 2)  # no next() needed
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        data.minibatches(np.zeros((5, 2)), np.zeros(5), 0)
    with pytest.raises(ValueError, match="rng must be None, an int seed"):
        data.minibatches(np.zeros((5, 2)), np.zeros(5), 2, shuffle=False, rng=np.random.RandomState(0))


# ----------------------------------------------------------------------------------------
# train_test_split
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("test_size, n_test", [(0.2, 20), (0.25, 25), (0.333, 34), (7, 7), (1, 1), (99, 99)])
def test_split_sizes_disjoint_and_complete(test_size, n_test):
    X = np.arange(200, dtype=np.float64).reshape(100, 2)
    y = np.arange(100)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=test_size)
    assert len(X_te) == len(y_te) == n_test
    assert len(X_tr) == len(y_tr) == 100 - n_test
    assert set(y_tr).isdisjoint(y_te)
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_te])), y)
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)  # rows stay paired
    np.testing.assert_array_equal(X_te[:, 0], 2 * y_te)


def test_split_reproducible_and_seeded():
    X, y = data.moons()
    a = data.train_test_split(X, y)
    b = data.train_test_split(X, y)
    c = data.train_test_split(X, y, rng=1)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[3], c[3]) or not np.array_equal(a[1], c[1])
    d = data.train_test_split(X, y, rng=np.random.default_rng(7))
    e = data.train_test_split(X, y, rng=7)
    np.testing.assert_array_equal(d[1], e[1])


def test_split_stratified_keeps_class_proportions():
    X, y = data.load_digits()
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.2, stratify=True)
    assert len(y_te) == 360  # ceil(0.2 * 1797)
    full = np.bincount(y, minlength=10)
    test_counts = np.bincount(y_te, minlength=10)
    # each class's share of the test set is within one sample of its exact share
    assert np.all(np.abs(test_counts - full * 360 / 1797) < 1)
    np.testing.assert_array_equal(np.bincount(y_tr, minlength=10) + test_counts, full)
    assert not np.all(np.diff(y_te) >= 0)  # not left sorted by class
    # Works with a small unbalanced problem too, total size exact.
    yy = np.array([0] * 9 + [1] * 3)
    *_, yy_tr, yy_te = data.train_test_split(np.zeros((12, 1)), yy, test_size=4, stratify=True)
    np.testing.assert_array_equal(np.bincount(yy_te), [3, 1])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"test_size": 0.0}, r"in \(0, 1\)"),
        ({"test_size": 1.0}, r"in \(0, 1\)"),
        ({"test_size": 10}, r"in \[1, 9\]"),
        ({"test_size": 0}, r"in \[1, 9\]"),
        ({"test_size": True}, "float in"),
        ({"test_size": "20%"}, "float in"),
    ],
)
def test_split_rejects_bad_test_size(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.train_test_split(np.zeros((10, 2)), np.zeros(10), **kwargs)


def test_split_rejects_mismatched_lengths_and_bad_stratify_labels():
    with pytest.raises(ValueError, match="same number of samples"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(ValueError, match=r"integer class labels y of shape \(N,\)"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(10), stratify=True)


# ----------------------------------------------------------------------------------------
# standardize
# ----------------------------------------------------------------------------------------
def test_standardize_uses_train_statistics_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal(5.0, 3.0, size=(200, 4))
    X_test = rng.normal(-2.0, 0.5, size=(50, 4))
    X_tr_s, X_te_s, mean, std = data.standardize(X_train, X_test)
    np.testing.assert_allclose(X_tr_s.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X_tr_s.std(axis=0), 1.0)
    np.testing.assert_allclose(mean, X_train.mean(axis=0))
    np.testing.assert_allclose(std, X_train.std(axis=0))
    np.testing.assert_allclose(X_te_s, (X_test - X_train.mean(0)) / X_train.std(0))
    assert np.all(X_te_s.mean(axis=0) < -1.5)  # NOT re-centred on the test set's own mean
    assert X_tr_s.dtype == X_te_s.dtype == np.float64


def test_standardize_train_only_return_form():
    X = np.array([[1, 10], [3, 30]])  # ints are accepted and become float64
    X_s, mean, std = data.standardize(X)
    np.testing.assert_array_equal(X_s, [[-1.0, -1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(mean, [2.0, 20.0])
    np.testing.assert_array_equal(std, [1.0, 10.0])


def test_standardize_constant_columns_give_no_nan():
    X, y = data.load_digits()
    X_tr, X_te, _, _ = data.train_test_split(X, y)
    X_tr_s, X_te_s, mean, std = data.standardize(X_tr, X_te)
    assert np.isfinite(X_tr_s).all() and np.isfinite(X_te_s).all()
    const = X_tr.std(axis=0) == 0
    assert const.any()
    assert np.all(X_tr_s[:, const] == 0.0)
    assert np.all(std[const] == 1.0)
    np.testing.assert_allclose(X_tr_s[:, ~const].std(axis=0), 1.0)
    # The returned statistics reproduce the transform on new data.
    np.testing.assert_allclose((X_te - mean) / std, X_te_s)


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.zeros(5),), r"X_train must have shape \(N, D\)"),
        ((np.zeros((2, 3, 4)),), r"X_train must have shape \(N, D\)"),
        ((np.zeros((5, 3)), np.zeros((5, 2))), r"X_test must have shape \(M, 3\)"),
        ((np.zeros((0, 3)),), "N >= 1"),
        ((np.array([["a", "b"]]),), "dtype"),
    ],
)
def test_standardize_rejects_bad_shapes(args, match):
    with pytest.raises(ValueError, match=match):
        data.standardize(*args)


# ----------------------------------------------------------------------------------------
# one_hot
# ----------------------------------------------------------------------------------------
def test_one_hot_values_and_round_trip():
    y = np.array([2, 0, 1, 2])
    Y = data.one_hot(y)
    assert Y.shape == (4, 3) and Y.dtype == np.float64
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(Y.argmax(axis=1), y)
    assert data.one_hot(y, num_classes=5).shape == (4, 5)
    assert data.one_hot([], num_classes=3).shape == (0, 3)
    _, digits = data.load_digits()
    np.testing.assert_array_equal(data.one_hot(digits).argmax(axis=1), digits)
    np.testing.assert_array_equal(data.one_hot(digits.astype(np.uint8)).sum(axis=1), 1.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=50))
def test_one_hot_round_trip_property(labels):
    Y = data.one_hot(labels)
    assert Y.shape == (len(labels), max(labels) + 1)
    np.testing.assert_array_equal(Y.sum(axis=1), 1.0)
    np.testing.assert_array_equal(Y.argmax(axis=1), labels)


@pytest.mark.parametrize(
    "labels, kwargs, match",
    [
        (np.array([0.0, 1.0]), {}, "integers of shape"),
        (np.array([True, False]), {}, "integers of shape"),
        (np.array([0, 3]), {"num_classes": 3}, r"in \[0, 3\)"),
        (np.array([-1, 0]), {}, r"in \[0, "),
        (np.eye(3, dtype=int), {}, r"shape \(N,\).*argmax"),
        (np.array(3), {}, r"shape \(N,\)"),
        (np.array([0, 1]), {"num_classes": 0}, "num_classes must be an int >= 1"),
        ([], {}, "num_classes must be given"),
    ],
)
def test_one_hot_rejects_bad_labels(labels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.one_hot(labels, **kwargs)


# ---- shift_images: augmentation by small shifts ------------------------------------------------

from bplib.data import shift_images  # noqa: E402

_shift = st.integers(-7, 7)


@settings(max_examples=60, deadline=None)
@given(dy=_shift, dx=_shift, seed=st.integers(0, 2**16))
def test_shift_moves_every_pixel_and_fills_with_zero(dy, dx, seed):
    images = np.random.default_rng(seed).random((3, 5, 6)) + 1  # no zeros: a 0 means "filled"
    out = shift_images(images, dy, dx)
    assert out.shape == images.shape and out.dtype == images.dtype
    for r in range(5):
        for c in range(6):
            source = (r - dy, c - dx)
            inside = 0 <= source[0] < 5 and 0 <= source[1] < 6
            expected = images[:, source[0], source[1]] if inside else 0.0
            np.testing.assert_array_equal(out[:, r, c], expected, err_msg=f"pixel ({r}, {c}) for dy={dy}, dx={dx}")


def test_shift_leaves_its_input_alone_and_round_trips_the_interior():
    images = np.arange(2 * 4 * 4, dtype=np.float64).reshape(2, 4, 4)
    before = images.copy()
    back = shift_images(shift_images(images, 1, -1), -1, 1)
    np.testing.assert_array_equal(images, before)
    np.testing.assert_array_equal(back[:, :3, 1:], images[:, :3, 1:])  # what never left the frame
    assert shift_images(images.astype(np.float32), 1, 1).dtype == np.float32


@pytest.mark.parametrize("images, dy, dx, expected", [
    (np.zeros((2, 64)), 1, 0, r"\(N, H, W\)"),
    (np.zeros((2, 8, 8)), 1.5, 0, "dy must be an int"),
    (np.zeros((2, 8, 8)), 0, True, "dx must be an int"),
])
def test_shift_refuses_what_it_cannot_shift(images, dy, dx, expected):
    with pytest.raises(ValueError, match=expected):
        shift_images(images, dy, dx)
