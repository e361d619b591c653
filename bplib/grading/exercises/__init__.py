"""The course's exercises, by notebook. Each notebook's ``grading.start`` names its key here.

Where an exercise's reference lives, one rule (docs/authoring.md, "Where the reference lives"):

- a piece that bplib has, or that later notebooks or bplib itself use (an activation, a loss, a
  layer, an optimizer, ``minibatches``), is bplib's public function or class, imported here and
  never copied: the exercise grades the student's version against the library's;
- a piece that exists only to teach one step (one neuron differentiated by hand, 07's buggy
  backward passes to fix, the linear regression of 04) is defined in its notebook's module here,
  above ``EXERCISES``, written as the notebook's solution is, with the notebook's signature.

No name is defined in both places: tests/test_grading.py checks that no reference defined here
shares its name with a public name of bplib.
"""
from __future__ import annotations

from . import (
    activations,
    chain_rule,
    convolutions,
    debugging,
    deep,
    digits,
    gan,
    gradient_descent,
    logistic,
    losses,
    network,
    optimizers,
    recurrent,
    regularisation,
)

NOTEBOOKS = {
    "01-derivatives-and-the-chain-rule": chain_rule.EXERCISES,
    "02-activation-functions": activations.EXERCISES,
    "03-loss-functions": losses.EXERCISES,
    "04-gradient-descent": gradient_descent.EXERCISES,
    "05-logistic-regression": logistic.EXERCISES,
    "06-backprop-in-a-network": network.EXERCISES,
    "07-gradient-checking-and-debugging": debugging.EXERCISES,
    "08-training-on-real-data": digits.EXERCISES,
    "09-optimizers": optimizers.EXERCISES,
    "10-deep-networks": deep.EXERCISES,
    "11-regularisation": regularisation.EXERCISES,
    "12-convolutions": convolutions.EXERCISES,
    "13-recurrent-networks": recurrent.EXERCISES,
    "14-gan": gan.EXERCISES,
}
EXERCISES = {exercise.name: exercise for exercises in NOTEBOOKS.values() for exercise in exercises}
assert len(EXERCISES) == sum(map(len, NOTEBOOKS.values())), "exercise names must be unique across notebooks"
