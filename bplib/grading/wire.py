"""The judge and the sandboxed submission talk in plain data: this module is that language.

One message is one line of JSON. Numbers, strings, lists and dicts travel as themselves;
a numpy array travels as its dtype and shape in the JSON and its raw bytes after the line:
a message with arrays is announced by a line ``#n1,n2,...`` giving the length of each array's
bytes, then comes its JSON line, then the bytes, where the JSON has ``{"$b": i}`` for array i.
(Base64 inside the JSON cost four times as much as the computation it carried.) Nothing is
ever pickled, so a message can carry values but never code: whatever a submission does to its
own process, what reaches the judge is data that ``decode`` has checked.

An object that is not plain data (a student's class, a layer the judge hands over) stays
where it lives and travels as a *handle*: ``{"$h": 12}`` for one of the submission's
objects, ``{"$j": 3}`` for one of the judge's. Each side keeps its own table of handles.

This file is copied into the sandbox next to the worker, so it imports nothing from bplib.
"""
from __future__ import annotations

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


class Raw:
    """An array's bytes, sent after the message's JSON line (see the module's docstring)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


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
        return {"$nd": Raw(data.tobytes()), "dtype": data.dtype.name, "shape": list(data.shape)}
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
        raw = data["$nd"]
        if type(raw) is not bytes or len(raw) != math.prod(shape) * np.dtype(dtype).itemsize:
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
        raws: list[bytes] = []

        def raw_bytes(value: Any) -> dict:
            if type(value) is not Raw:
                raise TypeError(f"a {type(value).__name__} is not plain data")
            raws.append(value.data)
            return {"$b": len(raws) - 1}

        line = json.dumps(message, separators=(",", ":"), allow_nan=False, default=raw_bytes).encode() + b"\n"
        if raws:
            line = b"#" + ",".join(str(len(r)) for r in raws).encode() + b"\n" + line + b"".join(raws)
        view = memoryview(line)
        try:
            while view:
                view = view[os.write(self.write_fd, view):]
        except OSError as error:
            raise Closed(f"could not write: {error}") from None

    def receive(self, deadline: float | None = None, on_wait: Callable[[], None] | None = None) -> dict:
        """The next message. ``on_wait`` runs about twice a second while waiting (and may raise)."""
        while True:
            message = self._complete_message()
            if message is not None:
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

    def _complete_message(self) -> dict | None:
        """The first message in the buffer, taken out of it, once all of it has arrived."""
        end = self._buffer.find(b"\n")
        if end < 0:
            return None
        lengths: list[int] = []
        if self._buffer[:1] == b"#":  # the lengths of the arrays' bytes that follow the JSON line
            try:
                lengths = [int(n) for n in bytes(self._buffer[1:end]).split(b",")]
            except ValueError:
                raise Closed("sent a malformed header") from None
            if any(n < 0 for n in lengths) or sum(lengths) > MAX_MESSAGE_BYTES or len(lengths) > MAX_ITEMS:
                raise Closed("sent a malformed header")
            start = end + 1
            end = self._buffer.find(b"\n", start)
            if end < 0 or len(self._buffer) < end + 1 + sum(lengths):
                return None  # more to come
            header = end - start
        else:
            start, header = 0, end
        try:
            message = json.loads(bytes(self._buffer[start:start + header]))
        except ValueError:
            raise Closed("sent a line that is not JSON") from None
        raws, offset = [], end + 1
        for n in lengths:
            raws.append(bytes(self._buffer[offset:offset + n]))
            offset += n
        del self._buffer[:offset]
        if type(message) is not dict:
            raise Closed("sent JSON that is not a message")
        return _with_bytes(message, raws) if raws else message


def _with_bytes(data: Any, raws: list[bytes], depth: int = 0) -> Any:
    """The parsed JSON with each {"$b": i} replaced by the bytes of array i (decode checks them)."""
    if depth > MAX_DEPTH + 2:
        raise Closed("sent a message nested too deeply")
    if type(data) is list:
        return [_with_bytes(v, raws, depth + 1) for v in data]
    if type(data) is dict:
        if len(data) == 1 and "$b" in data:
            i = data["$b"]
            if type(i) is not int or not 0 <= i < len(raws):
                raise Closed("sent a malformed array reference")
            return raws[i]
        return {k: _with_bytes(v, raws, depth + 1) for k, v in data.items()}
    return data
