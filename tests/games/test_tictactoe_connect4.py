"""Board games: hand-built positions with known answers."""

import numpy as np
import pytest

from selfplay.games import IllegalActionError, make


def play(name, moves):
    state = make(name).new_initial_state()
    for m in moves:
        state.apply(m)
    return state


def test_tictactoe_row_column_and_diagonal_wins():
    assert play("tictactoe", [0, 3, 1, 4, 2]).returns() == [1.0, -1.0]  # X top row
    assert play("tictactoe", [0, 1, 3, 2, 8, 7, 6]).returns() == [1.0, -1.0]  # X left column
    assert play("tictactoe", [1, 0, 2, 4, 3, 8]).returns() == [-1.0, 1.0]  # O main diagonal


def test_tictactoe_full_board_is_a_draw():
    state = play("tictactoe", [0, 1, 2, 4, 3, 5, 7, 6, 8])
    assert state.is_terminal() and state.returns() == [0.0, 0.0]


def test_tictactoe_occupied_cell_is_illegal():
    state = play("tictactoe", [4])
    with pytest.raises(IllegalActionError):
        state.apply(4)
    assert state.legal_actions() == [0, 1, 2, 3, 5, 6, 7, 8]


def test_connect4_vertical_horizontal_and_diagonal_wins():
    assert play("connect4", [0, 1, 0, 1, 0, 1, 0]).returns() == [1.0, -1.0]
    assert play("connect4", [0, 0, 1, 1, 2, 2, 3]).returns() == [1.0, -1.0]
    # player 1 builds the / diagonal 0..3 on rows 0..3
    state = play("connect4", [1, 0, 2, 1, 3, 2, 3, 2, 6, 3, 6, 3])
    assert state.is_terminal() and state.returns() == [-1.0, 1.0]


def test_connect4_full_column_is_illegal_and_three_is_not_a_win():
    state = play("connect4", [3, 3, 3, 3, 3, 3])
    assert 3 not in state.legal_actions()
    with pytest.raises(IllegalActionError):
        state.apply(3)
    state = play("connect4", [0, 6, 1, 6, 2])
    assert not state.is_terminal()


def test_connect4_observation_is_from_the_players_view():
    state = play("connect4", [3])
    mine, theirs = state.observation(0), state.observation(1)
    assert mine[0, 0, 3] == 1 and theirs[1, 0, 3] == 1 and mine[2].sum() == 41
    assert np.array_equal(mine[0], theirs[1])
