"""The course's exercises, by notebook. Each notebook's ``grading.start`` names its key here."""
from __future__ import annotations

from . import activations, chain_rule, losses

NOTEBOOKS = {
    "01-derivatives-and-the-chain-rule": chain_rule.EXERCISES,
    "02-activation-functions": activations.EXERCISES,
    "03-loss-functions": losses.EXERCISES,
}
EXERCISES = {exercise.name: exercise for exercises in NOTEBOOKS.values() for exercise in exercises}
