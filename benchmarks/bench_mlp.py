#!/usr/bin/env python3
"""Time training epochs of small MLPs in bplib, and in PyTorch when it is installed.

    python benchmarks/bench_mlp.py            full run (about 30 s on 2 cores, with PyTorch)
    python benchmarks/bench_mlp.py --quick    smoke test: 10,000 samples, one timed epoch

Two measurements:

1. One epoch of a 784-128-10 MLP (Dense -> ReLU -> Dense, SoftmaxCrossEntropy,
   SGD(lr=0.01, momentum=0.9)) on 60,000 synthetic MNIST-sized samples, at batch sizes 64
   and 256, in float32 and float64. Each configuration runs one warm-up epoch, then
   ``--repeats`` timed epochs, and reports the median. With PyTorch importable, the same
   network (same initial weights, same data, same loop, same number of threads) is timed
   too and the ratio bplib time / PyTorch time is printed: below 1.0 means bplib is faster.

   Like for like, neither computes the gradient with respect to the data, which nothing
   uses: PyTorch skips it because the data has requires_grad=False, bplib because the first
   Dense layer is built with ``input_grad=False``. With ``--input-grad`` both compute it
   (bplib's default Dense; ``requires_grad_()`` on PyTorch's batches): one more matrix
   product per step, as large as the first layer's forward pass.
2. The digits task of tests/test_network.py: a 64-64-10 MLP trained for 20 epochs with
   ``bplib.network.fit``; wall time and test accuracy (target: >= 95 % in under 10 s).

Both frameworks see the same batches: contiguous slices of data that is random anyway, so
the timings measure the training step (forward, loss, backward, update), not data loading.
PyTorch is only a yardstick here: bplib itself never imports it.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from bplib.data import load_digits, standardize, train_test_split
from bplib.layers import Dense, ReLU
from bplib.losses import SoftmaxCrossEntropy
from bplib.network import Sequential, accuracy, fit
from bplib.optim import SGD

N_IN, N_HIDDEN, N_OUT = 784, 128, 10
LR, MOMENTUM = 0.01, 0.9


# ----------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------
def blas_threads() -> int:
    """How many threads numpy's BLAS uses (PyTorch is given the same number)."""
    try:  # threadpoolctl asks the BLAS library itself; it is optional
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool["user_api"] == "blas":
                return pool["num_threads"]
    except ImportError:
        pass
    # OpenBLAS's default: one thread per CPU this process may run on, unless capped.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def synthetic_data(n: int, dtype, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n standard-normal inputs of 784 features (like standardised MNIST) and labels 0..9."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, N_IN)).astype(dtype)
    y = rng.integers(0, N_OUT, size=n)
    return X, y


def median_time(run_epoch, repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``run_epoch``, after one untimed warm-up call."""
    run_epoch()  # warm-up: first-touch of memory, thread pools started, caches filled
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run_epoch()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ----------------------------------------------------------------------------------------
# bplib
# ----------------------------------------------------------------------------------------
def bplib_mlp(dtype, input_grad: bool = False, seed: int = 0) -> Sequential:
    return Sequential(Dense(N_IN, N_HIDDEN, rng=seed, dtype=dtype, input_grad=input_grad), ReLU(),
                      Dense(N_HIDDEN, N_OUT, rng=seed + 1, dtype=dtype))


def bplib_epoch(model, loss_fn, optimizer, X, y, batch_size: int) -> None:
    for start in range(0, len(X), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        model.backward(loss_fn.backward())
        optimizer.step()
    if not np.isfinite(loss):
        raise RuntimeError(f"bplib training diverged (loss {loss})")


def check_dtypes(model, loss_fn, optimizer, X, y, batch_size: int, dtype) -> None:
    """Fail loudly if anything in a training step was silently computed in another dtype."""
    xb, yb = X[:batch_size], y[:batch_size]
    optimizer.zero_grad()
    out = model(xb)
    loss_fn(out, yb)
    dout = loss_fn.backward()
    dx = model.backward(dout)
    optimizer.step()
    arrays = {"output": out, "loss gradient": dout}
    if dx is not None:  # None when the first layer has input_grad=False
        arrays["input gradient"] = dx
    for i, p in enumerate(model.parameters()):
        arrays[f"param {i} ({p.name})"] = p.value
        arrays[f"grad {i} ({p.name})"] = p.grad
        for key, array in optimizer.state[p].items():
            arrays[f"{key} {i} ({p.name})"] = array
    wrong = {name: a.dtype for name, a in arrays.items() if a.dtype != dtype}
    if wrong:
        raise AssertionError(f"expected {np.dtype(dtype)} everywhere, got {wrong}")


def time_bplib(X, y, batch_size: int, dtype, repeats: int, input_grad: bool) -> tuple[float, list]:
    model = bplib_mlp(dtype, input_grad)
    # Copy the initial weights now: PyTorch starts from exactly the same network.
    init = [p.value.copy() for p in model.parameters()]
    loss_fn = SoftmaxCrossEntropy()
    optimizer = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    seconds = median_time(lambda: bplib_epoch(model, loss_fn, optimizer, X, y, batch_size), repeats)
    check_dtypes(model, loss_fn, optimizer, X, y, batch_size, dtype)
    return seconds, init


# ----------------------------------------------------------------------------------------
# PyTorch (optional)
# ----------------------------------------------------------------------------------------
def torch_mlp(torch, dtype):
    """bplib_mlp's network in PyTorch, in that dtype (its own initial weights)."""
    nn = torch.nn
    model = nn.Sequential(nn.Linear(N_IN, N_HIDDEN), nn.ReLU(), nn.Linear(N_HIDDEN, N_OUT))
    return model.to(getattr(torch, np.dtype(dtype).name))


def time_torch(torch, X, y, batch_size: int, dtype, init: list[np.ndarray], repeats: int, input_grad: bool) -> float:
    nn = torch.nn
    W1, b1, W2, b2 = init
    model = torch_mlp(torch, dtype)
    with torch.no_grad():  # bplib stores W as (in, out); torch's Linear as (out, in)
        model[0].weight.copy_(torch.from_numpy(W1.T.copy()))
        model[0].bias.copy_(torch.from_numpy(b1))
        model[2].weight.copy_(torch.from_numpy(W2.T.copy()))
        model[2].bias.copy_(torch.from_numpy(b2))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    with torch.no_grad():  # same network: same scores as bplib's initial one on a few samples
        expected = np.maximum(X[:8] @ W1 + b1, 0) @ W2 + b2
        if not np.allclose(model(Xt[:8]).numpy(), expected, rtol=1e-3, atol=1e-4):
            raise AssertionError("the PyTorch copy of the network does not match bplib's")

    def epoch() -> None:
        for start in range(0, len(Xt), batch_size):
            xb, yb = Xt[start:start + batch_size], yt[start:start + batch_size]
            if input_grad:
                xb = xb.detach().requires_grad_()
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        if not torch.isfinite(loss):
            raise RuntimeError(f"PyTorch training diverged (loss {loss.item()})")

    return median_time(epoch, repeats)


def import_torch(threads: int):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


# ----------------------------------------------------------------------------------------
# The digits task
# ----------------------------------------------------------------------------------------
def digits_task() -> tuple[float, float]:
    """The recipe of tests/test_network.py::test_mlp_reaches_95_percent_on_digits."""
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, rng=0)
    X_train, X_test, _, _ = standardize(X_train, X_test)
    model = Sequential(Dense(64, 64, rng=0), ReLU(), Dense(64, 10, rng=1))
    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9)
    start = time.perf_counter()
    fit(model, SoftmaxCrossEntropy(), optimizer, X_train, y_train, epochs=20, batch_size=32,
        validation=(X_test, y_test), rng=0, progress=False)
    seconds = time.perf_counter() - start
    return seconds, accuracy(model(X_test), y_test)


# ----------------------------------------------------------------------------------------
def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 samples and one timed epoch (a smoke test)")
    parser.add_argument("--samples", type=int, help="samples per epoch (default 60,000; 10,000 with --quick)")
    parser.add_argument("--repeats", type=int,
                        help="timed epochs per configuration, median reported (default 3; 1 with --quick)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--input-grad", action="store_true",
                        help="also compute d loss / d input in both frameworks (bplib's default Dense)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if it is installed")
    parser.add_argument("--no-digits", action="store_true", help="skip the digits task")
    args = parser.parse_args(argv)
    samples = args.samples or (10_000 if args.quick else 60_000)
    repeats = args.repeats or (1 if args.quick else 3)

    threads = blas_threads()
    print(f"numpy {np.__version__}, python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"BLAS threads {threads}")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"  {var}={os.environ[var]}")
    print(f"784-128-10 MLP, SGD(lr={LR}, momentum={MOMENTUM}), one epoch of {samples:,} samples, "
          f"median of {repeats} after one warm-up epoch")
    print("gradient w.r.t. the input: " + ("computed (--input-grad)" if args.input_grad else
                                           "skipped, as PyTorch does for data (first Dense has input_grad=False)"))

    # All of bplib first, then all of PyTorch: both libraries keep their worker threads
    # busy-waiting for a moment after each call, so interleaving them could let one
    # framework's idle threads slow down the other.
    configs = [(dtype, batch) for dtype in args.dtypes for batch in args.batch_sizes]
    results = {}
    for dtype, batch in configs:
        X, y = synthetic_data(samples, dtype)
        results[dtype, batch] = time_bplib(X, y, batch, np.dtype(dtype).type, repeats, args.input_grad)

    torch = None if args.no_torch else import_torch(threads)
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    header = f"{'dtype':8} {'batch':>5} | {'bplib s/epoch':>13} {'samples/s':>10}"
    if torch is not None:
        header += f" | {'torch s/epoch':>13} {'samples/s':>10} | {'bplib/torch':>11}"
    print("\n" + header + "\n" + "-" * len(header))
    for dtype, batch in configs:
        seconds, init = results[dtype, batch]
        line = f"{dtype:8} {batch:5d} | {seconds:13.3f} {samples / seconds:10,.0f}"
        if torch is not None:
            X, y = synthetic_data(samples, dtype)
            t_seconds = time_torch(torch, X, y, batch, np.dtype(dtype).type, init, repeats, args.input_grad)
            line += f" | {t_seconds:13.3f} {samples / t_seconds:10,.0f} | {seconds / t_seconds:10.2f}x"
        print(line, flush=True)
    if torch is None and not args.no_torch:
        print("(PyTorch is not installed: bplib's figures only)")

    if not args.no_digits:
        seconds, acc = digits_task()
        verdict = "OK" if acc >= 0.95 and seconds < 10 else "MISSED the target (>= 95 % in < 10 s)"
        print(f"\ndigits 64-64-10, SGD(lr=0.05, momentum=0.9), batch 32, 20 epochs with fit(): "
              f"{seconds:.2f} s, test accuracy {acc:.1%}  [{verdict}]")


if __name__ == "__main__":
    main()
