"""Data augmentation for images: :func:`shift_images`, new training examples for free.

A digit moved by a pixel is still the same digit, so shifted copies of the training images
teach the network that the class does not depend on the exact position.
"""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array


def shift_images(images, dy: int, dx: int) -> np.ndarray:
    """Move every image dy pixels down and dx pixels right, filling the uncovered border with 0.

    Pixels pushed past the edge are lost (they do not wrap round to the other side, as
    ``np.roll`` would make them: a stroke leaving on the right must not appear on the left).
    Negative shifts move up and left.

    Parameters
    ----------
    images : ndarray of shape (N, H, W)
        A batch of single-channel images, e.g. ``X.reshape(-1, 8, 8)`` for the digits.
    dy, dx : int
        The shift in rows (down) and in columns (right); ``|dy| >= H`` or ``|dx| >= W`` gives
        blank images.

    Returns
    -------
    ndarray of shape (N, H, W), the input's float dtype
        A new array; ``images`` is not modified.
    """
    images = as_float_array(images, "images")
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W); got shape {images.shape} "
                         "(reshape flat digits with X.reshape(-1, 8, 8))")
    for name, shift in (("dy", dy), ("dx", dx)):
        if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)):
            raise ValueError(f"{name} must be an int number of pixels; got {shift!r}")
    _, height, width = images.shape
    shifted = np.zeros_like(images)
    # Source rows [max(0, -dy), H - max(0, dy)) land on [max(0, dy), H - max(0, -dy)); columns alike.
    rows_to = slice(max(0, dy), max(0, height + min(0, dy)))
    rows_from = slice(max(0, -dy), max(0, height - max(0, dy)))
    cols_to = slice(max(0, dx), max(0, width + min(0, dx)))
    cols_from = slice(max(0, -dx), max(0, width - max(0, dx)))
    shifted[:, rows_to, cols_to] = images[:, rows_from, cols_from]
    return shifted
