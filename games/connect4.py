"""Connect Four on the standard 6x7 board; actions are columns 0-6.

The board is a flat list, row 0 at the bottom, so a move fills
``heights[col]`` and only the four lines through the new disc need checking.
"""

from __future__ import annotations

import numpy as np

from selfplay.games.base import Game, GameInfo, State

ROWS, COLS = 6, 7
DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))
MARKS = ".xo"


class ConnectFourState(State):
    __slots__ = ("game", "board", "heights", "_player", "_winner", "_moves")

    def __init__(self, game: Game, seed: int | None = None) -> None:
        self.game = game
        self.board = [0] * (ROWS * COLS)  # 0 empty, 1 player 0, 2 player 1
        self.heights = [0] * COLS
        self._player = 0
        self._winner = -1
        self._moves = 0

    @property
    def current_player(self) -> int:
        return self._player

    def is_terminal(self) -> bool:
        return self._winner >= 0 or self._moves == ROWS * COLS

    def _legal_actions(self) -> list[int]:
        return [c for c in range(COLS) if self.heights[c] < ROWS]

    def is_legal(self, action: int) -> bool:
        return 0 <= action < COLS and self.heights[action] < ROWS

    def _apply(self, action: int) -> None:
        row = self.heights[action]
        mark = self._player + 1
        self.board[row * COLS + action] = mark
        self.heights[action] = row + 1
        self._moves += 1
        if self._connects(row, action, mark):
            self._winner = self._player
        self._player = 1 - self._player

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

    def _returns(self) -> list[float]:
        if self._winner < 0:
            return [0.0, 0.0]
        return [1.0, -1.0] if self._winner == 0 else [-1.0, 1.0]

    def action_to_string(self, action: int) -> str:
        return str(action)

    def clone(self) -> "ConnectFourState":
        new = ConnectFourState.__new__(ConnectFourState)
        new.game, new.board, new.heights = self.game, self.board[:], self.heights[:]
        new._player, new._winner, new._moves = self._player, self._winner, self._moves
        return new

    def observation(self, player: int) -> np.ndarray:
        """Planes (own discs, opponent discs, empty) of shape (3, 6, 7), row 0 at the bottom."""
        b = np.array(self.board).reshape(ROWS, COLS)
        own, opp = player + 1, 2 - player
        return np.stack([b == own, b == opp, b == 0]).astype(np.float32)

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
