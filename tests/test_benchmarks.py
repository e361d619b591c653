"""The benchmark scripts still run, end to end, on a few samples (bplib only: PyTorch is not a
dependency). They measure speed; these tests only keep them from breaking silently, and they
time nothing. bench_mlp's own dtype check (nothing silently became float64) runs here too."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True,
                            timeout=120, env={"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, f"{script} {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bench_mlp_trains_both_batch_sizes_and_keeps_the_dtype(dtype):
    out = _run("bench_mlp.py", "--no-torch", "--no-digits", "--samples", "2048", "--repeats", "1",
               "--dtypes", dtype)
    rows = [line.split() for line in out.splitlines() if line.startswith(dtype)]
    assert [row[1] for row in rows] == ["64", "256"], out
    assert all(float(row[3]) > 0 for row in rows), out


def test_profile_mlp_splits_the_epoch_into_its_phases():
    out = _run("profile_mlp.py", "--samples", "1024", "--dtypes", "float64", "--batch-sizes", "64")
    times = {line[:20].strip(): float(line[20:29]) for line in out.splitlines()
             if line.startswith("  ") and line[:20].strip()}  # the rows, not the header
    phases = ["zero_grad", "forward", "loss", "backward", "step"]
    assert set(phases) <= set(times), out
    assert times["epoch"] == pytest.approx(sum(times[p] for p in phases), abs=len(phases)), out
