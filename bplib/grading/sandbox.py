"""Where a submission runs while it is graded: a bubblewrap sandbox, one per submission.

Why bubblewrap: it is one small unprivileged program (Debian/Ubuntu package ``bubblewrap``,
the sandbox under Flatpak), with no daemon and no image to build. It gives the submission
its own mount, process, network and IPC namespaces, so that:

- the file system it sees is the Python environment and the system libraries, read-only,
  plus an empty scratch ``/tmp`` of limited size. No gradebook, no ``solutions/``, no other
  submission, no course config, no home folder: they are simply not there;
- it has no network: only its own loopback, with nothing behind it;
- every process it starts dies with it (the process namespace ends with its first process),
  however it detaches (``setsid``, double fork);
- resource limits cap its memory, processes, CPU time and file sizes. As root, the grader
  also drops the submission to an unprivileged user id of its own.

The bplib it imports is a copy made for the assignment being graded (``prepare_library``):
the reference implementations of that assignment's exercises are replaced by functions that
raise ``ReferenceUnavailable``, their source text included, and ``bplib.grading`` (which
holds the checks and further references) is a stand-in that checks nothing.

Where bubblewrap is missing or cannot create namespaces, grading refuses to run unless the
instructor asks for ``unsafe`` mode: the same worker process, with the same limits and the
same stripped bplib, but able to see and change everything the instructor's account can.
"""
from __future__ import annotations

import ast
import compileall
import fcntl
import importlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from . import wire
from .remote import Connection, WorkerLost

BPLIB = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
SANDBOX_LIB = "/opt/bplib-judge"  # where the prepared library appears inside the sandbox
SANDBOX_HOME = "/tmp"

UNSAFE_WARNING = (
    "UNSAFE GRADING: submissions run without a sandbox. Their code runs as you: it can read and "
    "change your gradebook, solutions/, other students' submissions and the course config, "
    "use the network, and leave processes behind. Use this only for submissions you trust; "
    "install bubblewrap (apt-get install bubblewrap) to grade safely."
)


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made on this machine, and unsafe mode was not asked for."""


@dataclass
class Limits:
    """What one submission may use. Times are CPU seconds (see ``Connection``)."""

    timeout: float = 60.0  # one cell, or one check
    memory_bytes: int = 3 << 30  # address space of each process
    processes: int = 64  # processes and threads of the submission's user
    cpu_seconds: int = 900  # a whole run of the worker
    file_bytes: int = 64 << 20  # any one file it writes
    scratch_bytes: int = 256 << 20  # its /tmp
    figures: bool = True  # keep the notebook's figures in the graded copy (rendering costs time)


_UNAVAILABLE_MODULE = '''"""Stand-in for bplib's references while an assignment is graded (see bplib.grading.sandbox).

While the notebook's cells run, a reference function is computed by the judge, outside the
sandbox, so that the notebook's demonstrations and bplib's own routines (fit's accuracy)
work as in Jupyter; while the checks run, the judge refuses. Its code is never in here.
"""


class ReferenceUnavailable(RuntimeError):
    """bplib's version of an exercise is not available while that exercise is graded."""


serve = None  # set by the worker: asks the judge


def unavailable(name):
    raise ReferenceUnavailable(
        f"{name} is an exercise of this assignment: bplib's version of it is not available while grading"
    )


def reference(name, arguments):
    if serve is None:
        unavailable(name)
    return serve(name, arguments)
'''

_GRADING_STANDIN = '''"""Stand-in for bplib.grading inside the grading sandbox.

The checks run in the judge, outside this process: here a check cell is never run, and the
setup cell's calls only keep the notebook's behaviour (the seed) the same as in Jupyter.
"""
import numpy as np

from bplib import _unavailable

_REFERENCES = {references!r}


class CheckFailed(AssertionError):
    pass


def start(notebook, seed=0):
    np.random.seed(seed)


def check(name, student=None, hidden=False):
    pass


def summary():
    print("(graded outside the notebook: see the check cells)")


def or_reference(name, student):
    # Jupyter hands a demonstration the reference until the student's version passes its
    # check. Here no check has run yet: a reference function, which the judge computes while
    # the cells run, keeps the demonstration working (and a broken answer, which might loop,
    # out of the demonstrations); for a class, which the sandbox does not have, the
    # demonstration gets the student's own.
    target = _REFERENCES.get(name)
    if target is None:
        return student

    def reference(*args, **kwargs):
        return _unavailable.reference(target, {"$args": list(args), "$kwargs": kwargs})

    reference.__name__ = name
    return reference
'''


def _served_reference(exercise: Any) -> str | None:
    """"module.qualname" of the exercise's reference, if the judge computes it for the notebook's
    cells: a bplib function (or one that an exercise file defines, 01's centred_difference) of
    plain data. References that drive networks (a GAN's training step) are not served: the
    judge would have to call back into the submission for every layer."""
    ref = getattr(exercise, "reference", None)
    if (isinstance(ref, types.FunctionType) and "." not in ref.__qualname__ and ref.__module__.startswith("bplib.")
            and getattr(exercise, "serve_reference", True)):
        return f"{ref.__module__}.{ref.__qualname__}"
    return None


def _withheld(exercise: Any) -> dict[str, Any]:
    """"module.name" -> the library object, for what else would give the exercise away (bplib's
    Conv2d, for conv2d_forward): absent from the sandbox like the reference itself."""
    found = {}
    for path in getattr(exercise, "withholds", ()):
        module, name = path.rsplit(".", 1)
        found[path] = getattr(importlib.import_module(module), name)
    return found


def reference_functions(exercises: Iterable[Any]) -> dict[str, Any]:
    """"module.qualname" -> the function, for the ones the judge computes on request while the
    cells run: the served references, and the withheld functions that bplib's layers call."""
    found: dict[str, Any] = {}
    for exercise in exercises:
        served = _served_reference(exercise)
        if served:
            found[served] = exercise.served()
        found.update({path: obj for path, obj in _withheld(exercise).items() if isinstance(obj, types.FunctionType)})
    return found


def _reference_locations(exercises: Iterable[Any]) -> dict[str, set[str]]:
    """module name -> qualified names of the references that the exercises grade against, and
    of what they withhold."""
    found: dict[str, set[str]] = {}
    for exercise in exercises:
        ref = getattr(exercise, "reference", None)
        module, qualname = getattr(ref, "__module__", None), getattr(ref, "__qualname__", None)
        if module and qualname and module.startswith("bplib.") and not module.startswith("bplib.grading"):
            found.setdefault(module, set()).add(qualname)
        for path in _withheld(exercise):
            module, name = path.rsplit(".", 1)
            found.setdefault(module, set()).add(name)
    return found


class _StubOut(ast.NodeTransformer):
    """Replace the bodies of the named functions and of every method of the named classes."""

    def __init__(self, module: str, names: set[str]) -> None:
        self.module, self.names, self.path = module, names, []

    def _stub(self, node: ast.AST, label: str) -> ast.AST:
        docstring = ast.get_docstring(node)
        name = f"{self.module}.{label}"
        # A function asks the judge (which answers only while cells run); a class's methods
        # are simply unavailable.
        call = ast.parse(f"_bplib_unavailable({name!r})" if self.path
                         else f"return _bplib_reference({name!r}, locals())").body
        node.body = ([ast.Expr(ast.Constant(docstring))] if docstring else []) + call
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        qualname = ".".join(self.path + [node.name])
        inside = any(".".join(self.path[: i + 1]) in self.names for i in range(len(self.path)))
        return self._stub(node, qualname) if qualname in self.names or inside else node

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.path.append(node.name)
        self.generic_visit(node)
        self.path.pop()
        return node


def _strip_module(path: Path, module: str, names: set[str]) -> None:
    tree = ast.parse(path.read_text())
    tree = _StubOut(module, names).visit(tree)
    body = tree.body
    after_future = next((i for i, n in enumerate(body)
                         if not (isinstance(n, ast.ImportFrom) and n.module == "__future__")
                         and not (i == 0 and isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))), len(body))
    body.insert(after_future, ast.parse("from bplib._unavailable import reference as _bplib_reference, "
                                        "unavailable as _bplib_unavailable").body[0])
    path.write_text(ast.unparse(ast.fix_missing_locations(tree)) + "\n")


def prepare_library(exercises: Iterable[Any], destination: Path) -> Path:
    """Write the sandbox's library to ``destination``: a bplib without the references of
    ``exercises`` and without the checks, plus the worker. Returns ``destination``."""
    exercises = list(exercises)
    destination.mkdir(parents=True, exist_ok=True)
    target = destination / "bplib"
    shutil.copytree(BPLIB, target, ignore=shutil.ignore_patterns("__pycache__", "grading", "*.pyc"))
    (target / "grading").mkdir()
    references = {e.name: _served_reference(e) for e in exercises}
    references = {name: target for name, target in references.items() if target}
    (target / "grading" / "__init__.py").write_text(_GRADING_STANDIN.replace("{references!r}", repr(references)))
    (target / "_unavailable.py").write_text(_UNAVAILABLE_MODULE)
    for module, names in _reference_locations(exercises).items():
        relative = Path(*module.split(".")[1:])
        path = target / relative.with_suffix(".py")
        if not path.exists():
            path = target / relative / "__init__.py"
        _strip_module(path, module, names)
    shutil.copy(HERE / "worker.py", destination / "worker.py")
    shutil.copy(HERE / "wire.py", destination / "wire.py")
    compileall.compile_dir(destination, quiet=1)  # the sandbox is read-only: compile here, once
    return destination


# ---- starting a worker


def _bubblewrap() -> str | None:
    return shutil.which("bwrap")


_probe_result: dict[bool, str | None] = {}


def sandbox_problem() -> str | None:
    """Why no sandbox can be made here, or None when bubblewrap works."""
    as_root = os.geteuid() == 0
    if as_root not in _probe_result:
        bwrap = _bubblewrap()
        if bwrap is None:
            _probe_result[as_root] = "bubblewrap (bwrap) is not installed"
        else:
            probe = subprocess.run([bwrap, *_namespace_flags(), "--ro-bind", "/", "/", "true"],
                                   capture_output=True, text=True)
            _probe_result[as_root] = (None if probe.returncode == 0
                                      else f"bwrap cannot create a sandbox here: {probe.stderr.strip()}")
    return _probe_result[as_root]


def _namespace_flags() -> list[str]:
    flags = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
             "--die-with-parent", "--new-session"]
    if os.geteuid() != 0:
        flags.insert(0, "--unshare-user")
    return flags


def _python_dirs() -> list[str]:
    """The folders the worker's Python needs: this environment and the installation behind it."""
    dirs = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    dirs.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    return sorted(d for d in dirs if not any(d != o and d.startswith(o + os.sep) for o in dirs))


def _environment(limits: Limits) -> dict[str, str]:
    env = {"BPLIB_JUDGE_FIGURES": "1" if limits.figures else "0", "PATH": "/usr/bin:/bin",
           "HOME": SANDBOX_HOME, "TMPDIR": SANDBOX_HOME, "LANG": "C.UTF-8",
           "MPLCONFIGDIR": f"{SANDBOX_HOME}/.matplotlib", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed by some processors' OpenBLAS
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _parents(path: str) -> list[str]:
    """Create the folders above a mount point readable by all (bwrap would make them 0700)."""
    flags = []
    for parent in reversed(Path(path).parents[:-1]):
        flags += ["--perms", "0755", "--dir", str(parent)]
    return flags


def _bwrap_command(library: Path, limits: Limits, uid: int | None) -> list[str]:
    # The scratch /tmp first: an environment that lives under /tmp (a course cloned there) is
    # then mounted on top of it, not hidden by it.
    cmd = [_bubblewrap(), *_namespace_flags(), "--size", str(limits.scratch_bytes), "--perms", "1777",
           "--tmpfs", SANDBOX_HOME, "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        path = Path("/") / link
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.exists():
            cmd += ["--ro-bind", str(path), str(path)]
    for etc in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime", "fonts", "passwd", "group"):
        cmd += ["--ro-bind-try", f"/etc/{etc}", f"/etc/{etc}"]
    for folder in _python_dirs():
        cmd += _parents(folder) + ["--ro-bind", folder, folder]
    cmd += _parents(SANDBOX_LIB) + ["--ro-bind", str(library), SANDBOX_LIB, "--proc", "/proc", "--dev", "/dev",
            "--chdir", SANDBOX_HOME]
    if uid is not None:  # as root: the submission gets an unprivileged user of its own
        cmd += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs"]
    else:
        cmd += ["--cap-drop", "ALL", "--"]
    return cmd + [sys.executable, "-E", "-s", "-B", f"{SANDBOX_LIB}/worker.py"]


def _set_limits(limits: Limits) -> None:
    """In the child, before bwrap starts: the limits that every process of the submission inherits."""
    for which, value in ((resource.RLIMIT_AS, limits.memory_bytes), (resource.RLIMIT_CPU, limits.cpu_seconds),
                         (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_NOFILE, 512)):
        resource.setrlimit(which, (value, value))
    if os.geteuid() == 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


class Worker:
    """One running worker process, sandboxed (or not, in unsafe mode)."""

    def __init__(self, library: Path, limits: Limits, unsafe: bool = False) -> None:
        self.limits = limits
        self.scratch = None
        uid = 2_000_000 + os.getpid() % 1_000_000 if os.geteuid() == 0 else None
        if unsafe:
            self.scratch = tempfile.mkdtemp(prefix="bplib-unsafe-")
            env = {**_environment(limits), "HOME": self.scratch, "TMPDIR": self.scratch,
                   "MPLCONFIGDIR": f"{self.scratch}/.mpl"}
            cmd, cwd = [sys.executable, "-E", "-s", "-B", str(library / "worker.py")], self.scratch
        else:
            problem = sandbox_problem()
            if problem:
                raise SandboxUnavailable(problem)
            env, cmd, cwd = _environment(limits), _bwrap_command(library, limits, uid), "/"
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, env=env, cwd=cwd,
                                        preexec_fn=lambda: _set_limits(limits), start_new_session=True)
        for pipe in (self.process.stdin, self.process.stdout):
            try:  # 1 MiB pipes (Linux's default limit) instead of 64 KiB: an array crosses in one write
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
            except (AttributeError, OSError):
                pass
        channel = wire.Channel(self.process.stdout.fileno(), self.process.stdin.fileno())
        self.connection = Connection(channel, self.cpu_seconds, self.stop)
        self.connection.timeout = limits.timeout
        try:
            hello = channel.receive(deadline=time.monotonic() + max(60.0, limits.timeout))
        except (wire.Closed, TimeoutError) as error:
            self.stop()
            raise WorkerLost(f"the sandbox did not start: {error}") from None
        if not hello.get("ready"):
            self.stop()
            raise WorkerLost("the sandbox did not start")

    def cpu_seconds(self) -> float:
        """CPU time used by every process below the sandbox, from /proc."""
        total, stack, seen = 0.0, [self.process.pid], set()
        ticks = os.sysconf("SC_CLK_TCK")
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks
                for task in os.listdir(f"/proc/{pid}/task"):
                    stack += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
            except (OSError, IndexError, ValueError):
                continue
        return total

    def stop(self) -> None:
        """End the sandbox and everything in it."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 9)
            except OSError:
                self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
