"""Leaf evaluators: what the search asks of a position it has not expanded.

An evaluator has two methods (as OpenSpiel's): ``evaluate(state)`` returns one
value per player, and ``prior(state)`` a probability per legal action. The
search owns neither the state's copy nor its randomness: evaluators must not
change the state they are given, and a random evaluator carries its own rng so
a seeded search replays exactly. A network evaluator later fits the same two
methods (and may batch behind them).
"""

from __future__ import annotations

import random
from typing import Protocol, runtime_checkable

import numpy as np

from selfplay.games.base import State


@runtime_checkable
class Evaluator(Protocol):
    def evaluate(self, state: State) -> np.ndarray:
        """Value of a non-terminal ``state`` for every player, shape (num_players,)."""
        ...

    def prior(self, state: State) -> dict[int, float]:
        """Probability of each legal action of the player to move in ``state``."""
        ...


def python_rng(rng: np.random.Generator | int | None) -> random.Random:
    """A ``random.Random`` drawn from a numpy generator or a seed.

    Hot loops use Python's generator: one ``random()`` call is several times
    cheaper than a numpy draw of a single number.
    """
    if isinstance(rng, np.random.Generator):
        return random.Random(int(rng.integers(2**63)))
    return random.Random(int(np.random.default_rng(rng).integers(2**63)))


class RandomRollout:
    """One uniformly random playout per leaf; its value is the final returns.

    ``rng`` (a numpy generator or a seed) fixes the playouts. ``prior`` is
    uniform over the legal actions.
    """

    def __init__(self, rng: np.random.Generator | int | None = None) -> None:
        self._random = python_rng(rng)

    def evaluate(self, state: State) -> np.ndarray:
        world = state.clone()
        rand = self._random.random
        legal = world.legal_actions()
        # Actions come straight from legal_actions(), so the unchecked _apply
        # is safe and skips the base class re-validating every move.
        while legal:
            world._apply(legal[int(rand() * len(legal))])
            legal = world.legal_actions()
        return np.array(world.returns(), dtype=float)

    def prior(self, state: State) -> dict[int, float]:
        legal = state.legal_actions()
        if not legal:
            return {}
        p = 1.0 / len(legal)
        return {a: p for a in legal}
