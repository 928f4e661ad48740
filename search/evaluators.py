"""Leaf evaluators: what the search asks of a position it has not expanded.

Two protocols. ``Evaluator`` (as OpenSpiel's, used by UCT ``MCTS``):
``evaluate(state)`` returns one value per player, ``prior(state)`` a
probability per legal action. ``BatchEvaluator`` (used by ``PUCT``):
``evaluate_batch(states) -> (priors, values)`` scores many leaves in one call,
``priors[i]`` aligned with ``states[i].legal_actions()`` and ``values`` of
shape ``(n, num_players)``, so a network sees batches, never one state at a
time. ``as_batch_evaluator`` adapts the first kind to the second.

- ``RandomRollout``: uniform prior, one random playout per leaf (both protocols).
- ``NetworkEvaluator``: any numpy callable ``features -> (logits, values)``;
  ``selfplay`` plugs a torch network in through it (or through its own
  ``evaluate_batch``, as ``selfplay.search_agents.DMCEvaluator`` does) without
  this package importing torch.

The search owns neither the state's copy nor its randomness: evaluators must
not change the states they are given, and a random evaluator carries its own
rng so a seeded search replays exactly.
"""

from __future__ import annotations

import random
from typing import Callable, Protocol, Sequence, runtime_checkable

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


Priors = list[np.ndarray]


@runtime_checkable
class BatchEvaluator(Protocol):
    def evaluate_batch(self, states: Sequence[State]) -> tuple[Priors, np.ndarray]:
        """For non-terminal ``states``: a prior per state over its ``legal_actions()``
        (in that order, summing to 1) and the values, shape ``(len(states), num_players)``."""
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

    def evaluate_batch(self, states: Sequence[State]) -> tuple[Priors, np.ndarray]:
        """Uniform priors and one playout per state."""
        priors = [np.full(n, 1.0 / n) for n in (len(s.legal_actions()) for s in states)]
        return priors, np.array([self.evaluate(s) for s in states], dtype=float).reshape(len(states), -1)


class _OneAtATime:
    """A ``BatchEvaluator`` over an ``Evaluator``: loops over the batch."""

    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator

    def evaluate_batch(self, states: Sequence[State]) -> tuple[Priors, np.ndarray]:
        priors = []
        for state in states:
            given = self.evaluator.prior(state)
            priors.append(np.array([given.get(a, 0.0) for a in state.legal_actions()], dtype=float))
        values = np.array([self.evaluator.evaluate(s) for s in states], dtype=float)
        return priors, values.reshape(len(states), -1)


def as_batch_evaluator(evaluator: Evaluator | BatchEvaluator) -> BatchEvaluator:
    """``evaluator`` itself if it has ``evaluate_batch``, else a loop over ``evaluate``/``prior``."""
    if hasattr(evaluator, "evaluate_batch"):
        return evaluator  # type: ignore[return-value]
    if isinstance(evaluator, Evaluator):
        return _OneAtATime(evaluator)
    raise TypeError(f"{evaluator!r} is no evaluator: it needs evaluate_batch, or evaluate and prior")


def team_value_vector(value: float, mover: int, teams: Sequence[Sequence[int]], zero_sum: bool = True) -> np.ndarray:
    """A value vector (one entry per player) from the value of the player to move.

    The mover's teammates share its value. The other players lose it: with
    ``zero_sum`` the team's total ``value * len(team)`` is split evenly among
    them (DouDizhu points: a landlord's ``v`` gives each peasant ``-v / 2``, a
    peasant's ``v`` gives the landlord ``-2 v``; two players: ``-v``), else
    each gets ``-value`` (DouDizhu's WP objective, +1/-1 per player). An
    approximation where a network only values the mover's side: it assumes
    every opponent loses what the mover's side wins.
    """
    num_players = sum(len(t) for t in teams)
    team = next((t for t in teams if mover in t), (mover,))
    others = num_players - len(team)
    vec = np.full(num_players, (-value * len(team) / others) if zero_sum and others else -value, dtype=float)
    vec[list(team)] = value
    return vec


def softmax_over(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """``softmax(logits / temperature)``, stable; ``-inf`` entries get 0."""
    z = np.asarray(logits, dtype=float) / temperature
    z = np.exp(z - z.max())
    return z / z.sum()


class NetworkEvaluator:
    """A batched evaluator around a numpy network: ``network(features) -> (logits, values)``.

    ``features(state)`` (default: ``state.observation(state.current_player)``,
    flattened) is stacked into one ``(n, F)`` array per call. ``logits`` has
    shape ``(n, num_actions)``: the prior is their softmax (at ``temperature``)
    over each state's legal actions. ``values`` is ``(n, num_players)``, or
    ``(n,)`` for the mover's value only, spread with ``team_value_vector``
    (``zero_sum`` as there). ``calls`` and ``evaluated`` count network calls and
    states, for benchmarks and tests.
    """

    def __init__(
        self,
        network: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
        features: Callable[[State], np.ndarray] | None = None,
        temperature: float = 1.0,
        zero_sum: bool = True,
    ) -> None:
        if temperature <= 0:
            raise ValueError(f"NetworkEvaluator: temperature must be positive, got {temperature}")
        self.network = network
        self.features = features or (lambda s: s.observation(s.current_player).reshape(-1))
        self.temperature = temperature
        self.zero_sum = zero_sum
        self.calls = 0
        self.evaluated = 0

    def evaluate_batch(self, states: Sequence[State]) -> tuple[Priors, np.ndarray]:
        logits, values = self.network(np.stack([self.features(s) for s in states]))
        self.calls += 1
        self.evaluated += len(states)
        logits, values = np.asarray(logits, dtype=float), np.asarray(values, dtype=float)
        priors = [softmax_over(row[s.legal_actions()], self.temperature) for row, s in zip(logits, states)]
        if values.ndim == 1:
            values = np.stack([
                team_value_vector(v, s.current_player, s.game.info.teams, self.zero_sum) for v, s in zip(values, states)
            ])
        return priors, values
