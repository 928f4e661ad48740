"""Tic-tac-toe: 3x3 board, cell actions 0-8 (row-major), X (player 0) moves first."""

from __future__ import annotations

import numpy as np

from selfplay.games.base import Game, GameInfo, State

LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))
MARKS = ".XO"


class TicTacToeState(State):
    __slots__ = ("game", "board", "_player", "_winner", "_moves")

    def __init__(self, game: Game, seed: int | None = None) -> None:
        self.game = game
        self.board = [0] * 9  # 0 empty, 1 player 0, 2 player 1
        self._player = 0
        self._winner = -1
        self._moves = 0

    @property
    def current_player(self) -> int:
        return self._player

    def is_terminal(self) -> bool:
        return self._winner >= 0 or self._moves == 9

    def _legal_actions(self) -> list[int]:
        return [c for c in range(9) if not self.board[c]]

    def is_legal(self, action: int) -> bool:
        return 0 <= action < 9 and not self.board[action]

    def _apply(self, action: int) -> None:
        mark = self._player + 1
        self.board[action] = mark
        self._moves += 1
        b = self.board
        if any(b[i] == b[j] == b[k] == mark for i, j, k in LINES if action in (i, j, k)):
            self._winner = self._player
        self._player = 1 - self._player

    def _returns(self) -> list[float]:
        if self._winner < 0:
            return [0.0, 0.0]
        return [1.0, -1.0] if self._winner == 0 else [-1.0, 1.0]

    def action_to_string(self, action: int) -> str:
        return str(action)

    def clone(self) -> "TicTacToeState":
        new = TicTacToeState.__new__(TicTacToeState)
        new.game, new.board, new._player = self.game, self.board[:], self._player
        new._winner, new._moves = self._winner, self._moves
        return new

    def observation(self, player: int) -> np.ndarray:
        """Planes (own marks, opponent marks, empty) of shape (3, 3, 3)."""
        b = np.array(self.board).reshape(3, 3)
        own, opp = player + 1, 2 - player
        return np.stack([b == own, b == opp, b == 0]).astype(np.float32)

    def __str__(self) -> str:
        return "\n".join("".join(MARKS[v] for v in self.board[r * 3:r * 3 + 3]) for r in range(3))


class TicTacToe(Game):
    state_class = TicTacToeState

    def __init__(self) -> None:
        self.info = GameInfo(
            name="tictactoe", num_players=2, num_actions=9, perfect_information=True,
            observation_shape=(3, 3, 3), description="3x3 noughts and crosses; actions are cells 0-8",
        )
