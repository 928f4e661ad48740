"""Playout search: paired playouts of a blueprint's best moves in sampled worlds."""

from __future__ import annotations

import numpy as np
import pytest

from selfplay.games import make
from selfplay.search.playouts import PlayoutConfig, PlayoutSearch, play_out


def leftmost(states):
    """A blueprint policy: the lowest legal column (or action)."""
    return [min(s.legal_actions()) for s in states]


def prefers_low(state):
    """Blueprint scores: lower actions score higher."""
    legal = state.legal_actions()
    return legal, -np.asarray(legal, dtype=float)


def connect4(moves):
    state = make("connect4").new_initial_state()
    for move in moves:
        state.apply(move)
    return state


def test_playouts_leave_a_losing_blueprint_move_for_a_winning_one():
    state = connect4([6, 0, 6, 1, 6, 0])  # player 0 to move: column 6 wins at once
    search = PlayoutSearch(prefers_low, leftmost, PlayoutConfig(k=7, worlds=1), rng=0)
    result = search.search(state)
    assert result.candidates == [0, 1, 2, 3, 4, 5, 6]  # best-scored first
    # Played out leftmost, the blueprint's column 0 loses and column 6 wins at once:
    # the search leaves column 0 for a move whose playout wins.
    assert result.returns[0, 0] == -1 and result.returns[0, 6] == 1
    assert result.deviated and result.returns[0, result.candidates.index(result.action)] == 1
    assert result.gains[6] == result.gains.max() == 2


def test_candidates_are_only_the_k_best_scored_and_the_margin_keeps_the_blueprint_move():
    state = connect4([6, 0, 6, 1, 6, 0])
    assert PlayoutSearch(prefers_low, leftmost, PlayoutConfig(k=3, worlds=1), rng=0).search(state).action in (0, 1, 2)
    kept = PlayoutSearch(prefers_low, leftmost, PlayoutConfig(k=7, worlds=1, margin=5.0), rng=0).search(state)
    assert kept.action == 0 and not kept.deviated  # no gain is above 5 (returns are +-1)


def test_gain_is_the_paired_mean_difference_world_by_world():
    state = connect4([6, 0, 6, 1, 6, 0])
    result = PlayoutSearch(prefers_low, leftmost, PlayoutConfig(k=7, worlds=3), rng=0).search(state)
    assert result.returns.shape == (3, 7)
    expected = (result.returns - result.returns[:, :1]).mean(axis=0)
    np.testing.assert_allclose(result.gains, expected)


def test_the_search_never_reads_a_hidden_card():
    # Kuhn: the searcher (player 0) holds the jack; the opponent's king or queen must not matter.
    results = []
    for opponent in ("Q", "K"):
        state = make("kuhn").new_initial_state(deal=("J", opponent))
        search = PlayoutSearch(prefers_low, leftmost, PlayoutConfig(k=2, worlds=8), rng=3)
        results.append(search.search(state))
    assert results[0].action == results[1].action
    np.testing.assert_array_equal(results[0].returns, results[1].returns)


def test_play_out_finishes_every_game_and_a_terminal_state_is_refused():
    games = [connect4([]) for _ in range(3)]
    play_out(games, leftmost)
    assert all(g.is_terminal() for g in games)
    with pytest.raises(ValueError, match="terminal"):
        PlayoutSearch(prefers_low, leftmost).search(games[0])
    with pytest.raises(ValueError):
        PlayoutConfig(k=0)


class UniformPrior:
    """A BatchEvaluator that counts its calls: uniform priors, zero values."""

    def __init__(self):
        self.calls = 0

    def evaluate_batch(self, states):
        self.calls += 1
        return [np.full(len(s.legal_actions()), 1 / len(s.legal_actions())) for s in states], np.zeros((len(states), 2))


def test_playout_leaves_value_a_leaf_by_its_playout_and_keep_the_networks_priors():
    from selfplay.search.playouts import PlayoutLeaves

    inner = UniformPrior()
    leaves = PlayoutLeaves(inner, leftmost)
    empty = make("tictactoe").new_initial_state()
    two = make("tictactoe").new_initial_state()
    two.apply(4)  # X in the centre; leftmost from here: O 0, X 1, O 2, X 3, O 5, X 6, O 7, X 8 (no line: a draw)
    priors, values = leaves.evaluate_batch([empty, two])
    # leftmost from the empty board: X 0, O 1, X 2, O 3, X 4, O 5, X 6 completes the 2-4-6 diagonal
    assert values.tolist() == [[1.0, -1.0], [0.0, 0.0]]
    assert [p.tolist() for p in priors] == [[1 / 9] * 9, [1 / 8] * 8]
    assert empty.legal_actions() == list(range(9))
    assert two.legal_actions() == [0, 1, 2, 3, 5, 6, 7, 8]  # the leaves themselves are not played
    assert leaves.prior_batch([empty])[0].tolist() == [1 / 9] * 9 and inner.calls == 2


def test_playout_values_are_clipped_to_the_declared_range():
    from selfplay.search.playouts import PlayoutLeaves

    _, values = PlayoutLeaves(UniformPrior(), leftmost, return_range=(-0.5, 0.5)).evaluate_batch(
        [make("tictactoe").new_initial_state()])
    assert values.tolist() == [[0.5, -0.5]]
