"""Datasets and data plumbing for the Backprop course.

Everything here is plain numpy (plus the standard library), batch-first and float64 by
default, so that a student can read every line:

* toy generators -- :func:`linear`, :func:`xor`, :func:`spirals`, :func:`moons`,
  :func:`circles` -- all seeded, so the same call gives the same data on every machine;
* real data -- :func:`load_digits` (the 8x8 UCI digits, shipped inside the package) and
  :func:`load_mnist` (downloaded once into a cache directory and checked by SHA-256),
  with :func:`read_idx` as the parser for MNIST's IDX file format;
* plumbing -- :func:`minibatches`, :func:`train_test_split`, :func:`standardize`,
  :func:`one_hot`.

Randomness
----------
Every random function takes ``seed`` (an int, default 0) and/or ``rng`` (a
``numpy.random.Generator``). ``rng`` wins when both are given. The default seed makes every
call reproducible; pass one Generator through a whole experiment when you want successive
calls to differ (for example a new minibatch order in every epoch).
"""
from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import shutil
import urllib.request
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = [
    "linear",
    "xor",
    "spirals",
    "moons",
    "circles",
    "load_digits",
    "load_mnist",
    "read_idx",
    "minibatches",
    "train_test_split",
    "standardize",
    "one_hot",
    "ChecksumError",
    "MNIST_MIRRORS",
    "MNIST_SHA256",
]


# ----------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------
def _make_rng(seed: int, rng: np.random.Generator | None) -> np.random.Generator:
    """Return ``rng`` if given, else a fresh Generator seeded with ``seed``.

    A fresh ``default_rng(seed)`` per call (rather than numpy's global state) is what makes
    ``spirals()`` return the same points in every notebook, whatever ran before it.
    """
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                f"rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)) or None; "
                f"got {type(rng).__name__}"
            )
        return rng
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int; got {type(seed).__name__}")
    return np.random.default_rng(seed)


def _check_count(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise ValueError if it is not an int >= ``minimum``."""
    # bool is a subclass of int; xor(n=True) is surely a mistake, so refuse it.
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value}")
    return int(value)


def _check_noise(noise, name: str = "noise") -> float:
    noise = float(noise)
    if not noise >= 0.0:  # also catches NaN
        raise ValueError(f"{name} must be a float >= 0; got {noise}")
    return noise


# ----------------------------------------------------------------------------------------
# Toy generators
# ----------------------------------------------------------------------------------------
def linear(
    n: int = 100,
    slope: float = 2.0,
    intercept: float = 1.0,
    noise: float = 0.1,
    seed: int = 0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Noisy points on a line, ``y = slope * x + intercept + noise * N(0, 1)``.

    The first dataset of the course: a single linear neuron should recover ``slope`` and
    ``intercept`` up to the noise.

    Parameters
    ----------
    n : int
        Number of points.
    slope, intercept : float
        The true line.
    noise : float
        Standard deviation of the Gaussian noise added to ``y``.
    seed : int
        Seed used when ``rng`` is None.
    rng : numpy.random.Generator, optional
        Source of randomness; overrides ``seed``.

    Returns
    -------
    X : ndarray of shape (n, 1), float64
        Inputs drawn uniformly from [-1, 1].
    y : ndarray of shape (n, 1), float64
        Targets. A column, not shape (n,), so that ``y - X @ w`` cannot broadcast to (n, n).
    """
    n = _check_count(n, "n")
    noise = _check_noise(noise)
    gen = _make_rng(seed, rng)
    X = gen.uniform(-1.0, 1.0, size=(n, 1))
    y = slope * X + intercept + noise * gen.standard_normal((n, 1))
    return X, y


# The four XOR corners and their labels: the class is 1 exactly when the two bits differ.
_XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_Y = np.array([0, 1, 1, 0], dtype=np.int64)


def xor(
    n: int | None = None,
    noise: float = 0.0,
    seed: int = 0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: the smallest dataset a single linear layer cannot separate.

    Parameters
    ----------
    n : int or None
        None (default) gives exactly the four corners (0,0), (0,1), (1,0), (1,1), in that
        order. An int ``n >= 4`` gives ``n`` points cycling through the four corners (so the
        corners get ``n // 4`` or ``n // 4 + 1`` points each), each jittered by ``noise``.
    noise : float
        Standard deviation of Gaussian jitter added to every coordinate. With the default
        0.0 the result is fully deterministic.
    seed : int
        Seed used when ``rng`` is None.
    rng : numpy.random.Generator, optional
        Source of randomness; overrides ``seed``.

    Returns
    -------
    X : ndarray of shape (4, 2) or (n, 2), float64
    y : ndarray of shape (4,) or (n,), int64
        Labels in {0, 1}: 1 when the two coordinates' corners differ.
    """
    noise = _check_noise(noise)
    if n is None:
        corner = np.arange(4)
    else:
        corner = np.arange(_check_count(n, "n", minimum=4)) % 4
    X = _XOR_X[corner].copy()
    y = _XOR_Y[corner].copy()
    if noise > 0.0:
        X += noise * _make_rng(seed, rng).standard_normal(X.shape)
    return X, y


def spirals(
    n: int = 100,
    classes: int = 3,
    noise: float = 0.2,
    seed: int = 0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class (the CS231n "spiral" dataset).

    Arm ``k`` has radius going linearly from 0 to 1 while its angle goes from ``4k`` to
    ``4(k + 1)`` radians, plus Gaussian noise on the angle. No linear classifier separates
    the arms; a small hidden layer does.

    Parameters
    ----------
    n : int
        Number of points PER CLASS (the total is ``n * classes``).
    classes : int
        Number of arms / classes, >= 2.
    noise : float
        Standard deviation of the Gaussian noise on the angle (radians).
    seed : int
        Seed used when ``rng`` is None.
    rng : numpy.random.Generator, optional
        Source of randomness; overrides ``seed``.

    Returns
    -------
    X : ndarray of shape (n * classes, 2), float64
        Points inside the unit disc, grouped by class (class 0 first).
    y : ndarray of shape (n * classes,), int64
        Labels in ``[0, classes)``, exactly ``n`` of each.
    """
    n = _check_count(n, "n")
    classes = _check_count(classes, "classes", minimum=2)
    noise = _check_noise(noise)
    gen = _make_rng(seed, rng)
    X = np.empty((n * classes, 2))
    y = np.repeat(np.arange(classes, dtype=np.int64), n)
    r = np.linspace(0.0, 1.0, n)
    for k in range(classes):
        t = np.linspace(4.0 * k, 4.0 * (k + 1), n) + noise * gen.standard_normal(n)
        X[k * n : (k + 1) * n, 0] = r * np.sin(t)
        X[k * n : (k + 1) * n, 1] = r * np.cos(t)
    return X, y


def moons(
    n: int = 200,
    noise: float = 0.1,
    seed: int = 0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles ("moons").

    Class 0 is the upper half of the unit circle centred at (0, 0); class 1 is the lower
    half circle centred at (1, 0.5). Same geometry as scikit-learn's ``make_moons``.

    Parameters
    ----------
    n : int
        Total number of points, >= 2; class 0 gets ``n // 2``, class 1 the rest.
    noise : float
        Standard deviation of Gaussian noise added to every coordinate.
    seed : int
        Seed used when ``rng`` is None.
    rng : numpy.random.Generator, optional
        Source of randomness; overrides ``seed``.

    Returns
    -------
    X : ndarray of shape (n, 2), float64
        Points grouped by class (class 0 first); shuffle with :func:`minibatches` or
        :func:`train_test_split`.
    y : ndarray of shape (n,), int64
        Labels in {0, 1}.
    """
    n = _check_count(n, "n", minimum=2)
    noise = _check_noise(noise)
    gen = _make_rng(seed, rng)
    n0 = n // 2
    n1 = n - n0
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.vstack([upper, lower])
    y = np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n1, dtype=np.int64)])
    X += noise * gen.standard_normal(X.shape)
    return X, y


def circles(
    n: int = 200,
    noise: float = 0.05,
    factor: float = 0.5,
    seed: int = 0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: a dataset that needs a non-linear decision boundary.

    Parameters
    ----------
    n : int
        Total number of points, >= 2; the outer circle (class 0) gets ``n // 2``, the
        inner circle (class 1) the rest.
    noise : float
        Standard deviation of Gaussian noise added to every coordinate.
    factor : float
        Radius of the inner circle relative to the outer one (radius 1), in (0, 1).
    seed : int
        Seed used when ``rng`` is None.
    rng : numpy.random.Generator, optional
        Source of randomness; overrides ``seed``.

    Returns
    -------
    X : ndarray of shape (n, 2), float64
        Points grouped by class (class 0 first).
    y : ndarray of shape (n,), int64
        Labels in {0, 1}: 0 = outer circle, 1 = inner circle.
    """
    n = _check_count(n, "n", minimum=2)
    noise = _check_noise(noise)
    factor = float(factor)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be a float in (0, 1); got {factor}")
    gen = _make_rng(seed, rng)
    n0 = n // 2
    n1 = n - n0
    # endpoint=False: angle 2*pi is angle 0, and a duplicated point would be a wasted sample.
    t0 = np.linspace(0.0, 2.0 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0.0, 2.0 * np.pi, n1, endpoint=False)
    outer = np.column_stack([np.cos(t0), np.sin(t0)])
    inner = factor * np.column_stack([np.cos(t1), np.sin(t1)])
    X = np.vstack([outer, inner])
    y = np.concatenate([np.zeros(n0, dtype=np.int64), np.ones(n1, dtype=np.int64)])
    X += noise * gen.standard_normal(X.shape)
    return X, y


# ----------------------------------------------------------------------------------------
# The 8x8 digits, shipped with the package
# ----------------------------------------------------------------------------------------
_DIGITS_RESOURCE = ("datasets", "digits.npz")


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 8x8 handwritten digits (UCI "Optical Recognition of Handwritten Digits").

    The same data as scikit-learn's ``load_digits`` -- the UCI optdigits test set, 1797
    images, about 180 per digit -- stored inside bplib as ``bplib/datasets/digits.npz``
    (CC BY 4.0, E. Alpaydin and C. Kaynak, see ``bplib/datasets/README.md``), so it needs no
    download and no scikit-learn.

    Returns
    -------
    X : ndarray of shape (1797, 64), float64
        Each row is one 8x8 image flattened row by row; pixel values are integers 0..16
        (counts of "on" pixels in 4x4 blocks of the original 32x32 bitmaps).
        ``X[i].reshape(8, 8)`` gives the picture back.
    y : ndarray of shape (1797,), int64
        The digit, 0..9.
    """
    # importlib.resources instead of a path built from __file__: it also works when bplib is
    # installed from a wheel or imported from a zip file.
    resource = resources.files("bplib").joinpath(*_DIGITS_RESOURCE)
    with np.load(io.BytesIO(resource.read_bytes())) as archive:
        images = archive["images"]  # uint8, shape (1797, 8, 8)
        labels = archive["labels"]  # uint8, shape (1797,)
    X = images.reshape(len(images), -1).astype(np.float64)
    y = labels.astype(np.int64)
    return X, y


# ----------------------------------------------------------------------------------------
# IDX files (the MNIST format)
# ----------------------------------------------------------------------------------------
# IDX magic number: two zero bytes, one byte naming the element type, one byte giving the
# number of dimensions. Then one big-endian uint32 per dimension, then the data, big-endian.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path_or_bytes: str | os.PathLike | bytes | bytearray | memoryview) -> np.ndarray:
    """Parse an IDX file (the format MNIST is distributed in), gzipped or not.

    Parameters
    ----------
    path_or_bytes : str, os.PathLike, or bytes-like
        A file path, or the file's contents. Gzip compression is recognised by its magic
        bytes (``1f 8b``), so both ``train-images-idx3-ubyte.gz`` and the unpacked
        ``train-images-idx3-ubyte`` work.

    Returns
    -------
    ndarray
        Shape given by the file's header, e.g. (60000, 28, 28) for MNIST images
        (magic 0x00000803) or (60000,) for labels (magic 0x00000801); dtype uint8 for
        MNIST (the other IDX element types int8, int16, int32, float32, float64 are read
        too, converted to native byte order).

    Raises
    ------
    ValueError
        If the magic number is wrong, the gzip stream is corrupt or the file is shorter
        (or longer) than its header says.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        raw = bytes(path_or_bytes)
        source = "IDX data"
    elif isinstance(path_or_bytes, (str, os.PathLike)):
        source = os.fspath(path_or_bytes)
        raw = Path(source).read_bytes()
        if source.endswith(".gz") and not raw.startswith(_GZIP_MAGIC):
            raise ValueError(f"{source}: name ends in .gz but the file is not gzip-compressed")
    else:
        raise ValueError(
            f"read_idx expects a path (str or os.PathLike) or bytes; got {type(path_or_bytes).__name__}"
        )

    if raw.startswith(_GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, gzip.BadGzipFile) as exc:
            # EOFError is what a truncated download gives; re-raise as the ValueError callers expect.
            raise ValueError(f"{source}: corrupt or truncated gzip stream ({exc})") from exc

    if len(raw) < 4:
        raise ValueError(f"{source}: truncated IDX file, only {len(raw)} bytes (the header needs at least 4)")
    zero1, zero2, type_code, ndim = raw[0], raw[1], raw[2], raw[3]
    magic = int.from_bytes(raw[:4], "big")
    if zero1 != 0 or zero2 != 0 or type_code not in _IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{source}: bad IDX magic number 0x{magic:08X}; expected 0x0000TTDD with type byte TT "
            f"in {{08, 09, 0B, 0C, 0D, 0E}} and DD >= 1 dimensions "
            f"(e.g. 0x00000803 for images, 0x00000801 for labels)"
        )
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise ValueError(
            f"{source}: truncated IDX header; {ndim} dimensions need {header_len} bytes, got {len(raw)}"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_DTYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize
    payload = len(raw) - header_len
    if payload < expected:
        raise ValueError(
            f"{source}: truncated IDX file; header says shape {shape} of {dtype.name} "
            f"({expected} data bytes) but only {payload} bytes follow"
        )
    if payload > expected:
        # Extra bytes mean the header and the data disagree: better to stop than guess.
        raise ValueError(
            f"{source}: IDX file has {payload - expected} unexpected trailing bytes after "
            f"shape {shape} of {dtype.name}"
        )
    data = np.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=header_len)
    # astype copies into native byte order and gives a writable array (frombuffer's is read-only).
    return data.reshape(shape).astype(dtype.newbyteorder("="))


# ----------------------------------------------------------------------------------------
# MNIST download with a checksum-verified cache
# ----------------------------------------------------------------------------------------
MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
"""Base URLs tried in order (the original yann.lecun.com site often refuses downloads)."""

MNIST_SHA256: dict[str, str] = {
    # The well-known digests of the original gzipped files (sizes 9,912,422 / 28,881 /
    # 1,648,877 / 4,542 bytes), as also listed by tensorflow-datasets' url_checksums/mnist.txt.
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
"""SHA-256 of each MNIST file; a download or cached file that differs is rejected."""

_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class ChecksumError(ValueError):
    """A downloaded file's SHA-256 does not match the expected digest."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, dest: Path) -> None:
    """Copy ``url`` to the file ``dest``. Tests replace this function to stay offline."""
    request = urllib.request.Request(url, headers={"User-Agent": "bplib (Backprop course)"})
    with urllib.request.urlopen(request, timeout=60) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out)


def _fetch_verified(filename: str, cache_dir: Path, mirrors: Sequence[str]) -> Path:
    """Return the path of a cached copy of ``filename`` whose SHA-256 is correct.

    A verified cached file is used as is (no network). Otherwise each mirror is tried in
    turn; the download goes to a ``.part`` file that is renamed into place only after its
    checksum matches, so an interrupted or corrupted download never poisons the cache.
    """
    expected = MNIST_SHA256[filename]
    target = cache_dir / filename
    if target.is_file():
        if _sha256(target) == expected:
            return target
        # A stale or half-written file from an older run: throw it away and download again.
        target.unlink()

    failures: list[str] = []
    checksum_failed = False
    for base in mirrors:
        url = base.rstrip("/") + "/" + filename
        part = target.with_name(filename + ".part")
        try:
            _download(url, part)
        except OSError as exc:  # URLError, HTTPError, timeouts and disk errors are OSErrors
            part.unlink(missing_ok=True)
            failures.append(f"{url}: {exc}")
            continue
        actual = _sha256(part)
        if actual != expected:
            part.unlink(missing_ok=True)
            checksum_failed = True
            failures.append(f"{url}: SHA-256 {actual} but expected {expected}")
            continue
        os.replace(part, target)  # atomic: the cache only ever holds verified files
        return target

    details = "\n  ".join(failures) if failures else "no mirrors given"
    if checksum_failed:
        raise ChecksumError(
            f"could not get a verified copy of {filename}; downloaded data did not match "
            f"its SHA-256 checksum:\n  {details}"
        )
    raise ConnectionError(f"could not download {filename} from any mirror:\n  {details}")


def load_mnist(
    cache_dir: str | os.PathLike,
    kind: str = "train",
    *,
    mirrors: Sequence[str] = MNIST_MIRRORS,
) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST, downloading the two needed files into ``cache_dir`` the first time.

    Each file is checked against :data:`MNIST_SHA256`. When a cached file already has the
    right checksum nothing is downloaded, so after the first call this works offline.

    Parameters
    ----------
    cache_dir : str or os.PathLike
        Directory for the ``*.gz`` files (about 11 MB for ``"train"``); created if missing.
    kind : {"train", "test"}
        ``"train"`` gives the 60000 training images, ``"test"`` the 10000 test images.
    mirrors : sequence of str
        Base URLs tried in order; defaults to :data:`MNIST_MIRRORS`.

    Returns
    -------
    X : ndarray of shape (N, 28, 28), uint8
        Raw pixel values 0..255, kept as bytes to save memory (60000 images as float64
        would take 376 MB). For a network, use e.g.
        ``X.reshape(len(X), -1).astype(np.float64) / 255.0`` -> shape (N, 784).
    y : ndarray of shape (N,), int64
        The digit, 0..9.

    Raises
    ------
    ValueError
        If ``kind`` is not "train" or "test", or a file does not parse as the expected IDX.
    ChecksumError
        (a ValueError) if no mirror delivers a file with the right SHA-256.
    ConnectionError
        If every mirror fails to deliver the file at all.
    """
    if kind not in _MNIST_FILES:
        raise ValueError(f'kind must be "train" or "test"; got {kind!r}')
    if isinstance(mirrors, str):  # a bare string would be iterated character by character
        mirrors = (mirrors,)
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)

    image_file, label_file = _MNIST_FILES[kind]
    X = read_idx(_fetch_verified(image_file, cache, mirrors))
    y = read_idx(_fetch_verified(label_file, cache, mirrors))
    if X.ndim != 3 or X.shape[1:] != (28, 28) or X.dtype != np.uint8:
        raise ValueError(f"{image_file}: expected uint8 images of shape (N, 28, 28); got {X.dtype} {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"{label_file}: expected labels of shape ({len(X)},); got {y.shape}")
    return X, y.astype(np.int64)


# ----------------------------------------------------------------------------------------
# Plumbing: batches, splits, scaling, one-hot
# ----------------------------------------------------------------------------------------
def _check_pair(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"X and y must be arrays with the samples along axis 0, e.g. X (N, D) and y (N,); "
            f"got X {X.shape} and y {y.shape}"
        )
    if len(X) != len(y):
        raise ValueError(
            f"X and y must have the same number of samples (axis 0); got X {X.shape} and y {y.shape}"
        )
    return X, y


def minibatches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    shuffle: bool = True,
    rng: np.random.Generator | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Iterate over ``(X_batch, y_batch)`` pairs covering every sample exactly once.

    Parameters
    ----------
    X : ndarray of shape (N, ...)
        Inputs, samples along axis 0.
    y : ndarray of shape (N, ...)
        Targets, same N.
    batch_size : int
        Samples per batch, >= 1. The last batch holds the remaining ``N % batch_size``
        samples when N is not a multiple (it is not dropped, so no sample is ever skipped).
    shuffle : bool
        Visit the samples in a random order (the usual choice for SGD) instead of 0..N-1.
    rng : numpy.random.Generator, optional
        Source of the shuffle. None means ``np.random.default_rng(0)``: reproducible, but
        then every call gives the SAME order. For a new order in every epoch create one
        Generator before the epoch loop and pass it to every call.

    Yields
    ------
    X_batch : ndarray of shape (B, ...)
    y_batch : ndarray of shape (B, ...)
        ``B == batch_size`` except possibly for the last batch.

    Raises
    ------
    ValueError
        Immediately (not at the first ``next``) if ``len(X) != len(y)`` or
        ``batch_size < 1``.
    """
    # Validate here, outside the generator: a generator function's body would only run at
    # the first next(), so the error would surface far from the faulty call.
    X, y = _check_pair(X, y)
    batch_size = _check_count(batch_size, "batch_size")
    if shuffle:
        order = _make_rng(0, rng).permutation(len(X))
    else:
        order = np.arange(len(X))
    return _batches(X, y, order, batch_size)


def _batches(X: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int):
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    test_size: float | int = 0.2,
    seed: int = 0,
    stratify: bool = False,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split into a training and a test part (same order of outputs as sklearn).

    Parameters
    ----------
    X : ndarray of shape (N, ...)
        Inputs, samples along axis 0.
    y : ndarray of shape (N, ...)
        Targets, same N. With ``stratify=True`` y must be integer class labels of shape (N,).
    test_size : float or int
        A float in (0, 1) is the fraction of samples for the test set (rounded up, like
        scikit-learn); an int in [1, N - 1] is the exact number of test samples.
    seed : int
        Seed used when ``rng`` is None.
    stratify : bool
        Keep the class proportions of ``y`` in both parts (each class contributes its share
        of the test set, rounded so that the total is still the requested size).
    rng : numpy.random.Generator, optional
        Source of randomness; overrides ``seed``.

    Returns
    -------
    X_train : ndarray of shape (N - n_test, ...)
    X_test : ndarray of shape (n_test, ...)
    y_train : ndarray of shape (N - n_test, ...)
    y_test : ndarray of shape (n_test, ...)
        Disjoint, and together exactly the original samples, each part in random order.
    """
    X, y = _check_pair(X, y)
    n = len(X)
    if n < 2:
        raise ValueError(f"need at least 2 samples to split; got X {X.shape}")
    if isinstance(test_size, bool):
        raise ValueError(f"test_size must be a float in (0, 1) or an int in [1, {n - 1}]; got {test_size!r}")
    if isinstance(test_size, (int, np.integer)):
        n_test = int(test_size)
        if not 1 <= n_test <= n - 1:
            raise ValueError(f"test_size as an int must be in [1, {n - 1}] for {n} samples; got {n_test}")
    elif isinstance(test_size, (float, np.floating)):
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a float must be in (0, 1); got {test_size}")
        # ceil like scikit-learn, then clip so both parts stay non-empty.
        n_test = min(max(math.ceil(test_size * n), 1), n - 1)
    else:
        raise ValueError(f"test_size must be a float in (0, 1) or an int in [1, {n - 1}]; got {test_size!r}")

    gen = _make_rng(seed, rng)
    if not stratify:
        perm = gen.permutation(n)
        test_idx, train_idx = perm[:n_test], perm[n_test:]
    else:
        if y.ndim != 1 or y.dtype.kind not in "iub":
            raise ValueError(
                f"stratify=True needs integer class labels y of shape (N,); got {y.dtype} {y.shape}"
            )
        classes, y_idx = np.unique(y, return_inverse=True)
        counts = np.bincount(y_idx, minlength=len(classes))
        # Largest-remainder rounding: every class gets floor(its exact share), then the seats
        # still missing go to the classes with the largest fractional parts, so the class
        # shares are as close as possible AND the total is exactly n_test.
        exact = counts * n_test / n
        per_class = np.floor(exact).astype(np.int64)
        missing = n_test - int(per_class.sum())
        if missing > 0:
            # stable sort + negation: ties go to the lower class index, deterministically
            per_class[np.argsort(-(exact - per_class), kind="stable")[:missing]] += 1
        test_parts, train_parts = [], []
        for c in range(len(classes)):
            members = gen.permutation(np.flatnonzero(y_idx == c))
            test_parts.append(members[: per_class[c]])
            train_parts.append(members[per_class[c] :])
        # Shuffle again so that neither part is ordered by class.
        test_idx = gen.permutation(np.concatenate(test_parts))
        train_idx = gen.permutation(np.concatenate(train_parts))
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def standardize(
    X_train: np.ndarray,
    X_test: np.ndarray | None = None,
    eps: float = 1e-8,
):
    """Scale every feature to zero mean and unit variance, using TRAINING statistics only.

    The test set is transformed with the training mean and std, never its own: computing
    them on the test data would leak information about it into the model.

    Parameters
    ----------
    X_train : ndarray of shape (N, D)
    X_test : ndarray of shape (M, D), optional
    eps : float
        Features whose training std is below ``eps`` (constant columns, e.g. the digits'
        always-blank corner pixels) are only centred: their std is taken as 1, so they
        become 0 instead of 0/0 = NaN.

    Returns
    -------
    ``standardize(X_train)`` returns ``(X_train_s, mean, std)``;
    ``standardize(X_train, X_test)`` returns ``(X_train_s, X_test_s, mean, std)``, where

    X_train_s : ndarray of shape (N, D), float64
    X_test_s : ndarray of shape (M, D), float64
    mean : ndarray of shape (D,), float64
        Per-feature training mean.
    std : ndarray of shape (D,), float64
        Per-feature training std with the near-zero ones replaced by 1, so that
        ``(X_new - mean) / std`` applies exactly the same transformation to new data.
    """
    X_train = _as_2d_float(X_train, "X_train")
    if len(X_train) == 0:
        raise ValueError("X_train must have shape (N, D) with N >= 1; got 0 samples")
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std < eps, 1.0, std)
    X_train_s = (X_train - mean) / std
    if X_test is None:
        return X_train_s, mean, std
    X_test = _as_2d_float(X_test, "X_test")
    if X_test.shape[1] != X_train.shape[1]:
        raise ValueError(
            f"X_test must have shape (M, {X_train.shape[1]}) like X_train {X_train.shape}; got {X_test.shape}"
        )
    return X_train_s, (X_test - mean) / std, mean, std


def _as_2d_float(X, name: str) -> np.ndarray:
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a real numeric array of shape (N, D); got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(
            f"{name} must have shape (N, D); got shape {X.shape} "
            f"(flatten images first, e.g. X.reshape(len(X), -1))"
        )
    return X.astype(np.float64)


def one_hot(labels: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Turn integer class labels into one-hot rows.

    Parameters
    ----------
    labels : array_like of shape (N,), integer
        Class indices in ``[0, num_classes)``.
    num_classes : int, optional
        Number of classes C. Default: ``labels.max() + 1``. Pass it explicitly when a batch
        might not contain the largest class, or the width would change from batch to batch.

    Returns
    -------
    ndarray of shape (N, C), float64
        Row i is all zeros except a 1.0 in column ``labels[i]``; ``one_hot(y).argmax(1)``
        gives ``y`` back.

    Raises
    ------
    ValueError
        If labels are not 1-D, not of an integer dtype, or outside ``[0, num_classes)``.
    """
    labels = np.asarray(labels)
    if labels.size == 0 and labels.dtype.kind == "f":
        labels = labels.astype(np.int64)  # np.asarray([]) is float64; an empty list is fine
    if labels.ndim != 1:
        raise ValueError(
            f"labels must have shape (N,); got shape {labels.shape}"
            + (" (already one-hot? use labels.argmax(axis=1))" if labels.ndim == 2 else "")
        )
    if labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be integers of shape (N,); got dtype {labels.dtype} "
            f"(convert class indices with labels.astype(np.int64))"
        )
    if num_classes is None:
        if labels.size == 0:
            raise ValueError("num_classes must be given when labels is empty")
        num_classes = int(labels.max()) + 1
    num_classes = _check_count(num_classes, "num_classes")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels must be in [0, {num_classes}) for num_classes={num_classes}; "
            f"got values from {labels.min()} to {labels.max()}"
        )
    out = np.zeros((labels.size, num_classes), dtype=np.float64)
    out[np.arange(labels.size), labels] = 1.0
    return out
