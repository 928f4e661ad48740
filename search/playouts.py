"""Improving a blueprint policy by its own playouts in sampled worlds.

A strong policy that scores moves (DMC's Q-networks: ``Q(s, a)``) can be
improved at play time without trusting its scores any further than it has
to (Tesauro & Galperin 1996, "rollouts"; SPARTA, Lerer et al. 2020, for
hidden information):

1. **Candidates**: the blueprint's ``k`` best-scored moves (``K`` of the
   hundreds of DouDizhu moves, as sampled search keeps K per node).
2. **Worlds**: ``worlds`` full states drawn by ``state.resample_hidden``
   (the searcher's view only: it never reads a hidden card).
3. **Paired playouts**: every candidate is played in every world, then the
   blueprint plays every seat to the end (each seat seeing only its own
   observation, as in real play), all ``k * worlds`` games stepped together
   so a network sees them in one batch per step.
4. **Choice**: a candidate's gain is its mean return minus the blueprint
   move's, world by world (the same world for both, so the deal's luck
   cancels). The searcher leaves the blueprint's move only for a gain above
   ``margin``.

Why playouts and not the blueprint's values at the leaves of a deeper tree:
a playout's return is the game's own score, the same scale whoever's network
would otherwise judge the leaf. DMC trains one network per seat and their
values do not agree (a landlord's ``max Q`` and the peasants' implied one
differ by most of a point in the positions we probed), so a tree that mixes
leaves of different seats compares numbers on different scales; with our
released model, ISMCTS over Q values lost to plain greedy play (docs/search.md).

The blueprint is any pair of callables (numpy or torch behind them; this
module imports neither): ``scores(state) -> (legal, scores)`` and
``policy(states) -> actions`` (batched).

``PlayoutLeaves`` brings the same playouts into a tree search: a
``BatchEvaluator`` whose priors come from a network and whose value of a
leaf is the return of playing that leaf (a full state: a sampled world) to
the end with the blueprint's policy. Under PIMC with a Gumbel root of ``m``
actions and ``m`` simulations per world, every considered move is played out
once in every world, the same worlds for all of them: the paired playouts
above, with the Gumbel root's choice and its completed-Q target on top
(``selfplay.learners.az``: ``leaf="playout"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from selfplay.games.base import State

Scores = Callable[[State], tuple[Sequence[int], np.ndarray]]
Policy = Callable[[Sequence[State]], Sequence[int]]


@dataclass(frozen=True)
class PlayoutConfig:
    k: int = 4
    """Candidate moves: the blueprint's k best-scored."""
    worlds: int = 8
    """Sampled worlds; every candidate is played out in each of them."""
    margin: float = 0.0
    """Leave the blueprint's move only when another candidate's mean gain exceeds this."""

    def __post_init__(self) -> None:
        if self.k < 1 or self.worlds < 1 or self.margin < 0:
            raise ValueError("PlayoutConfig: need k >= 1, worlds >= 1 and margin >= 0")


@dataclass(frozen=True)
class PlayoutResult:
    action: int
    candidates: list[int]  # best-scored first: candidates[0] is the blueprint's move
    gains: np.ndarray  # mean return minus the blueprint move's, per candidate (gains[0] == 0)
    returns: np.ndarray  # (worlds, k): the searcher's return of each candidate in each world

    @property
    def deviated(self) -> bool:
        return self.action != self.candidates[0]


def play_out(states: list[State], policy: Policy) -> None:
    """Play every state to the end with ``policy``, all unfinished ones that have a choice in
    each call (a forced move, the only legal one, is played without asking)."""
    live = [s for s in states if not s.is_terminal()]
    while live:
        choosing = []
        for state in live:
            legal = state.legal_actions()
            if len(legal) == 1:
                state._apply(legal[0])
            else:
                choosing.append(state)
        for state, action in zip(choosing, policy(choosing) if choosing else ()):
            state._apply(action)  # the policy picks among legal_actions()
        live = [s for s in live if not s.is_terminal()]


class PlayoutLeaves:
    """``BatchEvaluator``: priors from ``evaluator`` (any ``BatchEvaluator``), values by playing
    every leaf out with ``policy``, all leaves of a call stepped together, each return clipped to
    ``return_range`` (the scale the search's values are declared on). ``prior_batch`` gives the
    priors alone (what ``beliefs`` reads)."""

    def __init__(self, evaluator, policy: Policy, return_range: tuple[float, float] | None = None) -> None:
        self.evaluator, self.policy, self.return_range = evaluator, policy, return_range

    def prior_batch(self, states: Sequence[State]) -> list[np.ndarray]:
        return self.evaluator.evaluate_batch(states)[0]

    def evaluate_batch(self, states: Sequence[State]) -> tuple[list[np.ndarray], np.ndarray]:
        priors = self.prior_batch(states)
        games = [state.clone() for state in states]
        play_out(games, self.policy)
        values = np.array([g.returns() for g in games], dtype=float)
        if self.return_range is not None:
            values = np.clip(values, *self.return_range)
        return priors, values


class PlayoutSearch:
    """``search(state)``: the blueprint's move, or a candidate its playouts show to be better."""

    def __init__(self, scores: Scores, policy: Policy, config: PlayoutConfig | None = None,
                 rng: np.random.Generator | int | None = None) -> None:
        self.scores, self.policy = scores, policy
        self.config = config or PlayoutConfig()
        self._rng = np.random.default_rng(rng)

    def reset(self, rng: np.random.Generator | int | None = None) -> None:
        self._rng = np.random.default_rng(rng)

    def search(self, state: State) -> PlayoutResult:
        if state.is_terminal():
            raise ValueError(f"{state.game.name}: cannot search from a terminal state")
        legal, scores = self.scores(state)
        order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:self.config.k]
        candidates = [int(legal[i]) for i in order]
        if len(candidates) == 1:
            return PlayoutResult(candidates[0], candidates, np.zeros(1), np.zeros((0, 1)))
        me = state.current_player
        games = []
        for _ in range(self.config.worlds):
            world = state.resample_hidden(me, self._rng)
            for action in candidates:
                game = world.clone()
                game._apply(action)  # a legal move of the searcher, legal in every world it can imagine
                games.append(game)
        play_out(games, self.policy)
        returns = np.array([g.returns()[me] for g in games], dtype=float).reshape(self.config.worlds, -1)
        gains = (returns - returns[:, :1]).mean(axis=0)
        best = int(np.argmax(gains))
        action = candidates[best] if gains[best] > self.config.margin else candidates[0]
        return PlayoutResult(action, candidates, gains, returns)
