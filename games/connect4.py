"""Connect Four on the standard 6x7 board; actions are columns 0-6.

The board is a flat list, row 0 at the bottom, so a move fills
``heights[col]`` and only the four lines through the new disc need checking.
"""

from __future__ import annotations

from selfplay.games.base import Game, GameInfo
from selfplay.games.board import BoardState

ROWS, COLS = 6, 7
DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))
MARKS = ".xo"


class ConnectFourState(BoardState):
    __slots__ = ("heights",)
    ROWS, COLS = ROWS, COLS

    def __init__(self, game: Game, seed: int | None = None) -> None:
        super().__init__(game, seed)
        self.heights = [0] * COLS

    def _legal_actions(self) -> list[int]:
        return [c for c in range(COLS) if self.heights[c] < ROWS]

    def is_legal(self, action: int) -> bool:
        return 0 <= action < COLS and self.heights[action] < ROWS

    def _apply(self, action: int) -> None:
        row = self.heights[action]
        mark = self._player + 1
        self.board[row * COLS + action] = mark
        self.heights[action] = row + 1
        self._moved(self._connects(row, action, mark))

    def _connects(self, row: int, col: int, mark: int) -> bool:
        board = self.board
        for dr, dc in DIRECTIONS:
            run = 1
            for sign in (1, -1):
                r, c = row + sign * dr, col + sign * dc
                while 0 <= r < ROWS and 0 <= c < COLS and board[r * COLS + c] == mark:
                    run += 1
                    r += sign * dr
                    c += sign * dc
            if run >= 4:
                return True
        return False

    def clone(self) -> "ConnectFourState":
        new = self._copy_into(ConnectFourState.__new__(ConnectFourState))
        new.heights = self.heights[:]
        return new

    def __str__(self) -> str:
        rows = ["".join(MARKS[self.board[r * COLS + c]] for c in range(COLS)) for r in reversed(range(ROWS))]
        return "\n".join(rows + ["".join(str(c) for c in range(COLS))])


class ConnectFour(Game):
    state_class = ConnectFourState

    def __init__(self) -> None:
        self.info = GameInfo(
            name="connect4", num_players=2, num_actions=COLS, perfect_information=True,
            observation_shape=(3, ROWS, COLS), description="Connect Four, 6 rows x 7 columns; actions are columns 0-6",
        )
