"""Reading IDX, the file format of MNIST.

An IDX file starts with a magic number: two zero bytes, one byte naming the element type, one
byte giving the number of dimensions. Then one big-endian uint32 per dimension, then the
data, big-endian.
"""
from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np

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
        A file path, or the file's contents. Gzip is recognised by its magic bytes
        (``1f 8b``), so both ``train-images-idx3-ubyte.gz`` and the unpacked
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
