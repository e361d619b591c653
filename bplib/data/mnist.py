"""MNIST, downloaded once into a cache directory and checked by SHA-256."""
from __future__ import annotations

import hashlib
import os
import shutil
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .idx import read_idx

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
        target.unlink()  # stale or half-written by an older run: download again

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

    Each file is checked against :data:`MNIST_SHA256`. A cached file with the right
    checksum is not downloaded again, so after the first call this works offline.

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
