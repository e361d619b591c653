"""The 8x8 handwritten digits, shipped inside bplib: no download, no scikit-learn."""
from __future__ import annotations

import io
from importlib import resources

import numpy as np

_DIGITS_RESOURCE = ("datasets", "digits.npz")


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 8x8 handwritten digits (UCI "Optical Recognition of Handwritten Digits").

    The same data as scikit-learn's ``load_digits`` (the UCI optdigits test set, about 180
    images per digit), stored as ``bplib/datasets/digits.npz`` (CC BY 4.0, E. Alpaydin and
    C. Kaynak, see ``bplib/datasets/README.md``).

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
