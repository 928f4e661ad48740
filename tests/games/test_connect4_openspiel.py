"""Connect Four move by move against OpenSpiel's ``connect_four``, the oracle.

At every step of every game: the player to move, the legal actions, whether
the game is over, the board and the observation agree; at the end the returns
(+1/-1 win/loss, 0/0 draw) agree.

Conventions (both engines): actions are columns 0-6, player 0 moves first and
plays ``x``. Differences, normalised below: OpenSpiel's observation tensor is
absolute, planes (x, o, empty) whatever the observer, while ours is relative
to the observer, planes (own, opponent, empty), so player 1's first two planes
are swapped; both put row 0 at the bottom of the tensor. Both print the board
top row first; ours adds a line of column numbers. OpenSpiel's terminal
``current_player()`` is -4 (``TERMINAL``); ours stays a seat, so it is compared
only before the end.
"""

import random

import numpy as np
import pyspiel
import pytest

from selfplay.games import make

OPENSPIEL = pyspiel.load_game("connect_four")
GAME = make("connect4")

# Found with the cautious policy below, checked against OpenSpiel in the tests.
DRAW = "545062455041104565311226266362030334314210"  # 42 moves, no four
WIN_ON_LAST_MOVE = "460265125234114035562430131501302624304665"  # the 42nd disc (player 1) makes a four


def check_position(ours, theirs, where) -> None:
    assert ours.is_terminal() == theirs.is_terminal(), where
    if not theirs.is_terminal():
        assert ours.current_player == theirs.current_player(), where
        assert ours.legal_actions() == theirs.legal_actions(), where
    assert str(ours).splitlines()[:6] == str(theirs).split(), where
    planes = np.array(theirs.observation_tensor(0), dtype=np.float32).reshape(3, 6, 7)  # same for both observers
    assert np.array_equal(ours.observation(0), planes), where
    assert np.array_equal(ours.observation(1), planes[[1, 0, 2]]), where


def play_both(moves, where=""):
    """Play ``moves`` in both engines, checking every position; returns both final states."""
    ours, theirs = GAME.new_initial_state(), OPENSPIEL.new_initial_state()
    check_position(ours, theirs, f"{where} start")
    for k, move in enumerate(moves):
        assert not theirs.is_terminal(), f"{where}: OpenSpiel ended before move {k}"
        ours.apply(move)
        theirs.apply_action(move)
        check_position(ours, theirs, f"{where} after {moves[:k + 1]}")
    return ours, theirs


def random_policy(rng, state):
    return rng.choice(state.legal_actions())


def cautious_policy(rng, state):
    """A random move that does not win unless nothing else is left: full boards, draws, late wins."""
    legal = state.legal_actions()
    rng.shuffle(legal)
    for move in legal:
        child = state.clone()
        child.apply_action(move)
        if not child.is_terminal():
            return move
    return legal[0]


def test_random_games_match_openspiel():
    rng = random.Random(20261124)
    outcomes, positions = {"win": 0, "draw": 0, "full board win": 0}, 0
    for g in range(400):
        policy = cautious_policy if g % 2 else random_policy
        ours, theirs = GAME.new_initial_state(), OPENSPIEL.new_initial_state()
        moves = []
        while not theirs.is_terminal():
            check_position(ours, theirs, f"game {g} after {moves}")
            move = policy(rng, theirs)
            ours.apply(move)
            theirs.apply_action(move)
            moves.append(move)
            positions += 1
        check_position(ours, theirs, f"game {g} after {moves}")
        assert ours.returns() == theirs.returns(), f"game {g}: {moves}"
        if ours.returns() == [0.0, 0.0]:
            outcomes["draw"] += 1
        else:
            outcomes["full board win" if len(moves) == 42 else "win"] += 1
    assert positions > 8000
    assert outcomes["draw"] >= 5 and outcomes["full board win"] >= 5 and outcomes["win"] >= 250, outcomes


def test_full_board_draw():
    ours, theirs = play_both([int(c) for c in DRAW], "draw")
    assert ours.is_terminal() and theirs.is_terminal() and ours.legal_actions() == []
    assert ours.returns() == theirs.returns() == [0.0, 0.0]


def test_win_on_the_last_move():
    moves = [int(c) for c in WIN_ON_LAST_MOVE]
    ours, theirs = play_both(moves[:-1], "last move")
    assert not ours.is_terminal() and ours.legal_actions() == theirs.legal_actions() == [moves[-1]]
    ours.apply(moves[-1])
    theirs.apply_action(moves[-1])
    assert ours.is_terminal() and theirs.is_terminal()
    assert ours.returns() == theirs.returns() == [-1.0, 1.0]


@pytest.mark.parametrize("name, moves, returns", [
    ("vertical", "0101010", [1.0, -1.0]),
    ("horizontal", "0011223", [1.0, -1.0]),
    ("rising diagonal", "01122323363", [1.0, -1.0]),  # x at (row, col) (0,0) (1,1) (2,2) (3,3)
    ("falling diagonal", "65544343303", [1.0, -1.0]),  # x at (0,6) (1,5) (2,4) (3,3)
    ("rising diagonal, player 1", "601122323353", [-1.0, 1.0]),
    ("falling diagonal, player 1", "065544343313", [-1.0, 1.0]),
])
def test_each_direction_of_four(name, moves, returns):
    """The four ends the game on its last disc in both engines (never earlier: ``play_both``)."""
    ours, theirs = play_both([int(c) for c in moves], name)
    assert ours.is_terminal() and ours.returns() == theirs.returns() == returns
