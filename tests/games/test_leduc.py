"""Leduc hold'em: hand-computed cases, OpenSpiel agreement on every game, properties."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfplay.games import IllegalActionError, make

from scripted import play, random_game

FOLD, CALL, RAISE = 0, 1, 2
JS, JH, QS, QH, KS, KH = range(6)


@pytest.fixture(scope="module")
def game():
    return make("leduc")


CHECKS = [CALL, CALL, CALL, CALL]


@pytest.mark.parametrize("deal, expected", [
    ((JS, KH, JH), [1, -1]),   # a pair of jacks beats a king
    ((KS, QS, QH), [-1, 1]),   # a pair of queens beats a king
    ((QS, KH, JS), [-1, 1]),   # no pair: the higher card wins
    ((KS, QH, JH), [1, -1]),
    ((QS, QH, KS), [0, 0]),    # equal ranks split the pot
    ((JS, JH, KH), [0, 0]),
])
def test_showdown_after_checks(game, deal, expected):
    state = play(game, deal, CHECKS)
    assert state.is_terminal()
    assert state.returns() == expected


def test_maximum_pot_is_won_at_showdown(game):
    # Round 1: bet 2, raise 2 (3 vs 5), call: 5 each. Round 2: bet 4, raise 4: 13 each.
    state = play(game, (KS, QS, KH), [RAISE, RAISE, CALL, RAISE, RAISE, CALL])
    assert state.pot == 26
    assert state.returns() == [13, -13]


@pytest.mark.parametrize("actions, pot, contributions", [
    ([], 2, [1, 1]),
    ([RAISE], 4, [3, 1]),
    ([RAISE, RAISE], 8, [3, 5]),
    ([RAISE, RAISE, CALL], 10, [5, 5]),
    ([CALL, RAISE], 4, [1, 3]),
    ([CALL, RAISE, CALL], 6, [3, 3]),
    ([CALL, CALL, RAISE], 6, [5, 1]),           # round 2 raises are 4
    ([CALL, CALL, RAISE, RAISE], 14, [5, 9]),
    ([RAISE, CALL, RAISE, RAISE], 18, [7, 11]),
    ([RAISE, CALL, CALL, RAISE, RAISE], 18, [11, 7]),
])
def test_pot_sizes(game, actions, pot, contributions):
    state = play(game, (KS, QS, JS), actions)
    assert state.pot == pot
    assert state.contributions == contributions


@pytest.mark.parametrize("actions, expected", [
    ([RAISE, FOLD], [1, -1]),                      # the ante only
    ([CALL, RAISE, FOLD], [-1, 1]),
    ([RAISE, RAISE, FOLD], [-3, 3]),               # player 0 raised once, then folds
    ([CALL, RAISE, RAISE, FOLD], [3, -3]),
    ([CALL, CALL, RAISE, FOLD], [1, -1]),          # in round 2
    ([RAISE, CALL, RAISE, RAISE, FOLD], [-7, 7]),  # 3 in round 1 + 4 in round 2
])
def test_fold_payoffs_ignore_the_cards(game, actions, expected):
    for deal in [(KS, JS, QS), (JS, KS, QS), (QS, QH, JS)]:
        state = play(game, deal, actions)
        assert state.is_terminal()
        assert state.returns() == expected


@pytest.mark.parametrize("actions, legal", [
    ([], [CALL, RAISE]),                                   # nothing to fold to
    ([CALL], [CALL, RAISE]),
    ([RAISE], [FOLD, CALL, RAISE]),
    ([RAISE, RAISE], [FOLD, CALL]),                        # the raise cap
    ([CALL, RAISE, RAISE], [FOLD, CALL]),
    ([CALL, RAISE], [FOLD, CALL, RAISE]),
    ([RAISE, RAISE, CALL], [CALL, RAISE]),                 # round 2 resets the cap
    ([RAISE, RAISE, CALL, CALL, RAISE, RAISE], [FOLD, CALL]),
])
def test_legal_actions_and_the_raise_cap(game, actions, legal):
    state = play(game, (KS, QS, JS), actions)
    assert state.legal_actions() == legal
    assert all(state.is_legal(a) == (a in legal) for a in range(-1, 4))
    if RAISE not in legal:
        with pytest.raises(IllegalActionError):
            state.apply(RAISE)


@pytest.mark.parametrize("round1", [[CALL, CALL], [RAISE, CALL], [CALL, RAISE, CALL], [RAISE, RAISE, CALL],
                                    [CALL, RAISE, RAISE, CALL]])
def test_round_transition_reveals_the_public_card(game, round1):
    state = game.new_initial_state(deal=(KS, QS, JH))
    for i, action in enumerate(round1):
        assert state.betting_round == 0 and state.public_card is None
        assert state.current_player == i % 2
        state.apply(action)
    assert state.betting_round == 1 and state.public_card == JH
    assert state.current_player == 0                     # player 0 opens round 2
    assert state.legal_actions() == [CALL, RAISE]
    assert state.history == (tuple(round1), ())
    state.apply(CALL)
    assert state.current_player == 1 and not state.is_terminal()


def test_public_card_is_hidden_until_round_two(game):
    a = play(game, (KS, QS, JH), [RAISE])
    b = play(game, (KS, QS, QH), [RAISE])
    for p in (0, 1):
        assert a.information_state(p) == b.information_state(p)
        np.testing.assert_array_equal(a.observation(p), b.observation(p))
    assert a.observation(0)[8:14].sum() == 0
    a.apply(CALL)
    b.apply(CALL)
    for p in (0, 1):
        assert a.information_state(p) != b.information_state(p)
    assert a.observation(1)[8 + JH] == 1 and b.observation(1)[8 + QH] == 1


def test_information_state_hides_only_the_opponent_card(game):
    a = play(game, (KS, QS, JH), [RAISE, CALL, CALL])
    b = play(game, (KS, JS, JH), [RAISE, CALL, CALL])
    c = play(game, (QH, QS, JH), [RAISE, CALL, CALL])
    assert a.information_state(0) == b.information_state(0) == "p0 Ks Jh rc/c"
    assert a.information_state(1) != b.information_state(1)
    assert a.information_state(0) != c.information_state(0)
    assert a.information_state(1) == c.information_state(1)


def test_observation_layout(game):
    assert game.observation_shape == (40,)
    state = play(game, (KS, QH, JH), [CALL, RAISE, CALL, RAISE])
    expected = np.zeros(40, dtype=np.float32)
    expected[1] = 1                     # seat 1
    expected[2 + QH] = 1                # own card
    expected[8 + JH] = 1                # public card
    expected[14 + 3 * 0 + CALL] = 1     # round 1: check, bet, call
    expected[14 + 3 * 1 + RAISE] = 1
    expected[14 + 3 * 2 + CALL] = 1
    expected[14 + 12 + RAISE] = 1       # round 2: bet
    expected[38:40] = [3, 7]            # own chips, opponent's chips
    obs = state.observation(1)
    assert obs.dtype == np.float32
    np.testing.assert_array_equal(obs, expected)


def test_action_strings_and_synonyms(game):
    state = game.new_initial_state(deal=(KS, QS, JH))
    assert [state.action_to_string(a) for a in range(3)] == ["fold", "call", "raise"]
    assert state.string_to_action("Check") == CALL and state.string_to_action("call") == CALL
    assert state.string_to_action("BET") == RAISE and state.string_to_action("raise") == RAISE
    with pytest.raises(IllegalActionError):
        state.string_to_action("fold")
    state.apply(RAISE)
    assert state.string_to_action("fold") == FOLD
    for word in ("check", "bet", "pass"):
        with pytest.raises(IllegalActionError):
            state.string_to_action(word)
    state.apply(RAISE)
    with pytest.raises(IllegalActionError):
        state.string_to_action("raise")


def test_explicit_deal_is_validated(game):
    assert game.new_initial_state(deal=("ks", "Qh", "JS")).cards == [KS, QH, JS]
    for bad in [(KS, KS, JS), (0, 1), (0, 1, 6), ("Ac", "Ks", "Js")]:
        with pytest.raises(ValueError):
            game.new_initial_state(deal=bad)


def test_seeds_replay_and_cover_every_deal(game):
    assert game.new_initial_state(seed=3).cards == game.new_initial_state(seed=3).cards
    deals = Counter(tuple(game.new_initial_state(seed=s).cards) for s in range(2400))
    assert set(deals) == set(itertools.permutations(range(6), 3))


def test_clone_is_independent(game):
    state = play(game, (KS, QS, JH), [RAISE])
    copy = state.clone()
    copy.apply(CALL)
    copy.apply(RAISE)
    assert state.history == ((RAISE,), ()) and state.contributions == [3, 1] and state.betting_round == 0
    assert copy.history == ((RAISE, CALL), (RAISE,))


def test_render_shows_cards_pot_and_history(game):
    text = str(play(game, (KS, QS, JH), [CALL, RAISE, CALL, CALL]))
    assert "p0 Ks" in text and "p1 Qs" in text and "public Jh" in text and "pot 6" in text
    assert "round 1: check bet call" in text and "round 2: check" in text
    assert "not revealed" in str(game.new_initial_state(deal=(KS, QS, JH)))


def test_agrees_with_openspiel_on_every_game():
    """All 120 deals times every betting sequence, move by move."""
    import pyspiel  # open_spiel is a dev dependency, the oracle here: missing is a failure, not a skip
    ours_game, theirs_game = make("leduc"), pyspiel.load_game("leduc_poker")
    pairs = {0: set(), 1: set()}
    terminals = 0

    def walk(ours, theirs):
        nonlocal terminals
        if theirs.is_chance_node():  # the public card, dealt as our deal says
            theirs.apply_action(ours.cards[2])
        assert ours.is_terminal() == theirs.is_terminal()
        if ours.is_terminal():
            assert ours.returns() == theirs.returns()
            terminals += 1
            return
        assert ours.current_player == theirs.current_player()
        assert ours.legal_actions() == theirs.legal_actions()
        for p in (0, 1):
            pairs[p].add((ours.information_state(p), theirs.information_state_string(p)))
        for a in ours.legal_actions():
            nxt = theirs.clone()
            nxt.apply_action(a)
            walk(ours.child(a), nxt)

    for deal in itertools.permutations(range(6), 3):
        theirs = theirs_game.new_initial_state()
        theirs.apply_action(deal[0])
        theirs.apply_action(deal[1])
        walk(ours_game.new_initial_state(deal=deal), theirs)
    assert terminals == 120 * (4 + 5 * 9)  # 9 ways a round ends, 5 of them with a call
    for p in (0, 1):  # the same partition of states into information states
        ours, theirs = {o for o, _ in pairs[p]}, {t for _, t in pairs[p]}
        assert len(ours) == len(theirs) == len(pairs[p])


# ---- properties --------------------------------------------------------

MAX_ACTIONS = 8  # two rounds of at most four actions
seeds = st.integers(0, 2**32 - 1)
choices = st.lists(st.integers(0, 2), min_size=MAX_ACTIONS, max_size=MAX_ACTIONS)


@settings(deadline=None, max_examples=150)
@given(seed=seeds, picks=choices)
def test_every_game_ends_zero_sum_and_replays(seed, picks):
    game = make("leduc")
    state = random_game(game, seed, picks)
    assert state.is_terminal()
    returns = state.returns()
    assert sum(returns) == 0 and max(map(abs, returns)) <= 13
    again = random_game(game, seed, picks)
    assert str(again) == str(state) and again.returns() == returns


@settings(deadline=None, max_examples=150)
@given(seed=seeds, picks=choices, steps=st.integers(0, MAX_ACTIONS), player=st.integers(0, 1), rng_seed=seeds)
def test_resample_hidden_keeps_what_the_player_has_seen(seed, picks, steps, player, rng_seed):
    game = make("leduc")
    state = random_game(game, seed, picks, steps)
    before = str(state)
    sample = state.resample_hidden(player, np.random.default_rng(rng_seed))
    assert str(state) == before
    assert sample.information_state(player) == state.information_state(player)
    np.testing.assert_array_equal(sample.observation(player), state.observation(player))
    assert sample.legal_actions() == state.legal_actions()
    assert sample.current_player == state.current_player and sample.history == state.history
    assert sample.pot == state.pot and sample.betting_round == state.betting_round
    assert sample.private_card(player) == state.private_card(player)
    assert sample.public_card == state.public_card
    assert len(set(sample.cards)) == 3
    again = state.resample_hidden(player, np.random.default_rng(rng_seed))
    assert again.cards == sample.cards


def test_resample_hidden_deals_unseen_cards_uniformly(game):
    state = play(game, (KS, QS, JH), [RAISE])  # player 0 has seen only Ks
    rng = np.random.default_rng(0)
    n = 6000
    pairs = Counter(tuple(state.resample_hidden(0, rng).cards[1:]) for _ in range(n))
    assert set(pairs) == set(itertools.permutations([JS, JH, QS, QH, KH], 2))
    assert all(200 <= c <= 400 for c in pairs.values())  # 300 expected each

    state.apply(CALL)  # now the public card Jh is seen too
    counts = Counter(state.resample_hidden(1, rng).cards[0] for _ in range(4000))
    assert set(counts) == {JS, QH, KS, KH}
    assert all(850 <= c <= 1150 for c in counts.values())
    assert all(state.resample_hidden(1, rng).cards[1:] == [QS, JH] for _ in range(50))
