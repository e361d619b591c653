#!/usr/bin/env python3
"""Time Conv2d forward + backward in bplib, and in PyTorch when it is installed.

    python benchmarks/bench_conv.py            full run (about 50 s on 2 cores, with PyTorch)
    python benchmarks/bench_conv.py --quick    smoke test: fewer steps and repeats

One training step of a single convolution layer: forward, then backward from a fixed random
upstream gradient, computing d loss / d W, d loss / d b and d loss / d x, for

1. a batch of 64 images of 1 × 28 × 28 (MNIST-sized) through 8 filters of 3 × 3;
2. a batch of 32 of 8 × 14 × 14 through 16 filters of 3 × 3 with padding 1,

in float32 and float64. Each configuration runs one warm-up block of steps, then
``--repeats`` timed blocks of ``--steps`` steps, and reports the median time per step.
bplib's blocks and PyTorch's alternate, with a pause before each, so that a shared
machine's changing load affects both alike (``--sequential``: all of bplib first, then all
of PyTorch, as bench_mlp.py does).

With PyTorch importable, ``torch.nn.functional.conv2d`` with autograd is timed on the same
data, weights and upstream gradient, with the same number of threads as numpy's BLAS, and
its results are checked against bplib's first. Both compute d loss / d x (the input has
``requires_grad=True``): bplib's Conv2d always returns it. The last column is bplib's time
divided by PyTorch's: below 1.0 means bplib is faster. PyTorch is only a yardstick here:
bplib itself never imports it.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
from bench_mlp import blas_threads, import_torch  # benchmarks/ is on sys.path when run as a script

from bplib.layers import Conv2d

# name: (N, C, H = W, F, kernel, padding)
CONFIGS = {
    "64x1x28x28 -> 8 3x3": (64, 1, 28, 8, 3, 0),
    "32x8x14x14 -> 16 3x3 p1": (32, 8, 14, 16, 3, 1),
}


def make_case(config, dtype, seed: int = 0):
    """The layer, its input and an upstream gradient, all seeded."""
    N, C, size, F, k, p = config
    rng = np.random.default_rng(seed)
    layer = Conv2d(C, F, k, padding=p, rng=seed, dtype=dtype)
    x = rng.standard_normal((N, C, size, size)).astype(dtype)
    dout = rng.standard_normal(layer(x).shape).astype(dtype)
    layer.zero_grad()
    return layer, x, dout


def bplib_step(layer, x, dout):
    def step() -> None:
        layer.zero_grad()
        layer(x)
        layer.backward(dout)

    return step


def torch_step(torch, layer, x, dout):
    """The same step in PyTorch, on copies of bplib's weights; returns it and its result for the check."""
    padding = layer.padding
    xt = torch.from_numpy(x).requires_grad_()
    Wt = torch.from_numpy(layer.W.value.copy()).requires_grad_()
    bt = torch.from_numpy(layer.b.value.copy()).requires_grad_()
    dout_t = torch.from_numpy(dout)

    def step():
        for t in (xt, Wt, bt):
            t.grad = None  # what optimizer.zero_grad() does by default
        out = torch.nn.functional.conv2d(xt, Wt, bt, padding=padding)
        out.backward(dout_t)
        return out

    return step, (xt, Wt, bt)


def check_against_torch(torch, layer, x, dout) -> None:
    """Fail loudly unless both frameworks compute the same output and gradients."""
    step, (xt, Wt, bt) = torch_step(torch, layer, x, dout)
    out_t = step()
    layer.zero_grad()
    out = layer(x)
    dx = layer.backward(dout)
    # Relative to the largest entry: dW sums 6,000 products, whose float32 round-off can
    # exceed any tolerance relative to an entry that happens to be near zero.
    tol = 1e-4 if x.dtype == np.float32 else 1e-10
    pairs = {"output": (out, out_t), "dx": (dx, xt.grad), "dW": (layer.W.grad, Wt.grad), "db": (layer.b.grad, bt.grad)}
    for name, (a, b) in pairs.items():
        b = b.detach().numpy()
        error = np.max(np.abs(a - b)) / np.max(np.abs(b))
        if a.dtype != x.dtype or not error < tol:
            raise AssertionError(f"bplib and PyTorch disagree on {name} ({a.dtype}): relative error {error:.1e}")


def time_steps(steps_by_name: dict, steps: int, repeats: int, pause: float) -> dict[str, float]:
    """Median seconds per step of each callable, timed in blocks of ``steps`` calls.

    After one warm-up block each, the blocks alternate between the callables, ``repeats``
    times, with a pause before each block: on a shared machine the load then changes for all
    of them alike, and the pause lets the worker threads of the previous block fall asleep
    before the next block starts. Both numpy's BLAS and PyTorch keep theirs busy-waiting for a
    while after each call (OpenBLAS for about 0.1 s): with pauses of 0.05 s, OpenBLAS's
    spinning threads made PyTorch's step on 32 × 8 × 14 × 14 images about 1.4 times slower.
    """
    def block(step) -> float:
        start = time.perf_counter()
        for _ in range(steps):
            step()
        return time.perf_counter() - start

    for step in steps_by_name.values():
        block(step)  # warm-up: first-touch of memory, thread pools started, caches filled
    times = {name: [] for name in steps_by_name}
    for _ in range(repeats):
        for name, step in steps_by_name.items():
            time.sleep(pause)
            times[name].append(block(step))
    return {name: statistics.median(t) / steps for name, t in times.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 steps per block, 3 blocks (a smoke test)")
    parser.add_argument("--steps", type=int, help="steps per timed block (default 50; 10 with --quick)")
    parser.add_argument("--repeats", type=int, help="timed blocks per configuration and framework, median reported "
                                                    "(default 11; 3 with --quick)")
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--sequential", action="store_true",
                        help="time all of bplib, then all of PyTorch (as bench_mlp.py does) "
                             "instead of alternating blocks")
    parser.add_argument("--pause", type=float, default=0.3,
                        help="seconds of sleep before each timed block (default 0.3; see time_steps)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if it is installed")
    args = parser.parse_args(argv)
    steps = args.steps or (10 if args.quick else 50)
    repeats = args.repeats or (3 if args.quick else 11)
    pause = args.pause

    threads = blas_threads()
    print(f"numpy {np.__version__}, python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"BLAS threads {threads}")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"  {var}={os.environ[var]}")
    torch = None if args.no_torch else import_torch(threads)  # same number of threads as numpy's BLAS
    if torch is not None:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"Conv2d forward + backward (dW, db and dx): median of {repeats} blocks of {steps} steps after "
          f"one warm-up block, {'all of bplib first' if args.sequential else 'alternating blocks'}")

    cases = [(name, dtype) for name in CONFIGS for dtype in args.dtypes]
    runs = {}
    for name, dtype in cases:
        layer, x, dout = make_case(CONFIGS[name], np.dtype(dtype).type)
        runs[name, dtype, "bplib"] = bplib_step(layer, x, dout)
        if torch is not None:
            check_against_torch(torch, layer, x, dout)
            runs[name, dtype, "torch"] = torch_step(torch, layer, x, dout)[0]
    if args.sequential:
        results = {}
        for framework in ("bplib", "torch"):
            for key, step in runs.items():
                if key[2] == framework:
                    results.update(time_steps({key: step}, steps, repeats, pause))
    else:
        results = {}
        for name, dtype in cases:
            results.update(time_steps({k: v for k, v in runs.items() if k[:2] == (name, dtype)}, steps, repeats, pause))

    header = f"{'config':24} {'dtype':8} | {'bplib ms/step':>13}"
    if torch is not None:
        header += f" | {'torch ms/step':>13} | {'bplib/torch':>11}"
    print("\n" + header + "\n" + "-" * len(header))
    for name, dtype in cases:
        seconds = results[name, dtype, "bplib"]
        line = f"{name:24} {dtype:8} | {1e3 * seconds:13.3f}"
        if torch is not None:
            t_seconds = results[name, dtype, "torch"]
            line += f" | {1e3 * t_seconds:13.3f} | {seconds / t_seconds:10.2f}x"
        print(line)
    if torch is None and not args.no_torch:
        print("(PyTorch is not installed: bplib's figures only)")


if __name__ == "__main__":
    main()
