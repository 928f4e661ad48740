"""Game flow, options, bidding and scoring (bomb doubling, spring), with hand-scripted deals."""

import random

import pytest
from ddz_helpers import complete_deal, new_game, play

from selfplay.games import IllegalActionError, make
from selfplay.games.doudizhu import BID_BASE, NUM_ACTIONS, PASS, index_of
from selfplay.games.doudizhu.cards import FULL_DECK, contains, parse
from selfplay.games.doudizhu.game import MAX_DEALS

# Seat 0 (landlord) dumps everything while the peasants pass: a spring.
SPRING_DEAL = complete_deal("33344455566677789", "TTT", "JJJQQQKKKAAA2222B")
SPRING_SCRIPT = ("333444555666777", "pass", "pass", "TTT8", "pass", "pass", "9")
# The landlord bombs, seat 1 rockets over it, then the landlord still goes out: 2 doublings.
BOMB_DEAL = complete_deal("33334445556667772", "888", "5999TTJJQQKKAA2BR")
BOMB_SCRIPT = ("3333", "BR", "pass", "pass", "5", "pass", "2", "pass", "pass", "444555666777", "pass", "pass", "888")
# The landlord leads once, then seat 1 goes out: an anti-spring.
ANTI_SPRING_DEAL = complete_deal("3333KKKKAAAA2222B", "44R", "45566778899TTJJQQ")
ANTI_SPRING_SCRIPT = ("3", "4", "pass", "pass", "5566778899TTJJQQ")


def test_info_and_registry():
    game = make("doudizhu")
    info = game.info
    assert (info.name, info.num_players, info.num_actions) == ("doudizhu", 3, NUM_ACTIONS)
    assert NUM_ACTIONS == 27476 and BID_BASE == 27472
    assert info.teams == ((0,), (1, 2)) and info.team_names == ("landlord", "peasants")
    assert info.observation_shape == (1436,) and not info.perfect_information
    bidding = make("doudizhu", bidding=True).info
    assert bidding.teams == ((0,), (1,), (2,)) and bidding.num_actions == NUM_ACTIONS
    assert info.options == {"bidding": False, "objective": "adp", "spring": False}


@pytest.mark.parametrize("options", [{"objective": "points"}, {"bidding": "yes"}, {"spring": 1}, {"landlord": 1}])
def test_bad_options_raise(options):
    with pytest.raises(ValueError):
        make("doudizhu", **options)


@pytest.mark.parametrize("deal", [
    ("3" * 4, "4", "5", "6"),
    SPRING_DEAL[:3],
    (SPRING_DEAL[0], SPRING_DEAL[0], SPRING_DEAL[2], SPRING_DEAL[3]),
    (SPRING_DEAL[0][:-1] + "Z",) + SPRING_DEAL[1:],
])
def test_bad_deals_raise(deal):
    with pytest.raises(ValueError):
        new_game().new_initial_state(deal=deal)


def test_fixed_landlord_takes_kitty_and_leads():
    state = new_game().new_initial_state(deal=SPRING_DEAL)
    assert state.landlord == 0 and state.current_player == 0
    assert state.hand(0) == "33344455566677789TTT" and state.cards_left(0) == 20
    assert [state.role(s) for s in range(3)] == ["landlord", "landlord_down", "landlord_up"]
    assert PASS not in state.legal_actions()
    assert state.to_beat is None


def test_trick_flow_two_passes_return_the_lead():
    state = new_game().new_initial_state(deal=SPRING_DEAL)
    play(state, "8")
    assert state.current_player == 1 and state.to_beat == "8" and PASS in state.legal_actions()
    play(state, "J")
    assert state.current_player == 2 and state.to_beat == "J"
    play(state, "pass")
    assert state.current_player == 0 and state.to_beat == "J"
    play(state, "pass")
    assert state.current_player == 1 and state.to_beat is None  # seat 1 played last: it leads
    assert PASS not in state.legal_actions()


def test_spring_doubles_only_when_the_option_is_on():
    plain = play(new_game().new_initial_state(deal=SPRING_DEAL), *SPRING_SCRIPT)
    assert plain.is_terminal() and plain.spring and plain.winners == (0,)
    assert plain.multiplier == 1 and plain.returns() == [2.0, -1.0, -1.0]
    sprung = play(new_game(spring=True).new_initial_state(deal=SPRING_DEAL), *SPRING_SCRIPT)
    assert sprung.multiplier == 2 and sprung.returns() == [4.0, -2.0, -2.0]


def test_anti_spring_doubles_for_the_peasants():
    state = play(new_game(spring=True).new_initial_state(deal=ANTI_SPRING_DEAL), *ANTI_SPRING_SCRIPT)
    assert state.is_terminal() and state.winners == (1, 2) and state.spring
    assert state.returns() == [-4.0, 2.0, 2.0]


def test_bomb_and_rocket_each_double_and_rocket_beats_bomb():
    state = new_game(spring=True).new_initial_state(deal=BOMB_DEAL)
    play(state, "3333")
    assert state.bombs_played == 1 and state.multiplier == 2
    assert state.string_to_action("BR") in state.legal_actions()
    play(state, *BOMB_SCRIPT[1:])
    assert state.is_terminal() and state.winners == (0,) and not state.spring
    assert state.bombs_played == 2 and state.multiplier == 4
    assert state.returns() == [8.0, -4.0, -4.0]


def test_wp_objective_scores_each_side_plus_minus_one():
    state = play(new_game(objective="wp").new_initial_state(deal=BOMB_DEAL), *BOMB_SCRIPT)
    assert state.returns() == [1.0, -1.0, -1.0]
    state = play(new_game(objective="wp").new_initial_state(deal=ANTI_SPRING_DEAL), *ANTI_SPRING_SCRIPT)
    assert state.returns() == [-1.0, 1.0, 1.0]


def test_returns_are_zero_before_the_end_and_illegal_moves_raise():
    state = new_game().new_initial_state(deal=SPRING_DEAL)
    assert state.returns() == [0.0, 0.0, 0.0]
    for action in (PASS, index_of("2222"), index_of("JJ"), BID_BASE + 1, NUM_ACTIONS, -1):
        # pass when leading, cards not in hand, no bidding in this game, out of range
        assert not state.is_legal(action)
        with pytest.raises(IllegalActionError):
            state.apply(action)
    play(state, "9")
    assert not state.is_legal(index_of("8")) and not state.is_legal(index_of("TT"))


def test_apply_after_the_end_raises():
    state = play(new_game().new_initial_state(deal=SPRING_DEAL), *SPRING_SCRIPT)
    assert state.legal_actions() == []
    with pytest.raises(IllegalActionError):
        state.apply(PASS)


def test_bidding_highest_bid_wins_and_sets_the_base():
    state = new_game(bidding=True).new_initial_state(deal=SPRING_DEAL)
    assert state.landlord is None and state.current_player == 0
    assert state.legal_actions() == [BID_BASE, BID_BASE + 1, BID_BASE + 2, BID_BASE + 3]
    assert [state.cards_left(s) for s in range(3)] == [17, 17, 17]
    play(state, "bid 1")
    assert state.legal_actions() == [BID_BASE, BID_BASE + 2, BID_BASE + 3]
    play(state, "pass", "2")
    assert state.landlord == 2 and state.current_player == 2
    assert state.cards_left(2) == 20 and parse(state.hand(2)) == parse(SPRING_DEAL[2]) + parse("TTT")
    assert [state.role(s) for s in range(3)] == ["landlord_down", "landlord_up", "landlord"]
    assert state.multiplier == 2 and PASS not in state.legal_actions()


def test_bid_three_ends_bidding_at_once():
    state = play(new_game(bidding=True).new_initial_state(deal=SPRING_DEAL), "pass", "3")
    assert state.landlord == 1 and state.current_player == 1 and state.multiplier == 3
    state = play(new_game(bidding=True).new_initial_state(deal=SPRING_DEAL), "bid 3")
    assert state.landlord == 0
    play(state, *SPRING_SCRIPT)
    assert state.returns() == [6.0, -3.0, -3.0]


def test_all_pass_redeals_then_ends_scoreless():
    state = new_game(bidding=True).new_initial_state(seed=5, deal=SPRING_DEAL)
    play(state, "pass", "no bid", "0")
    assert not state.is_terminal() and state.landlord is None and state.current_player == 0
    assert state.history == [] and "deal 2" in state.information_state(0)
    hands = [parse(state.hand(s)) for s in range(3)]
    assert hands != [parse(h) for h in SPRING_DEAL[:3]]
    assert [state.cards_left(s) for s in range(3)] == [17, 17, 17] and contains(FULL_DECK, sum(hands))
    for _ in range(MAX_DEALS - 1):
        play(state, "pass", "pass", "pass")
    assert state.is_terminal() and state.returns() == [0.0, 0.0, 0.0] and state.winners == ()


def test_illegal_bids_raise():
    state = play(new_game(bidding=True).new_initial_state(deal=SPRING_DEAL), "2")
    with pytest.raises(IllegalActionError):
        state.string_to_action("1")
    with pytest.raises(IllegalActionError):
        state.apply(BID_BASE + 2)
    with pytest.raises(IllegalActionError):
        state.apply(0)  # a card move while bidding


@pytest.mark.parametrize("options", [{}, {"bidding": True}])
def test_is_legal_agrees_with_legal_actions(options):
    game = new_game(**options)
    rng = random.Random(1)
    for seed in range(4):
        state = game.new_initial_state(seed=seed)
        for _ in range(rng.randrange(0, 30)):
            if state.is_terminal():
                break
            state.apply(rng.choice(state.legal_actions()))
        if state.is_terminal():
            continue
        legal = set(state.legal_actions())
        assert {a for a in range(NUM_ACTIONS) if state.is_legal(a)} == legal


def test_clone_is_independent():
    state = new_game().new_initial_state(seed=3)
    copy = state.clone()
    action = state.legal_actions()[0]
    state.apply(action)
    assert copy.current_player == 0 and copy.history == [] and state.history == [action]
    assert copy.cards_left(0) == 20


def test_text_rendering_shows_roles_hands_and_multiplier():
    state = play(new_game().new_initial_state(deal=BOMB_DEAL), "3333")
    text = str(state)
    assert "landlord" in text and "landlord_down" in text and "x2" in text
    assert "5999TTJJQQKKAA2BR" in text and "to beat: 3333" in text
