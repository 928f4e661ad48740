"""Observation vector and DouZero-style features: shapes and hand-checked contents."""

import numpy as np
from ddz_helpers import complete_deal, new_game, play

from selfplay.games.doudizhu import douzero_features
from selfplay.games.doudizhu.cards import parse
from selfplay.games.doudizhu.features import (
    ACTION_SIZE, OBSERVATION_SIZE, X_BATCH_SIZE, X_SIZE, cards_vector, cards_vectors, move_vectors,
)
from selfplay.games.doudizhu.moves import MOVE_SIZE, NUM_MOVES, PASS

DEAL = complete_deal("33344455566677789", "TTT", "JJJQQQKKKAAA2222B")


def test_card_encoding_is_unary_per_rank_then_jokers():
    v = cards_vector(parse("3 3 4 2 2 2 2 B"))
    expected = np.zeros(54, dtype=np.float32)
    expected[[0, 1, 4, 48, 49, 50, 51, 52]] = 1
    assert v.dtype == np.float32 and np.array_equal(v, expected)
    assert np.array_equal(cards_vectors([parse("R"), 0])[0, 53:], [1.0])
    table = move_vectors()
    assert table.shape == (NUM_MOVES, 54)
    assert np.array_equal(table.sum(axis=1), np.array(MOVE_SIZE, dtype=np.float32))
    assert not table[PASS].any()


def test_observation_layout_by_hand():
    state = play(new_game().new_initial_state(deal=DEAL), "8", "J")  # seat 2 to move
    obs = state.observation(2)
    assert obs.shape == (OBSERVATION_SIZE,) == new_game().info.observation_shape and obs.dtype == np.float32
    assert np.array_equal(obs[0:54], cards_vector(parse(state.hand(2))))
    assert np.array_equal(obs[54:108], cards_vector(parse(state.hand(0)) + parse(state.hand(1))))
    assert np.array_equal(obs[108:162], cards_vector(parse("J")))  # to beat
    assert not obs[162:216].any()  # seat 2 played nothing
    assert np.array_equal(obs[216:270], cards_vector(parse("8")))  # next = seat 0
    assert np.array_equal(obs[270:324], cards_vector(parse("J")))  # prev = seat 1
    assert np.array_equal(obs[378:432], cards_vector(parse("8")))  # latest action of next
    assert np.array_equal(obs[432:486], cards_vector(parse("J")))  # ... and of prev
    left = obs[486:549].reshape(3, 21)
    assert [int(np.argmax(row)) for row in left] == [17, 19, 16] and left.sum() == 3
    assert list(obs[549:552]) == [0, 1, 0]  # next (seat 0) is the landlord
    assert np.array_equal(obs[552:606], cards_vector(parse("TTT")))
    assert obs[606] == 1 and obs[607:621].sum() == 0  # no bombs
    assert list(obs[621:626]) == [0, 1, 0, 0, 0]  # not bidding; bid level 0
    history = obs[626:].reshape(15, 54)
    assert not history[:13].any()
    assert np.array_equal(history[13], cards_vector(parse("8")))
    assert np.array_equal(history[14], cards_vector(parse("J")))


def test_features_dict_shapes_and_rows():
    state = play(new_game().new_initial_state(deal=DEAL), "8")
    f = douzero_features(state)
    n = len(state.legal_actions())
    assert f["x"].shape == (X_SIZE,) and f["z"].shape == (5, 162)
    assert f["moves"].shape == (n, ACTION_SIZE) and f["x_batch"].shape == (n, X_BATCH_SIZE)
    assert list(f["actions"]) == state.legal_actions()
    assert np.array_equal(f["x"], state.observation(1)[:X_SIZE])
    assert np.array_equal(f["z"].reshape(15, 54), state.observation(1)[X_SIZE:].reshape(15, 54))
    for row, action in zip(f["moves"], f["actions"]):
        assert row[:54].sum() == MOVE_SIZE[action] and not row[54:].any()
    assert np.array_equal(f["x_batch"][:, :X_SIZE], np.broadcast_to(f["x"], (n, X_SIZE)))
    assert douzero_features(state, 0)["moves"].shape == (0, ACTION_SIZE)


def test_bidding_features():
    state = play(new_game(bidding=True).new_initial_state(deal=DEAL), "1")
    obs = state.observation(1)
    assert list(obs[621:626]) == [1, 0, 1, 0, 0]
    assert not obs[549:552].any() and not obs[552:606].any()  # no landlord, kitty hidden
    assert obs[54:108].sum() == 37  # 54 - my 17 cards, kitty included
    f = douzero_features(state)
    assert f["moves"][:, 54:].tolist() == [[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
