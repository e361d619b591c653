"""The Binder environment, built and served here as mybinder.org builds and serves it.

repo2docker, the tool behind Binder, copies the repository, runs
`pip install -r binder/requirements.txt` from the repository's root, then `./binder/postBuild`,
and serves the result with JupyterLab. This test does the same: a copy of the repository's
files (what a clone holds), a fresh virtual environment from this Python, the same pip
command from the same folder, postBuild with that environment first on PATH and a scratch
HOME, and then the real `jupyter lab` of that environment on a loopback port. Over HTTP it
checks what a student gets: the course notebooks, no formgrader, nbgrader's lab plugins
switched off and locked but Validate kept; and it runs notebooks through a kernel of that
server, over its REST API and kernel websocket, as JupyterLab does.

Every process it starts is stopped at the end, pass or fail. It needs the package index that
pip is configured with (PyPI, or a local mirror) and about a minute and a half.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from tools import submissions

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
ASSIGNMENT = "02-activation-functions"
WELCOME = "course/00-welcome.ipynb"
STUDENT_ONLY = ["@jupyter/nbgrader:validate-assignment"]
INSTRUCTOR_PLUGINS = [f"@jupyter/nbgrader:{name}" for name in
                      ("formgrader", "assignment-list", "course-list", "create-assignment", "menu")]
SERVER_EXTENSIONS_OFF = [f"nbgrader.server_extensions.{name}" for name in
                         ("formgrader", "assignment_list", "course_list")]
SERVER_EXTENSIONS_ON = ["nbgrader.server_extensions.validate_assignment"]

PIP_TIMEOUT = 600  # seconds: a cold cache downloads JupyterLab and friends
COMMAND_TIMEOUT = 120  # postBuild, jupyter ... list
START_TIMEOUT = 90  # until the server answers
CELL_TIMEOUT = 60  # one cell, through the kernel
HTTP_TIMEOUT = 60  # one request (Validate runs a whole notebook)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Binder images are Linux")


# ---------------------------------------------------------------------------- processes
def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (kernels live in sessions of their own, so a process group
    does not reach them)."""
    children: dict[int, list[int]] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat_file.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_tree(proc: subprocess.Popen) -> None:
    """Stop ``proc`` (started with start_new_session=True) and everything it started."""
    pids = _descendants(proc.pid) if proc.poll() is None else []  # an exited pid may be reused
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)  # its process group, which outlives it only with our processes
        except ProcessLookupError:
            pass
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            break
        time.sleep(1)


def _run(cmd, *, cwd: Path, env: dict, timeout: float, log: Path) -> str:
    """Run a command to completion within ``timeout``, whatever it starts; return its output."""
    with open(log, "w") as out:
        proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            _kill_tree(proc)
    output = log.read_text(errors="replace")
    assert code == 0, (f"{' '.join(map(str, cmd))} {'timed out' if code is None else f'exited {code}'}:\n"
                       f"{output[-5000:]}")
    return re.sub(r"\x1b\[[0-9;]*m", "", output)  # no colours


# ---------------------------------------------------------------------------- the build
def _repository_files() -> list[Path]:
    """The files a clone of this repository holds: tracked, or new and not ignored."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        skip = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis",
                ".ipynb_checkpoints", "submitted", "autograded", "feedback"}
        return [p.relative_to(ROOT) for p in ROOT.rglob("*") if p.is_file()
                and not skip.intersection(p.relative_to(ROOT).parts)
                and not any(part.endswith(".egg-info") for part in p.parts) and p.name != "gradebook.db"]
    return [Path(name) for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def _environment(home: Path, venv: Path | None) -> dict[str, str]:
    """This process's environment without its Python and Jupyter settings; ``venv`` first on PATH."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "XDG_", "PYTHON", "PIP_REQUIRE", "CONDA"))
           and k not in ("VIRTUAL_ENV", "IPYTHONDIR", "MPLBACKEND", "MPLCONFIGDIR")}
    env["HOME"] = str(home)
    if venv is not None:
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(venv)
    return env


@dataclass
class Build:
    repo: Path
    venv: Path
    home: Path
    logs: Path
    env: dict = field(default_factory=dict)

    def jupyter(self, *args: str) -> str:
        return _run([self.venv / "bin" / "jupyter", *args], cwd=self.repo, env=self.env,
                    timeout=COMMAND_TIMEOUT, log=self.logs / f"jupyter-{'-'.join(args)}.log")


@pytest.fixture(scope="module")
def build(tmp_path_factory) -> Build:
    tmp = tmp_path_factory.mktemp("binder")
    b = Build(repo=tmp / "repo", venv=tmp / "venv", home=tmp / "home", logs=tmp / "logs")
    for folder in (b.home, b.logs):
        folder.mkdir()
    for name in _repository_files():
        (b.repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, b.repo / name)
    pip_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    _run([sys.executable, "-m", "venv", b.venv], cwd=tmp, env=pip_env, timeout=COMMAND_TIMEOUT, log=b.logs / "venv.log")
    # repo2docker: `${KERNEL_PYTHON_PREFIX}/bin/pip install --no-cache-dir -r "binder/requirements.txt"`,
    # in ${REPO_DIR}, the repository's root (repo2docker/buildpacks/python/__init__.py and base.py).
    # --no-compile: the same files, without writing their .pyc (a third of pip's time here);
    # Python compiles what it imports when it imports it.
    _run([b.venv / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", "--no-compile", "-r",
          "binder/requirements.txt"], cwd=b.repo, env=pip_env, timeout=PIP_TIMEOUT, log=b.logs / "pip.log")
    # repo2docker: `RUN ./binder/postBuild`, as the user, in ${REPO_DIR}.
    b.env = _environment(b.home, b.venv)
    _run(["./binder/postBuild"], cwd=b.repo, env=b.env, timeout=COMMAND_TIMEOUT, log=b.logs / "postBuild.log")
    return b


# ---------------------------------------------------------------------------- the server
class Server:
    def __init__(self, build: Build):
        self.build = build
        self.token = uuid.uuid4().hex
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = build.logs / "jupyter-lab.log"
        self._log_file = open(self.log, "w")
        self.proc = subprocess.Popen(
            [build.venv / "bin" / "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={build.repo}",
             # nothing from outside: no news, no update check, no extension index
             "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--LabApp.extension_manager=readonly",
             *(["--allow-root"] if os.geteuid() == 0 else [])],  # CI's machines run as root
            cwd=build.repo, env=build.env, stdout=self._log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")[-5000:]

    def request(self, method: str, path: str, body=None, *, follow: bool = True, timeout: float = HTTP_TIMEOUT):
        """(status, headers, body bytes) of one request, authenticated with the token."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        handlers = [urllib.request.ProxyHandler({})]  # loopback only, whatever http_proxy says
        if not follow:
            handlers.append(_NoRedirect())
        try:
            with urllib.request.build_opener(*handlers).open(req, timeout=timeout) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read()

    def json(self, method: str, path: str, body=None, expect: int = 200, **kw):
        status, _, data = self.request(method, path, body, **kw)
        assert status == expect, f"{method} {path}: {status} {data[:500]!r}\n{self.output()}"
        return json.loads(data) if data else None

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"jupyter lab exited {self.proc.returncode}:\n{self.output()}"
            try:
                if self.request("GET", "/api/status", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"jupyter lab did not answer within {START_TIMEOUT} s:\n{self.output()}")

    def shut_down(self) -> int:
        """Stop every kernel, then the server, through the API; return the server's exit code."""
        for kernel in self.json("GET", "/api/kernels"):
            self.json("DELETE", f"/api/kernels/{kernel['id']}", expect=204)
        self.json("POST", "/api/shutdown")
        return self.proc.wait(timeout=30)

    def close(self) -> None:
        _kill_tree(self.proc)
        self._log_file.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def server(build):
    srv = Server(build)
    try:
        srv.wait_until_up()
        yield srv
        # Teardown: a clean shutdown is part of the test (an error here fails the module).
        code = srv.shut_down()
        assert code == 0, f"jupyter lab exited {code} on /api/shutdown:\n{srv.output()}"
    finally:
        srv.close()


class Kernel:
    """A kernel started by the server, driven over its websocket as JupyterLab drives it."""

    def __init__(self, server: Server, path: str):
        import websocket  # websocket-client: a dependency of jupyter_server

        self.server = server
        self.id = server.json("POST", "/api/kernels", {"name": "python3", "path": path}, expect=201)["id"]
        self.session = uuid.uuid4().hex
        # Our own loopback socket, so that no http_proxy setting can reroute the connection.
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=CELL_TIMEOUT)
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/api/kernels/{self.id}/channels?session_id={self.session}",
            header=[f"Authorization: token {server.token}"], suppress_origin=True, timeout=CELL_TIMEOUT,
            socket=sock)
        self.request("kernel_info_request", {})

    def request(self, msg_type: str, content: dict) -> tuple[dict, list[dict]]:
        """Send one shell request; return (its reply's content, the iopub messages it caused)."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": msg_type, "session": self.session, "username": "student",
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell", "buffers": []}))
        reply, iopub, idle = None, [], False
        deadline = time.monotonic() + CELL_TIMEOUT
        while reply is None or not (idle or msg_type == "kernel_info_request"):
            assert time.monotonic() < deadline, f"no answer to {msg_type} within {CELL_TIMEOUT} s"
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["channel"] == "shell":
                reply = msg["content"]
            elif msg["channel"] == "iopub":
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    idle = True
                else:
                    iopub.append(msg)
        return reply, iopub

    def execute(self, code: str) -> tuple[str, str, list[dict]]:
        """Run one cell: (reply status, its printed text, its outputs as iopub messages)."""
        reply, iopub = self.request("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        text = "".join(m["content"].get("text", "") for m in iopub if m["msg_type"] == "stream")
        return reply["status"], text, iopub

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.server.json("DELETE", f"/api/kernels/{self.id}", expect=204)
        assert self.id not in {k["id"] for k in self.server.json("GET", "/api/kernels")}


def _errors(iopub: list[dict]) -> list[str]:
    return [f"{m['content']['ename']}: {m['content']['evalue']}" for m in iopub if m["msg_type"] == "error"]


def _assignment_ready() -> bool:
    return all((ROOT / folder / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists() for folder in ("course", "solutions"))


needs_assignment = pytest.mark.skipif(not _assignment_ready(), reason=f"{ASSIGNMENT} is not written yet")


# ---------------------------------------------------------------------------- the tests
def test_binder_folder_pins_the_course_extra():
    """runtime.txt picks Python 3.11; requirements.txt installs "." (this repository, from its
    root) with its course extra, and pins every dependency of bplib and of that extra."""
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    assert os.access(BINDER / "postBuild", os.X_OK), "binder/postBuild must be executable"
    lines = [line.split("#")[0].strip() for line in (BINDER / "requirements.txt").read_text().splitlines()]
    lines = [line for line in lines if line]
    assert ".[course]" in lines, "install this repository, from its root, with its course extra"
    pins = {}
    for line in lines:
        if line != ".[course]":
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][0-9A-Za-z.+!-]*)", line)
            assert match, f"pin an exact version, name==version: {line!r}"
            pins[_normalize(match.group(1))] = match.group(2)
    tomllib = pytest.importorskip("tomllib")
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["course"]:
        req = Requirement(spec)
        pinned = pins.get(_normalize(req.name))
        assert pinned, f"binder/requirements.txt does not pin {req.name}"
        assert req.specifier.contains(pinned), f"{req.name}=={pinned} is outside pyproject.toml's {spec}"


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_postbuild_touches_only_the_environment(build):
    assert not (build.home / ".jupyter").exists(), "postBuild wrote user settings: use --sys-prefix"
    assert not (build.repo / "build").exists() and not list(build.repo.glob("*.egg-info"))


def test_server_extensions(build):
    listing = build.jupyter("server", "extension", "list")
    for name in SERVER_EXTENSIONS_OFF:
        assert re.search(rf"{re.escape(name)} disabled", listing), listing
    for name in SERVER_EXTENSIONS_ON:
        assert re.search(rf"{re.escape(name)} enabled", listing), listing


def test_lab_extensions_disabled_and_locked(build):
    listing = build.jupyter("labextension", "list")
    assert "Disabled extensions:" in listing, listing
    disabled = listing.split("Disabled extensions:")[1]
    for plugin in INSTRUCTOR_PLUGINS:
        assert plugin in disabled
    locked = re.search(r"@jupyter/nbgrader v\S+ .*\(plugins: (.*) locked\)", listing)
    assert locked and set(INSTRUCTOR_PLUGINS) == set(locked.group(1).split(", ")), listing
    assert all(plugin not in listing for plugin in STUDENT_ONLY)


def test_lab_page_disables_and_locks_nbgrader_plugins(server):
    status, _, page = server.request("GET", "/lab")
    assert status == 200
    config = json.loads(re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert set(INSTRUCTOR_PLUGINS) <= set(config["disabledExtensions"])
    assert set(INSTRUCTOR_PLUGINS) <= set(config["lockedExtensions"])
    assert not set(STUDENT_ONLY) & set(config["disabledExtensions"])
    assert "@jupyter/nbgrader" in {ext["name"] for ext in config["federated_extensions"]}


def test_course_notebooks_are_served(server):
    listing = server.json("GET", "/api/contents/course")
    names = {item["name"] for item in listing["content"]}
    expected = {p.name for p in (ROOT / "course").iterdir() if p.name.endswith(".ipynb") or p.is_dir()}
    assert "00-welcome.ipynb" in names and expected <= names, names
    for folder in sorted(p for p in (ROOT / "course").iterdir() if p.is_dir()):
        inner = {item["name"] for item in server.json("GET", f"/api/contents/course/{folder.name}")["content"]}
        assert f"{folder.name}.ipynb" in inner
    welcome = server.json("GET", f"/api/contents/{WELCOME}")
    assert welcome["type"] == "notebook" and welcome["content"]["cells"]


def test_lab_opens_at_the_welcome_notebook(server):
    status, headers, _ = server.request("GET", "/", follow=False)
    location = urllib.parse.urlsplit(headers.get("Location", "")).path
    assert status in (301, 302) and location == f"/lab/tree/{WELCOME}", (status, dict(headers))
    assert server.request("GET", f"/lab/tree/{WELCOME}")[0] == 200


@pytest.mark.parametrize("path", ["/formgrader", "/formgrader/api/status", "/assignments", "/formgraders"])
def test_instructor_and_exchange_pages_are_not_served(server, path):
    assert server.request("GET", path)[0] == 404


def test_welcome_notebook_runs(server):
    nb = nbformat.read(ROOT / WELCOME, as_version=4)
    kernel = Kernel(server, "course")
    try:
        results = [kernel.execute(cell.source) for cell in nb.cells if cell.cell_type == "code"]
    finally:
        kernel.close()
    assert results, "the welcome notebook shows that the setup works in a code cell"
    assert all(status == "ok" for status, _, _ in results), [_errors(iopub) for _, _, iopub in results]
    assert "Ready:" in "".join(text for _, text, _ in results)
    assert any("image/png" in m["content"].get("data", {}) for _, _, iopub in results for m in iopub)


@needs_assignment
def test_solved_assignment_passes_its_checks(server):
    """The course notebook as a student who solved every exercise has it: run top to bottom
    in a kernel started in its folder, every check cell says it passed."""
    student, solution = submissions.load(ASSIGNMENT, ROOT)
    nb = submissions.filled(student, solution)
    kernel = Kernel(server, f"course/{ASSIGNMENT}")
    try:
        results = [(cell, *kernel.execute(cell.source)) for cell in nb.cells if cell.cell_type == "code"]
    finally:
        kernel.close()
    for cell, status, text, iopub in results:
        assert status == "ok", f"{cell.source[:80]!r}: {_errors(iopub)}"
        if submissions.is_check(cell):
            assert re.search(r"✔ \S+: passed", text), f"{cell.source[:80]!r} printed {text!r}"
    checks = [text for cell, _, text, _ in results if submissions.is_check(cell)]
    assert checks and len(checks) == sum(map(submissions.is_check, solution.cells))


@needs_assignment
def test_validate_button(server):
    """nbgrader's Validate button posts the notebook's path to /assignments/validate: failures
    for the notebook as released, success once it is solved and saved."""
    path = f"course/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    released = server.json("POST", "/assignments/validate", {"path": path})
    assert released["success"] and released["value"].get("failed"), released
    student, solution = submissions.load(ASSIGNMENT, ROOT)
    server.json("PUT", f"/api/contents/{path}",
                {"type": "notebook", "format": "json", "content": submissions.filled(student, solution)})
    solved = server.json("POST", "/assignments/validate", {"path": path})
    assert solved["success"] and not solved["value"], solved
