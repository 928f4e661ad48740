"""What two-player board games share: alternating turns, a winner or a draw, mark planes.

A board is a flat list of cells (0 empty, 1 player 0's mark, 2 player 1's);
subclasses set ``ROWS``/``COLS`` and implement ``_legal_actions``,
``is_legal`` and ``_apply`` (which calls ``_moved(won)``).
"""

from __future__ import annotations

import numpy as np

from selfplay.games.base import State


class BoardState(State):
    __slots__ = ("game", "board", "_player", "_winner", "_moves")
    ROWS: int
    COLS: int

    def __init__(self, game, seed: int | None = None) -> None:
        self.game = game
        self.board = [0] * (self.ROWS * self.COLS)
        self._player = 0
        self._winner = -1
        self._moves = 0

    @property
    def current_player(self) -> int:
        return self._player

    def is_terminal(self) -> bool:
        return self._winner >= 0 or self._moves == self.ROWS * self.COLS

    def _moved(self, won: bool) -> None:
        """Book-keeping after the player to move placed a mark."""
        self._moves += 1
        if won:
            self._winner = self._player
        self._player = 1 - self._player

    def _returns(self) -> list[float]:
        if self._winner < 0:
            return [0.0, 0.0]
        return [1.0, -1.0] if self._winner == 0 else [-1.0, 1.0]

    def action_to_string(self, action: int) -> str:
        return str(action)

    def _copy_into(self, new: "BoardState") -> "BoardState":
        new.game, new.board, new._player = self.game, self.board[:], self._player
        new._winner, new._moves = self._winner, self._moves
        return new

    def observation(self, player: int) -> np.ndarray:
        """Planes (own marks, opponent marks, empty) of shape (3, ROWS, COLS)."""
        b = np.array(self.board).reshape(self.ROWS, self.COLS)
        own, opp = player + 1, 2 - player
        return np.stack([b == own, b == opp, b == 0]).astype(np.float32)
