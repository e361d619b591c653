"""The order in which the two pytest-xdist workers take up the test modules: the longest first.

--dist loadscope hands out whole modules (and the pipeline's classes) in collection order, and
the run ends when the last one does. A module of two minutes collected near the end would run
while the other worker has nothing left to do; taken first, the short ones fill in around it.

Each process computes with one BLAS thread (the workers, and the kernels and sandboxes they
start, inherit it): two workers already keep both cores busy, and OpenBLAS threads that spin
waiting for a core only take it from the other worker (the grading sandbox has always had one).
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
LONGEST_FIRST = ["test_binder.py", "test_judge_attacks.py", "test_class_cycle.py", "test_notebooks.py",
                 "test_pipeline.py"]


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each module keeps its own order
