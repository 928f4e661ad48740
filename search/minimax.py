"""Exact game-tree search for small perfect-information games: perfect play, as a yardstick.

``solve(state)`` is every player's return under optimal play (max^n: the
player to move maximises its own entry; for two-player zero-sum games that
is minimax), memoised on the position's text. ``MinimaxAgent`` plays a move
of best value, chosen at random among equally good ones, so many games
against it differ (tictactoe: every perfect line, not just one).
Only for games whose whole tree fits in memory (tictactoe: 5,478 positions).
"""

from __future__ import annotations

import numpy as np

from selfplay.games.base import State


class Minimax:
    """Memoised exact values of positions of one game."""

    def __init__(self) -> None:
        self.values: dict[str, tuple[float, ...]] = {}

    def solve(self, state: State) -> tuple[float, ...]:
        """Every player's return under perfect play from ``state``."""
        if state.is_terminal():
            return tuple(state.returns())
        key = str(state)
        if key not in self.values:
            mover = state.current_player
            self.values[key] = max((self.solve(self._child(state, a)) for a in state.legal_actions()),
                                   key=lambda v: v[mover])
        return self.values[key]

    def best_actions(self, state: State) -> list[int]:
        """The legal actions of best value for the player to move."""
        mover = state.current_player
        scored = [(self.solve(self._child(state, a))[mover], a) for a in state.legal_actions()]
        best = max(v for v, _ in scored)
        return [a for v, a in scored if v == best]

    @staticmethod
    def _child(state: State, action: int) -> State:
        child = state.clone()
        child.apply(action)
        return child


class MinimaxAgent:
    """Perfect play with random tie-breaks (``reset(seed)`` seeds them)."""

    def __init__(self, seed: int | None = None) -> None:
        self.name = "minimax"
        self.tree = Minimax()
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, state: State) -> int:
        if not state.game.info.perfect_information:
            raise ValueError(f"minimax plays perfect-information games, not {state.game.name}")
        best = self.tree.best_actions(state)
        return best[int(self.rng.integers(len(best)))]
