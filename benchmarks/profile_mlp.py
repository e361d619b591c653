#!/usr/bin/env python3
"""Where an epoch of bench_mlp.py's MLP spends its time, phase by phase, in bplib and PyTorch.

    python benchmarks/profile_mlp.py                     float64 and float32, batch 64 and 256
    python benchmarks/profile_mlp.py --dtypes float64 --batch-sizes 64

For each configuration it runs one epoch of the training loop of bench_mlp.py, timing every
phase of every step with ``time.perf_counter`` (the CPU runs both frameworks synchronously, so
a phase's time is its own): zero_grad, forward, loss, backward, step. Then it times, alone and
on the same shapes, the first layer's two matrix products, which set the floor: x @ W (the
forward pass) and xᵀ dout (dW). The rest of the epoch is everything that is not a product of
the first layer: the second layer, ReLU, the loss, the update, Python.

The timers add about 1 µs per phase, to both frameworks alike.
"""
from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
from bench_mlp import LR, MOMENTUM, N_HIDDEN, blas_threads, bplib_mlp, import_torch, synthetic_data, torch_mlp

from bplib.losses import SoftmaxCrossEntropy
from bplib.optim import SGD

PHASES = ("zero_grad", "forward", "loss", "backward", "step")


def alone(f, repeats: int = 300) -> float:
    """Seconds per call of f, after a few warm-up calls."""
    for _ in range(10):
        f()
    start = time.perf_counter()
    for _ in range(repeats):
        f()
    return (time.perf_counter() - start) / repeats


def time_phases(X, y, batch_size: int, training_step) -> dict[str, float]:
    """Seconds per epoch spent in each phase. ``training_step(xb, yb)`` is a generator that
    yields once at the end of each phase of PHASES; the second of two epochs is kept."""
    spent: dict[str, float] = defaultdict(float)
    for epoch in range(2):  # the first one warms up
        spent.clear()
        for start in range(0, len(X), batch_size):
            before = time.perf_counter()
            for phase, _ in zip(PHASES, training_step(X[start:start + batch_size], y[start:start + batch_size])):
                now = time.perf_counter()
                spent[phase] += now - before
                before = now
    return spent


def bplib_phases(X, y, batch_size: int, dtype) -> dict[str, float]:
    model = bplib_mlp(dtype)
    loss_fn, optimizer = SoftmaxCrossEntropy(), SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def training_step(xb, yb):
        optimizer.zero_grad()
        yield
        scores = model(xb)
        yield
        loss_fn(scores, yb)
        dout = loss_fn.backward()
        yield
        model.backward(dout)
        yield
        optimizer.step()
        yield

    spent = time_phases(X, y, batch_size, training_step)
    xb = X[:batch_size]
    W, dout = model.layers[0].W.value, np.ones((batch_size, N_HIDDEN), dtype)
    spent["x @ W alone"] = alone(lambda: xb @ W) * len(X) / batch_size
    spent["xᵀ dout alone"] = alone(lambda: xb.T @ dout) * len(X) / batch_size
    return spent


def torch_phases(torch, X, y, batch_size: int, dtype) -> dict[str, float]:
    model = torch_mlp(torch, dtype)
    loss_fn, optimizer = torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def training_step(xb, yb):
        optimizer.zero_grad()
        yield
        scores = model(xb)
        yield
        loss = loss_fn(scores, yb)
        yield
        loss.backward()  # the loss's backward too: torch has no separate call for it
        yield
        optimizer.step()
        yield

    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    spent = time_phases(Xt, yt, batch_size, training_step)
    with torch.no_grad():
        xb, W = Xt[:batch_size], model[0].weight
        dout = torch.ones(batch_size, N_HIDDEN, dtype=W.dtype)
        spent["x @ W alone"] = alone(lambda: xb @ W.T) * len(X) / batch_size
        spent["xᵀ dout alone"] = alone(lambda: dout.T @ xb) * len(X) / batch_size  # as autograd does
    return spent


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"], choices=["float32", "float64"])
    parser.add_argument("--samples", type=int, default=60_000)
    args = parser.parse_args(argv)
    threads = blas_threads()
    torch = import_torch(threads)
    print(f"numpy {np.__version__}, BLAS threads {threads}" + (f", torch {torch.__version__}" if torch else ""))
    rows = (*PHASES, "epoch", "x @ W alone", "xᵀ dout alone", "rest of the epoch")
    for dtype in args.dtypes:
        X, y = synthetic_data(args.samples, dtype)
        for batch in args.batch_sizes:
            runs = {"bplib": bplib_phases(X, y, batch, np.dtype(dtype).type)}
            if torch is not None:
                runs["torch"] = torch_phases(torch, X, y, batch, np.dtype(dtype).type)
            for spent in runs.values():
                spent["epoch"] = sum(spent[p] for p in PHASES)
                spent["rest of the epoch"] = spent["epoch"] - spent["x @ W alone"] - spent["xᵀ dout alone"]
            print(f"\n{dtype}, batch {batch}: ms per epoch of {args.samples:,} samples")
            print(f"  {'':18}" + "".join(f"{name:>9}" for name in runs) + ("  bplib/torch" if torch else ""))
            for row in rows:
                line = f"  {row:18}" + "".join(f"{spent[row] * 1e3:9.0f}" for spent in runs.values())
                if torch is not None and runs["torch"][row] > 0:
                    line += f"  {runs['bplib'][row] / runs['torch'][row]:10.2f}x"
                print(line)


if __name__ == "__main__":
    main()
