"""The judge and the sandboxed submission talk in plain data: this module is that language.

One message is one line of JSON. Numbers, strings, lists and dicts travel as themselves;
a numpy array travels as its dtype, shape and raw bytes (base64). Nothing is ever pickled, so
a message can carry values but never code: whatever a submission does to its own process,
what reaches the judge is data that ``decode`` has checked.

An object that is not plain data (a student's class, a layer the judge hands over) stays
where it lives and travels as a *handle*: ``{"$h": 12}`` for one of the submission's
objects, ``{"$j": 3}`` for one of the judge's. Each side keeps its own table of handles.

This file is copied into the sandbox next to the worker, so it imports nothing from bplib.
"""
from __future__ import annotations

import base64
import json
import math
import os
import select
import time
from typing import Any, Callable

import numpy as np

# Array dtypes that are plain numbers: an object or structured array is not data.
PLAIN_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"]
)
MAX_MESSAGE_BYTES = 64 << 20  # one reply; a submission that sends more has broken the protocol
MAX_ITEMS = 100_000  # entries of one list or dict
MAX_DEPTH = 20  # nesting of lists and dicts


class WireError(ValueError):
    """A message that is not well-formed plain data."""


def _float(x: float) -> Any:
    # JSON has no inf or NaN, but a wrong answer may well hold them.
    return x if math.isfinite(x) else {"$f": repr(x)}


def encode(value: Any, handle: Callable[[Any], dict] | None = None, depth: int = 0) -> Any:
    """``value`` as JSON-ready plain data; objects that are not data go through ``handle``.

    ``handle(obj)`` returns the handle dict for ``obj`` (or raises TypeError if ``obj`` may not
    travel).
    """
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return _float(value)
    if type(value) is np.ndarray and value.dtype.name in PLAIN_DTYPES:
        data = np.ascontiguousarray(value)
        return {"$nd": base64.b64encode(data.tobytes()).decode("ascii"), "dtype": data.dtype.name, "shape": list(data.shape)}
    if isinstance(value, np.generic) and type(value).__module__ == "numpy" and value.dtype.name in PLAIN_DTYPES:
        return {"$np": value.dtype.name, "v": encode(value.item())}
    if type(value) in (list, tuple):
        if len(value) > MAX_ITEMS:
            raise WireError(f"a sequence of {len(value)} items")
        items = [encode(v, handle, depth + 1) for v in value]
        return items if type(value) is list else {"$tuple": items}
    if type(value) is dict and all(type(k) is str for k in value):
        if len(value) > MAX_ITEMS:
            raise WireError(f"a dict of {len(value)} items")
        return {"$dict": {k: encode(v, handle, depth + 1) for k, v in value.items()}}
    if handle is None:
        raise TypeError(f"a {type(value).__name__} is not plain data")
    return handle(value)


def decode(data: Any, resolve: Callable[[dict], Any] | None = None, depth: int = 0) -> Any:
    """The value that ``encode`` made; handles go through ``resolve(dict)``.

    Raises WireError on anything that ``encode`` cannot have produced.
    """
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        if len(data) > MAX_ITEMS:
            raise WireError("too many items")
        return [decode(v, resolve, depth + 1) for v in data]
    if type(data) is not dict or len(data) == 0:
        raise WireError("not plain data")
    if "$nd" in data:
        dtype, shape = data.get("dtype"), data.get("shape")
        if dtype not in PLAIN_DTYPES or type(shape) is not list or not all(type(s) is int and 0 <= s for s in shape):
            raise WireError("a malformed array")
        raw = base64.b64decode(data["$nd"], validate=True)
        if len(raw) != math.prod(shape) * np.dtype(dtype).itemsize:
            raise WireError("an array whose bytes do not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if "$np" in data:
        if data["$np"] not in PLAIN_DTYPES:
            raise WireError("a malformed scalar")
        return np.dtype(data["$np"]).type(decode(data["v"], None, depth + 1))
    if "$f" in data:
        if data["$f"] not in ("inf", "-inf", "nan"):
            raise WireError("a malformed float")
        return float(data["$f"])
    if "$tuple" in data:
        return tuple(decode(data["$tuple"], resolve, depth + 1))
    if "$dict" in data and type(data["$dict"]) is dict:
        return {str(k): decode(v, resolve, depth + 1) for k, v in data["$dict"].items()}
    if resolve is None:
        raise WireError("a handle where only data may travel")
    return resolve(data)


class Closed(Exception):
    """The other side is gone, or it broke the protocol."""


class Channel:
    """One line of JSON each way, over a pair of file descriptors, with a deadline on reads."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd, self.write_fd = read_fd, write_fd
        self._buffer = bytearray()

    def send(self, message: dict) -> None:
        line = json.dumps(message, separators=(",", ":"), allow_nan=False).encode() + b"\n"
        view = memoryview(line)
        try:
            while view:
                view = view[os.write(self.write_fd, view):]
        except OSError as error:
            raise Closed(f"could not write: {error}") from None

    def receive(self, deadline: float | None = None, on_wait: Callable[[], None] | None = None) -> dict:
        """The next message. ``on_wait`` runs about twice a second while waiting (and may raise)."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end])
                del self._buffer[: end + 1]
                try:
                    message = json.loads(line)
                except ValueError:
                    raise Closed("sent a line that is not JSON") from None
                if type(message) is not dict:
                    raise Closed("sent JSON that is not a message")
                return message
            if len(self._buffer) > MAX_MESSAGE_BYTES:
                raise Closed(f"sent a message larger than {MAX_MESSAGE_BYTES >> 20} MiB")
            wait = 0.5 if deadline is None else max(0.0, min(0.5, deadline - time.monotonic()))
            ready, _, _ = select.select([self.read_fd], [], [], wait)
            if ready:
                try:
                    chunk = os.read(self.read_fd, 1 << 20)
                except OSError as error:
                    raise Closed(f"could not read: {error}") from None
                if not chunk:
                    raise Closed("closed the connection")
                self._buffer += chunk
                continue
            if on_wait is not None:
                on_wait()
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError("no answer in time")
