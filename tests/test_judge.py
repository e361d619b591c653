"""The judge's parts, one at a time: the wire format, the rebuilt notebook, the secret, the
sandbox's refusal to run without bubblewrap, and the hidden part's messages.

The whole pipeline, with crafted submissions, is tests/test_judge_attacks.py.
"""
from __future__ import annotations

import copy
import math
import os
import stat
import time

import nbformat
import numpy as np
import pytest

from bplib.grading import judge, sandbox, wire
from bplib.grading.exercise import in_process_guards
from bplib.grading.report import Report
from tools import submissions

ASSIGNMENT = "02-activation-functions"


# ---- wire: values travel, code never does


def _through_a_pipe(message: dict) -> dict:
    """The message as the other end of a channel receives it (arrays' bytes after the JSON line)."""
    read_fd, write_fd = os.pipe()
    try:
        wire.Channel(read_fd, write_fd).send(message)
        return wire.Channel(read_fd, write_fd).receive(deadline=time.monotonic() + 5)
    finally:
        os.close(read_fd)
        os.close(write_fd)


@pytest.mark.parametrize("value", [
    np.arange(12, dtype=np.float32).reshape(3, 4), np.array([True, False]), np.zeros((0, 3)), np.int64(7),
    np.float32(0.5), 1.5, 3, "text", None, (1, [2.0, {"a": np.ones(2)}]), float("inf"), float("-inf"),
])
def test_plain_data_round_trips(value):
    back = wire.decode(_through_a_pipe({"value": wire.encode(value)})["value"])
    assert type(back) is type(value), f"{value!r} came back as a {type(back).__name__}"
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape and np.array_equal(back, value)
    elif isinstance(value, tuple):
        assert back[0] == 1 and np.array_equal(back[1][1]["a"], np.ones(2))
    else:
        assert back == value


def test_nan_round_trips():
    assert math.isnan(wire.decode(wire.encode(float("nan"))))


@pytest.mark.parametrize("message, why", [
    ({"$nd": bytes(8), "dtype": "object", "shape": [1]}, "an object array"),
    ({"$nd": bytes(8), "dtype": "float64", "shape": [5]}, "bytes that do not match the shape"),
    ({"$nd": bytes(8), "dtype": "float64", "shape": [-1]}, "a negative dimension"),
    ({"$nd": "AAAAAAAAAAA=", "dtype": "float64", "shape": [1]}, "an array's bytes inside the JSON"),
    ([bytes(8)], "bytes that are not an array's"),
    ({"$np": "object", "v": 1}, "an object scalar"),
    ({"$f": "__import__('os')"}, "a float that is code"),
    ({"$h": 3}, "a handle where only data may travel"),
    ({"__reduce__": "os.system"}, "anything that is not one of the forms"),
    ({}, "an empty dict"),
])
def test_malformed_data_is_refused(message, why):
    with pytest.raises(wire.WireError):
        wire.decode(message)


@pytest.mark.parametrize("sent, why", [
    (b"#8\n{\"x\":{\"$b\":1}}\n" + bytes(8), "a reference to an array that was not sent"),
    (b"#-8\n{}\n", "a negative length"),
    (b"#eight\n{}\n", "a header that is not lengths"),
    (b"#" + str(wire.MAX_MESSAGE_BYTES + 1).encode() + b"\n{}\n", "more bytes than a message may hold"),
])
def test_malformed_framing_closes_the_channel(sent, why):
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, sent)
        with pytest.raises(wire.Closed):
            wire.Channel(read_fd, write_fd).receive(deadline=time.monotonic() + 1)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_deep_nesting_is_refused():
    deep = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.decode(deep)


def test_objects_do_not_travel_without_a_handle():
    with pytest.raises(TypeError):
        wire.encode(object())


# ---- rebuild: the released notebook, with the student's answers


@pytest.fixture(scope="module")
def notebooks():
    return submissions.load(ASSIGNMENT)


def _sources(nb):
    return [c.source for c in nb.cells]


def test_rebuild_of_the_release_is_the_release_with_empty_answers(notebooks):
    student, solution = notebooks
    plan = judge.rebuild(submissions.filled(student, solution), solution)
    assert len(plan.cells) == len(solution.cells)
    for got, released in zip(plan.cells, solution.cells):
        info = released.metadata.get("nbgrader", {})
        if not info.get("solution"):
            assert got.source == released.source, "a released cell changed"


def test_deleted_setup_and_check_cells_come_back_and_answers_stay(notebooks):
    student, solution = notebooks
    nb = submissions.filled(student, solution)
    nb.cells = [c for c in nb.cells if submissions.grade_id(c) not in ("setup", "check-sigmoid")]
    plan = judge.rebuild(nb, solution)
    ids = [submissions.grade_id(c) for c in plan.cells]
    assert "setup" in ids and "check-sigmoid" in ids
    assert plan.cells[ids.index("setup")].source == next(c.source for c in solution.cells
                                                         if submissions.grade_id(c) == "setup")
    answer = plan.cells[ids.index("sigmoid")].source
    assert "np.exp(-np.abs(x))" in answer, "the student's answer is kept"


def test_edited_metadata_and_locked_cells_change_nothing(notebooks):
    student, solution = notebooks
    nb = submissions.filled(student, solution)
    for cell in nb.cells:
        info = cell.metadata.get("nbgrader", {})
        if info.get("grade"):
            info["points"] = 100
            cell.source = "pass  # no check here"
        if info.get("grade_id") == "setup":
            cell.source = "grading = None"
    plan = judge.rebuild(nb, solution)
    released = {submissions.grade_id(c): c for c in solution.cells if submissions.grade_id(c)}
    for cell in plan.cells:
        gid = submissions.grade_id(cell)
        if gid and not released[gid].metadata.nbgrader.get("solution"):
            assert cell.source == released[gid].source and cell.metadata.nbgrader == released[gid].metadata.nbgrader


def test_answer_found_by_cell_id_when_its_metadata_is_gone(notebooks):
    student, solution = notebooks
    nb = submissions.filled(student, solution)
    cell = next(c for c in nb.cells if submissions.grade_id(c) == "relu")
    del cell.metadata["nbgrader"]
    plan = judge.rebuild(nb, solution)
    assert "np.maximum(x, 0)" in next(c.source for c in plan.cells if submissions.grade_id(c) == "relu")


def test_extra_cells_stay_where_the_student_put_them_and_duplicates_are_dropped(notebooks):
    student, solution = notebooks
    nb = submissions.filled(student, solution)
    at = next(i for i, c in enumerate(nb.cells) if submissions.grade_id(c) == "sigmoid")
    helper = nbformat.v4.new_code_cell("def my_helper(x):\n    return x")
    forged = copy.deepcopy(nb.cells[at + 1])  # a second "check-sigmoid", before the real one
    forged.source = "pass"
    nb.cells[at:at] = [forged]
    nb.cells.insert(at + 2, helper)
    plan = judge.rebuild(nb, solution)
    ids = [submissions.grade_id(c) for c in plan.cells]
    assert ids.count("check-sigmoid") == 1
    position = [c.source for c in plan.cells].index(helper.source)
    assert ids[position - 1] == "sigmoid", "the helper follows the answer it was written after"


def test_unreadable_submission_rebuilds_as_the_release():
    _, solution = submissions.load(ASSIGNMENT)
    plan = judge.rebuild(None, solution)
    assert len(plan.cells) == len(solution.cells)


def test_check_cells_hold_only_checks():
    assert judge.parse_checks('grading.check("sigmoid")\n### BEGIN HIDDEN TESTS\n'
                              'grading.check("sigmoid", hidden=True)') == [("sigmoid", False), ("sigmoid", True)]
    for bad in ('grading.check("a")\nimport os', "assert f(1) == 2", 'grading.check(name)'):
        with pytest.raises(ValueError, match="only grading.check"):
            judge.parse_checks(bad)


@pytest.mark.parametrize("assignment", sorted(submissions.ROOT.joinpath("solutions").iterdir()))
def test_every_check_cell_of_every_notebook_is_judgeable(assignment):
    nb = nbformat.read(assignment / f"{assignment.name}.ipynb", as_version=4)
    checks = [judge.parse_checks(c.source) for c in nb.cells if judge.is_check(c)]
    assert checks and all(checks)
    from bplib.grading import EXERCISES

    assert all(name in EXERCISES for calls in checks for name, _ in calls)


# ---- the secret, and the inputs it draws


def test_secret_is_created_private_and_kept(tmp_path):
    first = judge.load_secret(tmp_path)
    assert len(first) == 32 and judge.load_secret(tmp_path) == first
    assert stat.S_IMODE((tmp_path / judge.SECRET_FILE).stat().st_mode) == 0o600


def test_hidden_inputs_depend_on_the_secret_and_the_student():
    def draw(secret, student):
        return judge.hidden_rng(secret, ASSIGNMENT, student, "sigmoid").standard_normal(4)

    assert not np.array_equal(draw(b"a", "ada"), draw(b"b", "ada"))
    assert not np.array_equal(draw(b"a", "ada"), draw(b"a", "ben"))
    assert np.array_equal(draw(b"a", "ada"), draw(b"a", "ada"))


def test_visible_inputs_are_the_notebooks():
    from bplib import grading

    assert np.array_equal(judge.visible_rng("softmax").standard_normal(3),
                          grading._rng("softmax", False).standard_normal(3))


def test_hidden_messages_show_no_student_data():
    report = Report("sigmoid", hidden=True)
    report.fail("raised", case="f = sin at x = 0.731", error="ValueError: [0.12345, 0.5]", where="line 2: `raise`")
    report.fail("wrong_shape", case="a random (7, 4) input", got=(731,), expected=(7, 4))
    text = report.text()
    assert "0.731" not in text and "0.12345" not in text and "731" not in text and "(7, 4) input" in text
    assert "ValueError" in text


# ---- no sandbox, no grading (unless asked)


def test_grading_refuses_to_run_without_bubblewrap(monkeypatch):
    monkeypatch.setattr(sandbox, "_bubblewrap", lambda: None)
    monkeypatch.setattr(sandbox, "_probe_result", {})
    assert "not installed" in sandbox.sandbox_problem()
    with pytest.raises(sandbox.SandboxUnavailable):
        sandbox.Worker(judge.library_for(("sigmoid",)), sandbox.Limits())


def test_unsafe_mode_runs_the_same_judge_without_a_sandbox(monkeypatch):
    monkeypatch.setattr(sandbox, "_bubblewrap", lambda: None)
    monkeypatch.setattr(sandbox, "_probe_result", {})
    student, solution = submissions.load(ASSIGNMENT)
    judged = judge.judge(submissions.filled(student, solution, ["sigmoid", "relu"]), solution, ASSIGNMENT, "ada",
                         b"secret", sandbox.Limits(timeout=30), unsafe=True)
    assert in_process_guards(), "the notebook's own checks keep their guards"
    assert judged.passed["sigmoid"] and judged.passed["relu"] and not judged.passed["softmax"]


def test_stripped_library_has_no_reference_code(tmp_path):
    from bplib.grading import NOTEBOOKS

    library = sandbox.prepare_library(NOTEBOOKS[ASSIGNMENT], tmp_path / "lib")
    text = (library / "bplib" / "activations.py").read_text()
    assert "np.exp(-np.abs" not in text and "exp(-" not in text.split('"""')[-1]
    assert "_bplib_reference('bplib.activations.sigmoid', locals())" in text
    assert not (library / "bplib" / "grading" / "exercises").exists()
    assert os.access(library / "worker.py", os.R_OK)


def test_an_environment_under_tmp_is_not_hidden_by_the_scratch_tmp(tmp_path):
    """The scratch /tmp is mounted before the environment, so a course cloned under /tmp (as
    CI does) still finds its Python inside the sandbox."""
    cmd = sandbox._bwrap_command(tmp_path, sandbox.Limits(), None)
    tmpfs = cmd.index("--tmpfs")
    binds = [i for i, arg in enumerate(cmd) if arg == "--ro-bind"]
    assert cmd[tmpfs + 1] == sandbox.SANDBOX_HOME and tmpfs < min(binds)


@pytest.mark.parametrize("assignment, module, withheld", [
    ("12-convolutions", "conv", ["Conv2d.forward", "MaxPool2d.backward", "im2col", "col2im"]),
    ("13-recurrent-networks", "recurrent", ["rnn_forward", "lstm_forward", "lstm_backward", "_lstm_da", "_gates"]),
])
def test_library_code_that_would_give_an_exercise_away_is_withheld(tmp_path, assignment, module, withheld):
    """bplib's Conv2d computes conv2d_forward, and its LSTM layer the LSTM step: a submission
    that wraps them must find nothing there while it is graded (the judge serves the functions
    that the layers call only while the notebook's cells run)."""
    from bplib.grading import NOTEBOOKS

    library = sandbox.prepare_library(NOTEBOOKS[assignment], tmp_path / "lib")
    text = (library / "bplib" / f"{module}.py").read_text()
    for name in withheld:
        assert f"'bplib.{module}.{name}'" in text, name
    served = sandbox.reference_functions(NOTEBOOKS[assignment])
    assert all(f"bplib.{module}.{name}" in served for name in withheld if "." not in name)


def test_references_that_drive_networks_are_not_served(tmp_path):
    """A GAN's training step calls the networks it is given: the judge cannot run it for the
    notebook's cells, so grading.or_reference gives those cells the student's own."""
    from bplib.grading import NOTEBOOKS

    served = sandbox.reference_functions(NOTEBOOKS["14-gan"])
    assert sorted(served) == ["bplib.gan.discriminator_loss", "bplib.gan.generator_loss"]
    library = sandbox.prepare_library(NOTEBOOKS["14-gan"], tmp_path / "lib")
    assert "'bplib.gan.gan_train_step'" in (library / "bplib" / "gan.py").read_text()
    assert "gan_train_step" not in (library / "bplib" / "grading" / "__init__.py").read_text()


GAN_STEP_WITH_OWN_ZEROING = '''
def gan_train_step(generator, discriminator, g_optimizer, d_optimizer, x_real, z):
    """One step of each player, the gradients cleared parameter by parameter and by the networks."""
    fake = generator.forward(z)
    for p in discriminator.parameters():
        p.zero_grad()
    M = len(x_real)
    logits = discriminator.forward(np.concatenate([x_real, fake]))
    d_loss, d_real, d_fake = discriminator_loss(logits[:M], logits[M:])
    discriminator.backward(np.concatenate([d_real, d_fake]))
    d_optimizer.step()
    generator.zero_grad()
    g_loss = generator_backward(generator, discriminator, z)
    g_optimizer.step()
    return d_loss, g_loss
'''


def test_networks_and_optimizers_handed_to_a_submission_behave_as_bplib_s(monkeypatch):
    """14's training step gets the judge's two networks and optimizers: the submission's calls
    (forward, backward, the optimizers' zero_grad and step, a network's or a parameter's
    zero_grad) act on the judge's objects, whose weights the check then reads."""
    if sandbox.sandbox_problem():
        monkeypatch.setattr(sandbox, "_bubblewrap", lambda: None)
        monkeypatch.setattr(sandbox, "_probe_result", {})
    assignment = "14-gan"
    student, solution = submissions.load(assignment)
    submission = submissions.filled(student, solution, replace={"gan_train_step": GAN_STEP_WITH_OWN_ZEROING})
    judged = judge.judge(submission, student, assignment, "ada", b"secret", sandbox.Limits(timeout=30, figures=False),
                         unsafe=bool(sandbox.sandbox_problem()))
    assert all(judged.passed.values()), judged.passed
