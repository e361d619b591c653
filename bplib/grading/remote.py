"""The judge's view of a submission running in its sandbox: objects held at arm's length.

``Connection`` sends requests to the worker (``worker.py``) and waits for the reply, serving
on the way the calls that the submission makes back to objects the judge handed it. Every
reply is decoded by ``wire.decode``: only plain data and handles come back.

``Remote`` stands for one object of the submission. Calling it, reading an attribute or
iterating over it is a request; the result is plain data (a fresh array, a float) or
another ``Remote``. So the exercise definitions drive a remote class exactly as they drive a
local one, and the same checks serve the student's notebook and the judge.

Three helpers write the few operations that differ between the two worlds: ``hand_over``
(give an object of the judge's to the student's code), ``assign_into`` and ``add_into``
(change an array attribute in place, as an optimizer test must).
"""
from __future__ import annotations

import builtins
import inspect
import itertools
import time
import types
from typing import Any, Callable

import numpy as np

from . import wire


class _Refused(Exception):
    """A reference asked for while the checks run."""


class RemoteError(Exception):
    """An exception raised by the student's code in the sandbox, re-created here as data."""

    student_frames: list = []


class ReferenceUnavailable(RemoteError):
    """The student's code called a bplib reference, which the sandbox does not provide."""


class StudentTimeout(Exception):
    """The student's code ran past its time limit; the sandbox was stopped."""


class WorkerLost(Exception):
    """The sandboxed process died or broke the protocol; nothing more can be asked of it."""


# Exceptions that come back as themselves, so that the checks' ``except`` clauses and their
# hints (NotImplementedError: unfinished; FloatingPointError: overflow) work unchanged.
_BUILTIN_ERRORS = {
    name: getattr(builtins, name) for name in (
        "ValueError", "TypeError", "IndexError", "KeyError", "AttributeError", "ZeroDivisionError",
        "FloatingPointError", "OverflowError", "ArithmeticError", "NotImplementedError", "RuntimeError",
        "RecursionError", "MemoryError", "AssertionError", "NameError", "UnboundLocalError", "LookupError",
        "StopIteration",
    )
}
_student_error_types: dict[str, type] = {}


def _rebuild_error(data: Any) -> Exception:
    if type(data) is not dict:
        return WorkerLost("the submission sent a malformed error")
    name = str(data.get("type", "Exception"))[:100]
    message = str(data.get("message", ""))[:2000]
    if data.get("reference"):
        error: Exception = ReferenceUnavailable(message)
    elif name in _BUILTIN_ERRORS:
        error = _BUILTIN_ERRORS[name](message)
    else:
        if name not in _student_error_types:  # keep the student's type name for the message
            _student_error_types[name] = type(name if name.isidentifier() else "Error", (RemoteError,), {})
        error = _student_error_types[name](message)
    frames = data.get("frames")
    error.student_frames = [tuple(f) for f in frames if type(f) is list and len(f) == 4] if type(frames) is list else []
    return error


class Connection:
    """Requests to one sandboxed worker, with time limits that load cannot break.

    Parameters
    ----------
    channel : wire.Channel to the worker
    cpu_seconds : callable returning the CPU time the sandbox has used so far; a limit counts
        CPU seconds, so that a correct submission never runs out of time because the machine
        is busy. A wall-clock limit of ``wall_factor`` times as much stops code that sleeps.
    """

    def __init__(self, channel: wire.Channel, cpu_seconds: Callable[[], float], on_lost: Callable[[], None],
                 wall_factor: float = 4.0) -> None:
        self.channel, self.cpu_seconds, self.on_lost, self.wall_factor = channel, cpu_seconds, on_lost, wall_factor
        self.alive = True
        self.lost_reason = ""
        self._ids = itertools.count(1)
        self._remotes: dict[int, Remote] = {}
        self.exposed: dict[int, Any] = {}  # the judge's objects that the submission may call now
        self._exposed_ids: dict[int, int] = {}
        self._next_exposed = itertools.count(1)  # never reused: the worker caches its proxies by id
        self.timeout = 60.0
        # bplib's reference functions, which the judge computes for the notebook's own cells
        # (demonstrations, fit's accuracy) but never while a check runs
        self.references: dict[str, Callable] = {}
        self.references_open = False

    # ---- requests

    def request(self, op: str, timeout: float | None = None, **fields) -> Any:
        """Send one request and return its decoded value; raise what the student's code raised."""
        if not self.alive:
            raise WorkerLost(self.lost_reason)
        limit = self.timeout if timeout is None else timeout
        number = next(self._ids)
        try:
            self.channel.send({"op": op, "id": number, **fields})
            start_wall = last_check = time.monotonic()
            start_cpu: list[float] = []

            def over_time() -> None:
                # Reading the sandbox's CPU time walks /proc (a millisecond), so it is read twice
                # a second, not per message: most requests end before the first reading, and
                # the count starts there (the CPU time before it, at most half a second per
                # core, is not counted).
                nonlocal last_check
                last_check = time.monotonic()
                if not start_cpu:
                    start_cpu.append(self.cpu_seconds())
                if self.cpu_seconds() - start_cpu[0] > limit or last_check - start_wall > limit * self.wall_factor:
                    raise TimeoutError

            while True:
                message = self.channel.receive(on_wait=over_time)
                if message.get("re") == number:
                    break
                if "cb" not in message:
                    raise wire.Closed("sent an answer to a question not asked")
                self._serve_callback(message)
                if time.monotonic() - last_check >= 0.5:  # a cell that calls back without pause
                    over_time()
        except TimeoutError:
            self._lose(f"it ran for more than {limit:g} s")
            raise StudentTimeout(f"ran for more than {limit:g} s of computing time") from None
        except (wire.Closed, wire.WireError) as error:
            self._lose(str(error))
            raise WorkerLost(self.lost_reason) from None
        if "error" in message:
            raise _rebuild_error(message["error"])
        try:
            return self.decode(message.get("value"))
        except (wire.WireError, KeyError, TypeError, ValueError) as error:
            raise WorkerLost(f"the submission sent malformed data ({error})") from None

    def _lose(self, reason: str) -> None:
        self.alive, self.lost_reason = False, reason
        self.on_lost()

    def _serve_callback(self, message: dict) -> None:
        """The student's code called one of the judge's objects: compute, answer with data."""
        reply: dict = {"cb_re": message.get("cb")}
        if "reference" in message:
            self._serve_reference(message, reply)
            self.channel.send(reply)
            return
        try:
            target = self.exposed[message["target"]]
            args, kwargs = self.decode(message.get("args", [])), self.decode(message.get("kwargs", {}))
            if type(args) is not list or type(kwargs) is not dict:
                raise wire.WireError("malformed arguments")
            method = message.get("method")
            if method is None:
                result = target(*args, **kwargs)
            elif method == "forward":
                result = target.forward(*args)
            elif method == "backward":
                dx = target.backward(*args)
                result = (dx, [p.grad for p in target.parameters()])
            elif method == "train" and len(args) == 1 and type(args[0]) is bool and not kwargs:
                target.train(args[0])  # a container passes its mode on (Residual.eval())
                result = None
            elif method in ("zero_grad", "step") and not args and not kwargs and hasattr(target, "zero_grad"):
                getattr(target, method)()  # a layer's or an optimizer's: the gradients live here
                result = None
            elif method == "zero_grad" and len(args) == 1 and type(args[0]) is int and not kwargs:
                target.parameters()[args[0]].zero_grad()  # one parameter's, p.zero_grad() in the student's loop
                result = None
            else:
                raise wire.WireError("not a method the grader offers")
            reply["value"] = self.encode(result)
        except Exception as error:  # a bad call from the student's code fails that call only
            reply["error"] = f"{type(error).__name__}: {error}"[:500]
        self.channel.send(reply)

    def _serve_reference(self, message: dict, reply: dict) -> None:
        """A reference function for the notebook's own cells, computed here (see sandbox.py)."""
        try:
            result = self._call_reference(message)
        except _Refused as refusal:
            reply["error"] = str(refusal)
            return
        except Exception as error:  # bad arguments fail this call only, as bplib's would
            reply["error"] = f"{type(error).__name__}: {error}"[:500]
            return
        if isinstance(result, types.GeneratorType):  # minibatches: its batches, as a list
            result = list(itertools.islice(result, wire.MAX_ITEMS))
        try:
            reply["value"] = self.encode(result)
        except (TypeError, wire.WireError) as error:
            reply["error"] = f"{type(error).__name__}: {error}"[:500]

    def _local_parameters(self, args: Any) -> tuple[Any, Any]:
        """The sandbox's Parameters among a reference's arguments (or in a list argument) as
        local copies, and a function that writes what the reference changed back: two round
        trips per Parameter, instead of one for every attribute the reference touches."""
        from ..layers import Parameter

        copies: list[tuple] = []

        def local(value: Any) -> Any:
            if isinstance(value, Remote) and value._info.get("type") == "Parameter":
                p = Parameter(np.array(value.value, dtype=np.float64))
                p.grad[...] = value.grad
                copies.append((value, p, p.value.copy(), p.grad.copy()))
                return p
            if type(value) is list:
                return [local(v) for v in value]
            return value

        def write_back() -> None:
            for remote, p, value, grad in copies:
                for attr, before in (("value", value), ("grad", grad)):
                    if not np.array_equal(getattr(p, attr), before):
                        assign_into(remote, attr, getattr(p, attr))

        return (local(args) if type(args) is list else args), write_back

    def _call_reference(self, message: dict) -> Any:
        name = message.get("reference")
        if not self.references_open or name not in self.references:
            raise _Refused(f"{name} is an exercise of this assignment: "
                           "bplib's version of it is not available while it is graded")
        arguments = self.decode(message.get("kwargs", {}))
        reference = self.references[name]
        if type(arguments) is dict and "$args" in arguments:  # a call through grading.or_reference
            args, write_back = self._local_parameters(arguments["$args"])
            result = reference(*args, **arguments.get("$kwargs", {}))
            write_back()
            return result
        args, kwargs = [], {}  # else the locals() of a stripped bplib function: bind them by name
        for parameter in inspect.signature(reference).parameters.values():
            if parameter.name not in arguments:
                continue
            value = arguments[parameter.name]
            if parameter.kind is parameter.POSITIONAL_ONLY:
                args.append(value)
            elif parameter.kind is parameter.VAR_POSITIONAL:
                args.extend(value)
            elif parameter.kind is parameter.VAR_KEYWORD:
                kwargs.update(value)
            else:
                kwargs[parameter.name] = value
        return reference(*args, **kwargs)

    # ---- encoding and decoding

    def encode(self, value: Any) -> Any:
        return wire.encode(value, self._handle_for_worker)

    def _handle_for_worker(self, obj: Any) -> dict:
        if isinstance(obj, Remote):
            if obj._connection is not self:
                raise WorkerLost("an object of an earlier run of the submission")
            return {"$h": obj._id}
        if isinstance(obj, np.random.Generator):
            return {"$rng": wire.encode(obj.bit_generator.state)}
        if isinstance(obj, np.ufunc):
            return {"$ufunc": obj.__name__}
        from ..layers import Layer, Parameter

        if isinstance(obj, Parameter):
            raise TypeError("hand a Parameter over with hand_over(), so that it lives in the sandbox")
        if isinstance(obj, Layer):
            params = [[p.name, wire.encode(p.value)] for p in obj.parameters()]
            return {"$j": self._expose(obj), "kind": "layer", "name": type(obj).__name__, "params": params}
        from ..optim import Optimizer

        if isinstance(obj, Optimizer):  # it steps the judge's own parameters (a GAN's training step)
            return {"$j": self._expose(obj), "kind": "optimizer", "name": type(obj).__name__}
        if callable(obj):
            return {"$j": self._expose(obj), "kind": "function", "name": getattr(obj, "__name__", type(obj).__name__)}
        raise TypeError(f"a {type(obj).__name__} cannot be handed to the submission")

    def _expose(self, obj: Any) -> int:
        if id(obj) not in self._exposed_ids or self.exposed.get(self._exposed_ids[id(obj)]) is not obj:
            number = next(self._next_exposed)
            self._exposed_ids[id(obj)], self.exposed[number] = number, obj
        return self._exposed_ids[id(obj)]

    def forget_exposed(self) -> None:
        """After each check: the objects handed over for it can no longer be called."""
        self.exposed.clear()
        self._exposed_ids.clear()

    def decode(self, data: Any) -> Any:
        return wire.decode(data, self._resolve)

    def _resolve(self, ref: dict) -> Any:
        if "$h" in ref and type(ref["$h"]) is int:
            remote = self._remotes.get(ref["$h"])
            if remote is None:
                remote = self._remotes[ref["$h"]] = Remote(self, ref["$h"], ref)
            return remote
        if "$j" in ref and ref["$j"] in self.exposed:
            return self.exposed[ref["$j"]]
        raise wire.WireError("an unknown handle")

    def pin(self, name: str) -> Any:
        """The object that the notebook name holds now (a Remote, or plain data), or MISSING."""
        found = self.request("pin", name=name)
        return MISSING if type(found) is dict and found.get("missing") else found["object"]


MISSING = object()


class Remote:
    """One object of the submission, used through requests to its sandbox."""

    __slots__ = ("_connection", "_id", "_info", "__weakref__")

    def __init__(self, connection: Connection, handle: int, info: dict) -> None:
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_id", handle)
        object.__setattr__(self, "_info", info)

    def __call__(self, *args, **kwargs) -> Any:
        # The check's numpy error policy (raise on overflow, or ignore) applies over there too.
        reply = self._connection.request("call", target=self._ref(), args=self._connection.encode(list(args)),
                                         kwargs=self._connection.encode(kwargs), errstate=wire.encode(np.geterr()),
                                         return_args=True)
        # Write back what the call did to array arguments, so that a check can see that a
        # function changed its input (misconception 14), as it would in the same process.
        for sent, returned in zip(args, reply.get("args") or ()):
            if (type(sent) is np.ndarray and type(returned) is np.ndarray and returned.shape == sent.shape
                    and sent.flags.writeable):
                sent[...] = returned.astype(sent.dtype, copy=False)
        return reply["result"]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # Python's own probes (__array__, __len__ ...) stay here
        return self._connection.request("getattr", target=self._ref(), name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._connection.request("setattr", target=self._ref(), name=name, value=self._connection.encode(value))

    def __iter__(self):
        return iter(self._connection.request("iterate", target=self._ref()))

    def __deepcopy__(self, memo) -> "Remote":
        return self  # the object lives in the sandbox; a check's copy of its inputs shares it

    def __copy__(self) -> "Remote":
        return self

    def _ref(self) -> dict:
        return {"$h": self._id}

    @property
    def __name__(self) -> str:
        return str(self._info.get("name") or self._info.get("type") or "object")

    @property
    def __signature__(self) -> inspect.Signature | None:
        params = self._info.get("params")
        if type(params) is not list:
            return None
        try:
            return inspect.Signature([
                inspect.Parameter(str(name), getattr(inspect.Parameter, str(kind)),
                                  default=(inspect.Parameter.empty if "$empty" in default
                                           else wire.decode(default["$value"])))
                for name, kind, default in params
            ])
        except (TypeError, ValueError, AttributeError, KeyError, wire.WireError):
            return None

    def members(self) -> set[str]:
        """Names defined by the object's class (for a class, or a method of an object)."""
        members = self._info.get("members")
        return {str(m) for m in members} if type(members) is list else set()

    def notebook_globals(self) -> list[str]:
        names = self._connection.request("globals", target=self._ref())
        return [str(n) for n in names] if type(names) is list else []

    def __repr__(self) -> str:
        return f"<{self._info.get('kind', 'object')} {self.__name__} in the sandbox>"


# ---- the operations that differ between the notebook's process and the judge


def hand_over(student: Any, obj: Any) -> Any:
    """``obj`` as the student's code should receive it.

    In the notebook's own process that is ``obj`` itself. Facing a sandboxed submission, a
    Parameter is created over there (the student's optimizer updates it in place), and other
    objects (layers, functions) go as handles that call back to the judge.
    """
    if not isinstance(student, Remote):
        return obj
    from ..layers import Parameter

    if isinstance(obj, Parameter):
        return student._connection.request("new_parameter", value=wire.encode(obj.value), name=obj.name)
    return obj  # encoded as a callback handle when it travels


def assign_into(obj: Any, attr: str, value: np.ndarray) -> None:
    """``obj.attr[...] = value``: overwrite an array attribute in place."""
    if isinstance(obj, Remote):
        obj._connection.request("inplace", target=obj._ref(), name=attr, how="assign", value=wire.encode(value))
    else:
        getattr(obj, attr)[...] = value


def add_into(obj: Any, attr: str, value: np.ndarray) -> None:
    """``obj.attr += value``, in place, as a backward pass adds into ``p.grad``."""
    if isinstance(obj, Remote):
        obj._connection.request("inplace", target=obj._ref(), name=attr, how="add", value=wire.encode(value))
    else:
        array = getattr(obj, attr)
        array += value
