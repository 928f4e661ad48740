"""information_state keys and resample_hidden: what a player has seen, and worlds consistent with it."""

from collections import Counter

import numpy as np
from ddz_helpers import complete_deal, new_game, play

from selfplay.games.doudizhu.cards import parse, unpack

DEAL = complete_deal("33344455566677789", "TTT", "JJJQQQKKKAAA2222B")


def test_information_state_names_only_what_the_player_saw():
    a = play(new_game().new_initial_state(deal=DEAL), "8", "J", "pass")
    key = a.information_state(0)
    assert "33344455566677789TTT" not in key  # the hand now lacks the 8
    assert a.hand(0) in key and "TTT" in key and "8 J pass" in key
    assert a.information_state(1) != key and a.hand(1) in a.information_state(1)
    assert a.hand(1) not in key


def test_same_public_history_and_own_hand_give_the_same_key():
    deal_b = complete_deal(DEAL[0], DEAL[3], "3456789JJQQKKAA22")
    assert deal_b[1] != DEAL[1]
    a = play(new_game().new_initial_state(deal=DEAL), "8", "J", "pass", "pass")
    b = play(new_game().new_initial_state(deal=deal_b), "8", "J", "pass", "pass")
    assert a.information_state(0) == b.information_state(0)
    assert a.information_state(1) != b.information_state(1)


def test_key_changes_with_every_action():
    state = new_game().new_initial_state(seed=1)
    seen = {state.information_state(2)}
    for _ in range(6):
        state.apply(state.legal_actions()[-1])
        seen.add(state.information_state(2))
    assert len(seen) == 7


def test_resample_redeals_the_other_hands():
    state = play(new_game().new_initial_state(deal=DEAL), "8", "J")
    rng = np.random.default_rng(0)
    samples = [state.resample_hidden(2, rng) for _ in range(20)]
    assert len({s.hand(0) for s in samples}) > 10 and len({s.hand(1) for s in samples}) > 10
    for s in samples:
        assert s.hand(2) == state.hand(2) and s.information_state(2) == state.information_state(2)
        assert sum(parse(s.hand(p)) for p in (0, 1)) == sum(parse(state.hand(p)) for p in (0, 1))


def test_landlord_keeps_the_kitty_cards_it_cannot_have_played():
    state = play(new_game().new_initial_state(deal=DEAL), "T")  # one T played; the kitty held three
    rng = np.random.default_rng(1)
    for _ in range(50):
        sample = state.resample_hidden(1, rng)
        assert unpack(parse(sample.hand(0)))[7] >= 2  # rank T: kitty 3 minus 1 played


def test_an_unseen_card_goes_to_each_other_seat_in_proportion():
    state = new_game().new_initial_state(deal=DEAL)
    rng = np.random.default_rng(2)
    # seat 1 cannot see seat 2's red joker; seat 0 has 17 hidden cards, seat 2 has 17
    with_landlord = Counter("R" in state.resample_hidden(1, rng).hand(0) for _ in range(400))
    assert 140 < with_landlord[True] < 260


def test_resample_as_landlord_and_while_bidding():
    state = play(new_game().new_initial_state(deal=DEAL), "8")
    sample = state.resample_hidden(0, np.random.default_rng(3))
    assert sample.hand(0) == state.hand(0) and sample.legal_actions() != [] and sample.current_player == 1
    bidding = play(new_game(bidding=True).new_initial_state(seed=9, deal=DEAL), "1")
    rng = np.random.default_rng(4)
    kitties = {bidding.resample_hidden(1, rng)._kitty for _ in range(10)}
    assert len(kitties) > 1  # the undealt kitty is hidden too
    sample = bidding.resample_hidden(1, rng)
    assert sample.information_state(1) == bidding.information_state(1)
    assert sample.legal_actions() == bidding.legal_actions()  # seat 1 to bid, same options


def test_resample_reshuffles_future_redeals():
    state = play(new_game(bidding=True).new_initial_state(seed=11), "pass", "pass")
    sample = state.resample_hidden(0, np.random.default_rng(5))
    play(state, "pass")
    play(sample, "pass")
    assert "deal 2" in state.information_state(0) and "deal 2" in sample.information_state(0)
    assert [state.hand(s) for s in range(3)] != [sample.hand(s) for s in range(3)]
