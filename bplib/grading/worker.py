"""The submission's side of grading: it runs inside the sandbox and only computes.

The judge (``judge.py``, outside the sandbox) starts this file as a program and sends it
requests over stdin, one JSON line each (see ``wire.py``):

- ``run_cell``: run one notebook cell in an IPython shell, as Jupyter would, and return what
  it printed and showed (this is how the student's answer cells define their functions);
- ``pin``: a handle to the object that a notebook name holds now;
- ``call``, ``getattr``, ``setattr``, ``inplace``, ``iterate``: use such an object on the
  inputs the judge sends, and return the result as plain data;
- ``new_parameter``, ``globals``: small services the checks need.

Nothing here decides anything: this process holds no reference implementation, no expected
value and no score, so whatever the student's code does to it can change only the values it
returns. The judge may hand over objects of its own (a gradient function, a layer that
Sequential must chain): they arrive as proxies whose calls go back to the judge.
"""
from __future__ import annotations

import dis
import inspect
import itertools
import linecache
import os
import sys
import traceback
import types
from typing import Any

import numpy as np

if __package__:
    from . import wire
else:  # run as a program inside the sandbox, next to a copy of wire.py
    import wire

MAX_TEXT = 100_000  # characters of printed output kept per cell
MAX_IMAGES = 20  # figures kept per cell


class JudgeError(Exception):
    """The judge refused or failed a call that the submission made to one of its objects."""


class Worker:
    def __init__(self, channel: wire.Channel) -> None:
        self.channel = channel
        self.objects: dict[int, Any] = {}
        self.ids: dict[int, int] = {}  # id(object) -> handle, so one object keeps one handle
        self.judge_objects: dict[int, Any] = {}
        self.next_callback = itertools.count(1)
        self.shell = _make_shell()
        try:  # the sandbox's bplib asks the judge for its reference functions
            import bplib._unavailable as unavailable
        except ImportError:  # bplib's own tests import this module outside any sandbox
            unavailable = None
        if unavailable is not None:
            unavailable.serve = self.call_reference
            self.reference_error = unavailable.ReferenceUnavailable

    # ---- the request loop

    def serve(self) -> None:
        while True:
            message = self.channel.receive()
            if "op" in message:
                self.channel.send(self.answer(message))
            # anything else at top level (a stale callback reply) is ignored

    def answer(self, request: dict) -> dict:
        reply = {"re": request.get("id")}
        try:
            reply["value"] = self.encode(getattr(self, "op_" + str(request["op"]))(request))
        except BaseException as error:  # the student's code may raise anything, SystemExit included
            reply["error"] = describe_error(error)
        return reply

    def wait_for_callback(self, number: int) -> dict:
        """Serve the judge's requests until it answers callback ``number``."""
        while True:
            message = self.channel.receive()
            if message.get("cb_re") == number:
                return message
            if "op" in message:
                self.channel.send(self.answer(message))

    # ---- encoding: what is not data stays here and travels as a handle

    def encode(self, value: Any) -> Any:
        return wire.encode(value, self._handle)

    def _handle(self, obj: Any) -> dict:
        if isinstance(obj, JudgeProxy):
            return {"$j": obj.judge_id}
        key = self.ids.get(id(obj))
        if key is None or self.objects.get(key) is not obj:
            key = len(self.objects) + 1
            self.objects[key], self.ids[id(obj)] = obj, key
        return {"$h": key, **describe_object(obj)}

    def decode(self, data: Any) -> Any:
        return wire.decode(data, self._resolve)

    def _resolve(self, ref: dict) -> Any:
        if "$h" in ref:
            return self.objects[ref["$h"]]
        if "$rng" in ref:
            generator = np.random.default_rng()
            generator.bit_generator.state = wire.decode(ref["$rng"])
            return generator
        if "$ufunc" in ref:
            ufunc = getattr(np, str(ref["$ufunc"]), None)
            if not isinstance(ufunc, np.ufunc):
                raise wire.WireError("not a numpy ufunc")
            return ufunc
        if "$j" in ref:
            judge_id = ref["$j"]
            if judge_id not in self.judge_objects:
                self.judge_objects[judge_id] = make_judge_proxy(self, judge_id, ref)
            return self.judge_objects[judge_id]
        raise wire.WireError("an unknown handle")

    def call_reference(self, name: str, arguments: dict) -> Any:
        number = next(self.next_callback)
        self.channel.send({"cb": number, "reference": name, "kwargs": self.encode(dict(arguments))})
        reply = self.wait_for_callback(number)
        if "error" in reply:
            raise self.reference_error(str(reply["error"]))
        return self.decode(reply.get("value"))

    def call_judge(self, judge_id: int, method: str | None, args: tuple, kwargs: dict) -> Any:
        number = next(self.next_callback)
        self.channel.send({"cb": number, "target": judge_id, "method": method,
                           "args": self.encode(list(args)), "kwargs": self.encode(dict(kwargs))})
        reply = self.wait_for_callback(number)
        if "error" in reply:
            raise JudgeError(str(reply["error"]))
        return self.decode(reply.get("value"))

    # ---- operations

    def op_run_cell(self, request: dict) -> dict:
        return run_cell(self.shell, str(request["source"]))

    def op_pin(self, request: dict) -> Any:
        name = str(request["name"])
        if name not in self.shell.user_ns:
            return {"missing": True}
        return {"object": self.shell.user_ns[name]}

    def _target(self, request: dict) -> Any:
        return self.decode(request["target"])

    def op_call(self, request: dict) -> Any:
        fn = self._target(request)
        args, kwargs = self.decode(request.get("args", [])), self.decode(request.get("kwargs", {}))
        with np.errstate(**{k: v for k, v in self.decode(request.get("errstate", {})).items()
                            if k in ("over", "under", "divide", "invalid")}):
            result = fn(*args, **kwargs)
        if request.get("return_args"):
            return {"result": result, "args": [a if type(a) is np.ndarray else None for a in args]}
        return {"result": result}

    def op_iterate(self, request: dict) -> Any:
        items = list(itertools.islice(iter(self._target(request)), wire.MAX_ITEMS + 1))
        if len(items) > wire.MAX_ITEMS:
            raise ValueError(f"the iterator yielded more than {wire.MAX_ITEMS} items")
        return items

    def op_getattr(self, request: dict) -> Any:
        return getattr(self._target(request), str(request["name"]))

    def op_setattr(self, request: dict) -> None:
        setattr(self._target(request), str(request["name"]), self.decode(request["value"]))

    def op_inplace(self, request: dict) -> None:
        array = getattr(self._target(request), str(request["name"]))
        value = self.decode(request["value"])
        if request.get("how") == "add":
            array += value
        else:
            array[...] = value

    def op_new_parameter(self, request: dict) -> Any:
        from bplib.layers import Parameter

        return Parameter(self.decode(request["value"]), name=str(request.get("name", "")))

    def op_globals(self, request: dict) -> list[str]:
        return notebook_data_read(self._target(request))


def _notebook_data(value: Any) -> bool:
    """An array or a count (D = 3) in the notebook: data that should come in as an argument."""
    return isinstance(value, np.ndarray) or (isinstance(value, (int, np.integer)) and not isinstance(value, bool))


def notebook_data_read(fn: Any) -> list[str]:
    """Notebook-level arrays and integers that a function's code reads as globals
    (misconception 24: a size or an array taken from the notebook, not from the arguments).

    Only real global loads count: ``np.mean`` reads the global ``np`` and its attribute
    ``mean``, which is not the notebook's array ``mean``.
    """
    code, namespace = getattr(fn, "__code__", None), getattr(fn, "__globals__", None)
    if not isinstance(code, types.CodeType) or not isinstance(namespace, dict):
        return []
    names = [instruction.argval for c in _code_objects(code) for instruction in dis.get_instructions(c)
             if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME")
             and _notebook_data(namespace.get(instruction.argval))]
    return list(dict.fromkeys(names))


def _code_objects(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def describe_object(obj: Any) -> dict:
    """What the judge may know of an object without holding it: its kind, name, signature."""
    kind = "class" if isinstance(obj, type) else "function" if isinstance(obj, types.FunctionType) else \
        "method" if isinstance(obj, types.MethodType) else "object"
    info: dict[str, Any] = {"kind": kind, "type": type(obj).__name__[:100], "callable": callable(obj)}
    name = getattr(obj, "__name__", None) if kind != "object" else None
    if isinstance(name, str):
        info["name"] = name[:100]
    if callable(obj):
        try:
            parameters = inspect.signature(obj).parameters.values()
        except (TypeError, ValueError):
            parameters = None
        if parameters is not None:
            info["params"] = [[p.name, p.kind.name, _default(p.default)] for p in itertools.islice(parameters, 50)]
    if kind == "class":
        info["members"] = [str(m)[:100] for m in itertools.islice(dir(obj), 500)]
    return info


def _default(value: Any) -> Any:
    if value is inspect.Parameter.empty:
        return {"$empty": True}
    try:
        return {"$value": wire.encode(value)}
    except (TypeError, wire.WireError):
        return {"$empty": True}


_LIBRARY_DIRS = tuple({os.path.dirname(os.__file__), os.path.dirname(np.__file__),
                       os.path.dirname(os.path.abspath(__file__))})


def describe_error(error: BaseException) -> dict:
    """An exception as data: its type, its message, and the frames in the student's own code."""
    frames = []
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename.startswith(_LIBRARY_DIRS) or "site-packages" in frame.filename or "/bplib/" in frame.filename:
            continue
        line = frame.line or linecache.getline(frame.filename, frame.lineno).strip()
        frames.append([frame.filename[:200], frame.lineno, frame.name[:100], (line or "")[:300]])
    try:
        message = str(error)[:2000]
    except BaseException:  # a student's exception whose __str__ fails
        message = ""
    return {"type": type(error).__name__[:100], "message": message, "frames": frames[-20:],
            "reference": type(error).__name__ == "ReferenceUnavailable"}


# ---- objects of the judge, as the submission sees them


class JudgeProxy:
    judge_id: int


def make_judge_proxy(worker: Worker, judge_id: int, ref: dict) -> Any:
    """A stand-in for one of the judge's objects: a function, or a layer to chain."""
    if ref.get("kind") == "layer":
        return _judge_layer(worker, judge_id, ref)
    if ref.get("kind") == "optimizer":
        return JudgeOptimizer(worker, judge_id, str(ref.get("name", "Optimizer")))
    return JudgeFunction(worker, judge_id, str(ref.get("name", "f")))


class JudgeFunction(JudgeProxy):
    def __init__(self, worker: Worker, judge_id: int, name: str) -> None:
        self.worker, self.judge_id, self.__name__ = worker, judge_id, name

    def __call__(self, *args, **kwargs):
        return self.worker.call_judge(self.judge_id, None, args, kwargs)

    def __repr__(self) -> str:
        return f"<function {self.__name__} given by the grader>"


class JudgeOptimizer(JudgeProxy):
    """An optimizer of the judge's, over the parameters of layers it handed over."""

    def __init__(self, worker: Worker, judge_id: int, name: str) -> None:
        self.worker, self.judge_id, self.name = worker, judge_id, name

    def zero_grad(self) -> None:
        self.worker.call_judge(self.judge_id, "zero_grad", (), {})

    def step(self) -> None:
        self.worker.call_judge(self.judge_id, "step", (), {})

    def __repr__(self) -> str:
        return f"{self.name}(...) (given by the grader)"


def _judge_layer(worker: Worker, judge_id: int, ref: dict) -> Any:
    """A layer whose forward and backward the judge computes, with Parameters kept here.

    It subclasses the notebook's Layer base class, so that whatever a student's Sequential
    calls on layers (parameters, zero_grad, train, eval) behaves as on any bplib layer.
    """
    from bplib.layers import Layer, Parameter

    class GradedParameter(Parameter):
        """A copy of one of the layer's parameters; its zero_grad() also clears the judge's."""

        def __init__(self, value, name, index: int) -> None:
            super().__init__(value, name=name)
            self.index = index

        def zero_grad(self) -> None:
            super().zero_grad()
            worker.call_judge(judge_id, "zero_grad", (self.index,), {})

    class GradedLayer(Layer, JudgeProxy):
        def __init__(self) -> None:
            self.judge_id = judge_id
            self.params = [GradedParameter(worker.decode(v), n, i) for i, (n, v) in enumerate(ref.get("params", []))]

        def forward(self, x):
            return worker.call_judge(judge_id, "forward", (x,), {})

        def backward(self, dout):
            dx, grads = worker.call_judge(judge_id, "backward", (dout,), {})
            for p, g in zip(self.params, grads):
                p.grad[...] = g
            return dx

        def parameters(self):
            return list(self.params)

        def zero_grad(self):
            for p in self.params:  # the copies only: one call below clears the judge's, not one per parameter
                Parameter.zero_grad(p)
            worker.call_judge(judge_id, "zero_grad", (), {})  # the gradients that count are the judge's

        def train(self, mode=True):
            super().train(mode)
            worker.call_judge(judge_id, "train", (self.training,), {})  # the judge's layer changes mode too
            return self

        def __repr__(self) -> str:
            return f"{ref.get('name', 'Layer')}() (given by the grader)"

    GradedLayer.__name__ = GradedLayer.__qualname__ = str(ref.get("name", "Layer"))
    return GradedLayer()


# ---- running cells


def _make_shell():
    import matplotlib

    figures = os.environ.get("BPLIB_JUDGE_FIGURES", "1") != "0"
    matplotlib.use("module://matplotlib_inline.backend_inline" if figures else "agg")
    from IPython.core.interactiveshell import InteractiveShell

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):  # no event loop here: figures are captured as images
            pass

    shell = Shell.instance(colors="NoColor")
    if figures:
        shell.enable_matplotlib("inline")
    else:  # figures are drawn by nobody: show() only closes them
        import matplotlib.pyplot as plt

        plt.show = lambda *args, **kwargs: plt.close("all")
    shell.showtraceback = lambda *args, **kwargs: None  # errors are reported as data instead
    _result_hook(shell)
    return shell


def _result_hook(shell):
    """A display hook that records a cell's value (``Out[n]``) as an execute_result."""
    from IPython.core.displayhook import DisplayHook

    class ResultHook(DisplayHook):
        outputs: list = []

        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict, md_dict=None) -> None:
            self.outputs.append({"output_type": "execute_result", "execution_count": self.shell.execution_count,
                                 "data": _plain(format_dict), "metadata": {}})

    hook = ResultHook(shell=shell, cache_size=0)
    shell.displayhook = shell.display_trap.hook = hook
    return hook


def _plain(data: dict) -> dict:
    """Keep the text and image parts of a display, as strings."""
    return {k: v for k, v in data.items() if k in ("text/plain", "image/png", "text/html") and isinstance(v, str)}


def run_cell(shell, source: str) -> dict:
    from IPython.utils.capture import capture_output

    hook = shell.displayhook
    hook.outputs = []
    with capture_output() as captured:
        result = shell.run_cell(source, store_history=True)
    outputs: list[dict] = []
    for name, text in (("stdout", captured.stdout), ("stderr", captured.stderr)):
        if text:
            if len(text) > MAX_TEXT:
                text = text[:MAX_TEXT] + f"\n... (output cut at {MAX_TEXT} characters)\n"
            outputs.append({"output_type": "stream", "name": name, "text": text})
    for shown in captured.outputs[:MAX_IMAGES]:
        outputs.append({"output_type": "display_data", "data": _plain(shown.data), "metadata": {}})
    outputs += hook.outputs[:1]
    error = result.error_before_exec or result.error_in_exec
    if error is not None:
        described = describe_error(error)
        outputs.append({"output_type": "error", "ename": described["type"], "evalue": described["message"],
                        "traceback": [f"{described['type']}: {described['message']}"]})
    return {"outputs": outputs, "error": error is not None}


def main() -> None:
    # The protocol keeps its own copies of stdin and stdout; the student's code gets
    # /dev/null and a scratch file, so that nothing it prints can be taken for a message.
    channel = wire.Channel(os.dup(0), os.dup(1))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    log = os.open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "worker.log"),
                  os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    worker = Worker(channel)
    channel.send({"ready": True})
    try:
        worker.serve()
    except wire.Closed:
        pass
    os._exit(0)  # nothing the student left behind (threads, atexit hooks) runs on


if __name__ == "__main__":
    main()
