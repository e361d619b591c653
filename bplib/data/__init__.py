"""Datasets and data plumbing for the Backprop course: plain numpy, batch-first, float64.

- ``toy``            seeded generators: :func:`linear`, :func:`xor`, :func:`spirals`,
                     :func:`moons`, :func:`circles`
- ``digits``         :func:`load_digits`, the 8x8 UCI digits shipped inside bplib
- ``idx``            :func:`read_idx`, the parser for MNIST's IDX file format
- ``mnist``          :func:`load_mnist`, downloaded once and checked by SHA-256
- ``batches``        :func:`minibatches`, :func:`train_test_split`
- ``preprocessing``  :func:`standardize`, :func:`one_hot`
- ``augment``        :func:`shift_images`, for data augmentation

Everything is importable from ``bplib.data`` itself.

Randomness: every random function takes ``rng``, an int seed, a ``numpy.random.Generator`` or
None, as described in :mod:`bplib`. The default, ``rng=0``, makes every call reproducible; pass
one Generator through a whole experiment when successive calls should differ (for example a new
minibatch order in every epoch).
"""
from .augment import shift_images
from .batches import minibatches, train_test_split
from .digits import load_digits
from .idx import read_idx
from .mnist import MNIST_MIRRORS, MNIST_SHA256, ChecksumError, load_mnist
from .preprocessing import one_hot, standardize
from .toy import circles, linear, moons, spirals, xor

__all__ = [
    "linear",
    "xor",
    "spirals",
    "moons",
    "circles",
    "load_digits",
    "load_mnist",
    "read_idx",
    "minibatches",
    "train_test_split",
    "standardize",
    "one_hot",
    "shift_images",
    "ChecksumError",
    "MNIST_MIRRORS",
    "MNIST_SHA256",
]
