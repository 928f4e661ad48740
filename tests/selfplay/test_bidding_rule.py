"""The hand-strength bidding rule (``selfplay.bidding_rule``) on hands counted by hand, and
``rlcard-rule`` bidding by it in ``bidding=True`` games."""

import pytest

from selfplay.agents import load
from selfplay.bidding_rule import hand_points, rule_bid
from selfplay.games import make
from selfplay.games.doudizhu import BID_BASE


@pytest.mark.parametrize("hand, points, bid", [
    ("334455789999TJJBR", 8 + 6, 3),  # both jokers and a bomb (9999); chains 3-5, 7-J too short
    ("345679TJQKA2222BR", 8 + 4 * 2 + 6 + 1, 3),  # the rocket, four 2s (a bomb too), the chain 9-A (6)
    ("3333467899JQKKA22", 6 + 2 * 2, 3),  # a bomb of 3s and two 2s: 10
    ("33456789TJQKKAA2R", 4 + 2 + 2, 2),  # the red joker, one 2, the chain 3-A (12 cards)
    ("3345679TTJJQKA22B", 3 + 2 * 2 + 1, 2),  # the black joker, two 2s, the chain 9-A (6)
    ("33455799TJJQQKA2B", 3 + 2 + 1, 1),  # the black joker, one 2, the chain 9-A
    ("3345579TTJJQKKA22", 2 * 2 + 1, 1),  # two 2s and the chain 9-A
    ("33445566TTJJQQK22", 2 * 2, 0),  # two 2s alone: pass
    ("3344556677889TJQK", 2, 0),  # a chain 3-K of 11 cards alone: pass
    ("33445566TTJJQQKAA", 0, 0),  # nothing: chains 3-6 and T-A are short
])
def test_points_and_bids_of_hands_counted_by_hand(hand, points, bid):
    assert len(hand) == 17
    assert hand_points(hand) == points
    assert rule_bid(hand) == bid


def test_cards_that_do_not_exist_are_an_error():
    with pytest.raises(ValueError, match="not DouDizhu cards"):
        hand_points("3344X")


def test_rlcard_rule_bids_what_its_hand_is_worth_when_that_outbids_and_passes_otherwise():
    game = make("doudizhu", bidding=True)
    agent = load("rlcard-rule", game)
    seen = set()
    for seed in range(60):
        state = game.new_initial_state(seed=seed)
        highest = 0
        while state.landlord is None and not state.is_terminal():
            hand = state.hand(state.current_player)
            action = agent.act(state)
            expected = rule_bid(hand) if rule_bid(hand) > highest else 0
            assert action == BID_BASE + expected, (seed, hand, highest)
            seen.add(expected)
            highest = max(highest, expected)
            state.apply(action)
            if state.landlord is None and len(state.history) == 0:
                highest = 0  # everyone passed: a new deal, bidding starts again
    assert seen >= {0, 1, 2, 3}  # the seeds reach every bid
