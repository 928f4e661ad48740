"""Tic-tac-toe: 3x3 board, cell actions 0-8 (row-major), X (player 0) moves first."""

from __future__ import annotations

from selfplay.games.base import Game, GameInfo
from selfplay.games.board import BoardState

LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))
MARKS = ".XO"


class TicTacToeState(BoardState):
    __slots__ = ()
    ROWS = COLS = 3

    def _legal_actions(self) -> list[int]:
        return [c for c in range(9) if not self.board[c]]

    def is_legal(self, action: int) -> bool:
        return 0 <= action < 9 and not self.board[action]

    def _apply(self, action: int) -> None:
        mark = self._player + 1
        b = self.board
        b[action] = mark
        self._moved(any(b[i] == b[j] == b[k] == mark for i, j, k in LINES if action in (i, j, k)))

    def clone(self) -> "TicTacToeState":
        return self._copy_into(TicTacToeState.__new__(TicTacToeState))

    def __str__(self) -> str:
        return "\n".join("".join(MARKS[v] for v in self.board[r * 3:r * 3 + 3]) for r in range(3))


class TicTacToe(Game):
    state_class = TicTacToeState

    def __init__(self) -> None:
        self.info = GameInfo(
            name="tictactoe", num_players=2, num_actions=9, perfect_information=True,
            observation_shape=(3, 3, 3), description="3x3 noughts and crosses; actions are cells 0-8",
        )
