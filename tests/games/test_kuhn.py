"""Kuhn poker: known game value, hand-computed payoffs, OpenSpiel agreement, properties."""

from __future__ import annotations

import itertools
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfplay.games import IllegalActionError, make

from scripted import play, random_game

J, Q, K = 0, 1, 2
DEALS = list(itertools.permutations(range(3), 2))


@pytest.fixture(scope="module")
def game():
    return make("kuhn")


def equilibrium(alpha: Fraction):
    """Kuhn's equilibrium family (Kuhn 1950): P(bet) for (player, card, history)."""
    third = Fraction(1, 3)
    p0_open = {J: alpha, Q: Fraction(0), K: 3 * alpha}
    p0_call = {J: Fraction(0), Q: alpha + third, K: Fraction(1)}
    p1_after_pass = {J: third, Q: Fraction(0), K: Fraction(1)}
    p1_after_bet = {J: Fraction(0), Q: third, K: Fraction(1)}

    def bet_probability(player, card, history):
        table = {(): p0_open, (0,): p1_after_pass, (1,): p1_after_bet, (0, 1): p0_call}[history]
        return table[card]

    return bet_probability


def expected_returns(state, policy, reach=Fraction(1)):
    if state.is_terminal():
        return [reach * Fraction(r) for r in state.returns()]
    p = state.current_player
    bet = policy(p, state.private_card(p), state.history)
    total = [Fraction(0), Fraction(0)]
    for action, prob in ((0, 1 - bet), (1, bet)):
        if prob:
            sub = expected_returns(state.child(action), policy, reach * prob)
            total = [t + s for t, s in zip(total, sub)]
    return total


@pytest.mark.parametrize("alpha", [Fraction(0), Fraction(1, 6), Fraction(1, 3)])
def test_game_value_is_minus_one_eighteenth_under_equilibrium(game, alpha):
    assert value_of(game, equilibrium(alpha)) == [Fraction(-1, 18), Fraction(1, 18)]


def value_of(game, policy):
    total = [Fraction(0), Fraction(0)]
    for deal in DEALS:
        sub = expected_returns(game.new_initial_state(deal=deal), policy, Fraction(1, 6))
        total = [t + s for t, s in zip(total, sub)]
    return total


@pytest.mark.parametrize("player", [0, 1])
def test_no_pure_deviation_beats_the_equilibrium(game, player):
    # Each player has six information sets (3 cards x 2 decision points), so
    # 64 pure strategies; none may gain against the other's equilibrium play,
    # and the best of them reaches exactly the game value.
    eq = equilibrium(Fraction(0))
    decisions = [((), (0, 1)), ((0,), (1,))][player]
    points = [(card, h) for card in (J, Q, K) for h in decisions]
    values = []
    for bits in itertools.product((0, 1), repeat=len(points)):
        choice = dict(zip(points, bits))

        def policy(p, card, history, choice=choice):
            return Fraction(choice[card, history]) if p == player else eq(p, card, history)

        values.append(value_of(game, policy)[player])
    target = [Fraction(-1, 18), Fraction(1, 18)][player]
    assert max(values) == target
    assert min(values) < target


@pytest.mark.parametrize("deal, actions, expected", [
    ((K, J), [0, 0], [1, -1]),     # pass-pass: showdown for the antes
    ((J, Q), [0, 0], [-1, 1]),
    ((K, J), [1, 1], [2, -2]),     # bet-call: showdown for 2 each
    ((J, K), [1, 1], [-2, 2]),
    ((Q, K), [0, 1, 1], [-2, 2]),  # pass-bet-call
    ((K, Q), [0, 1, 1], [2, -2]),
    ((J, Q), [1, 0], [1, -1]),     # bet-fold: the bluff wins the ante, whatever the cards
    ((K, Q), [1, 0], [1, -1]),
    ((K, Q), [0, 1, 0], [-1, 1]),  # pass-bet-fold
    ((J, Q), [0, 1, 0], [-1, 1]),
])
def test_hand_computed_returns(game, deal, actions, expected):
    state = play(game, deal, actions)
    assert state.is_terminal()
    assert state.returns() == expected
    assert state.legal_actions() == []


@pytest.mark.parametrize("actions", [[], [0], [1], [0, 1]])
def test_not_over_until_a_terminal_history(game, actions):
    state = play(game, (J, K), actions)
    assert not state.is_terminal()
    assert state.returns() == [0.0, 0.0]
    assert state.legal_actions() == [0, 1]
    assert state.current_player == len(actions) % 2


def test_pot_and_contributions(game):
    state = game.new_initial_state(deal=(Q, K))
    assert (state.pot, state.contributions) == (2, [1, 1])
    state.apply(0)
    assert (state.pot, state.contributions) == (2, [1, 1])
    state.apply(1)
    assert (state.pot, state.contributions) == (3, [1, 2])
    state.apply(1)
    assert (state.pot, state.contributions) == (4, [2, 2])


def test_illegal_actions_and_moves_after_the_end(game):
    state = game.new_initial_state(deal=(Q, K))
    with pytest.raises(IllegalActionError):
        state.apply(2)
    state.apply(0)
    state.apply(0)
    with pytest.raises(IllegalActionError):
        state.apply(0)


def test_action_strings_and_synonyms(game):
    state = game.new_initial_state(deal=(Q, K))
    assert [state.action_to_string(a) for a in (0, 1)] == ["pass", "bet"]
    assert state.string_to_action("pass") == 0 and state.string_to_action("Bet") == 1
    assert state.string_to_action(" CHECK ") == 0
    for nonsense in ("fold", "call", "raise", ""):  # nothing to fold or call yet
        with pytest.raises(IllegalActionError):
            state.string_to_action(nonsense)
    state.apply(1)
    assert state.string_to_action("Fold") == 0 and state.string_to_action("call") == 1
    assert state.string_to_action("pass") == 0 and state.string_to_action("bet") == 1
    with pytest.raises(IllegalActionError):
        state.string_to_action("check")
    state.apply(1)
    with pytest.raises(IllegalActionError):
        state.string_to_action("pass")


def test_explicit_deal_is_validated(game):
    assert game.new_initial_state(deal=("k", "J")).cards == [K, J]
    for bad in [(J, J), (3, 0), (0,), ("A", "K"), (0.5, 1)]:
        with pytest.raises(ValueError):
            game.new_initial_state(deal=bad)


def test_seeds_replay_and_cover_every_deal(game):
    assert game.new_initial_state(seed=7).cards == game.new_initial_state(seed=7).cards
    deals = Counter(tuple(game.new_initial_state(seed=s).cards) for s in range(600))
    assert set(deals) == set(DEALS)
    assert all(60 <= n <= 140 for n in deals.values())


def test_observation_layout(game):
    state = game.new_initial_state(deal=(K, J))
    assert game.observation_shape == (11,)
    np.testing.assert_array_equal(state.observation(0), [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    state.apply(0)
    state.apply(1)
    obs = state.observation(1)
    assert obs.dtype == np.float32 and obs.shape == (11,)
    np.testing.assert_array_equal(obs, [0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0])


def test_information_state_hides_only_the_opponent_card(game):
    a = play(game, (K, J), [0, 1])
    b = play(game, (K, Q), [0, 1])
    c = play(game, (Q, J), [0, 1])
    assert a.information_state(0) == b.information_state(0) == "p0 K pb"
    assert a.information_state(1) != b.information_state(1)
    assert a.information_state(0) != c.information_state(0)
    assert a.information_state(1) == c.information_state(1)
    assert a.information_state(0) != play(game, (K, J), [1]).information_state(0)


def test_clone_is_independent(game):
    state = play(game, (K, J), [0])
    copy = state.clone()
    copy.apply(1)
    copy.cards[1] = Q
    assert state.history == (0,) and state.cards == [K, J]
    assert copy.history == (0, 1)


def test_render_shows_cards_pot_and_history(game):
    text = str(play(game, (K, J), [0, 1]))
    assert "p0 K" in text and "p1 J" in text and "pot 3" in text and "pass bet" in text


def test_agrees_with_openspiel_on_every_game():
    import pyspiel  # open_spiel is a dev dependency, the oracle here: missing is a failure, not a skip
    ours_game, theirs_game = make("kuhn"), pyspiel.load_game("kuhn_poker")
    pairs = {0: set(), 1: set()}

    def walk(ours, theirs):
        assert ours.is_terminal() == theirs.is_terminal()
        if ours.is_terminal():
            assert ours.returns() == theirs.returns()
            return
        assert ours.current_player == theirs.current_player()
        assert ours.legal_actions() == theirs.legal_actions()
        for p in (0, 1):
            pairs[p].add((ours.information_state(p), theirs.information_state_string(p)))
        for a in ours.legal_actions():
            nxt = theirs.clone()
            nxt.apply_action(a)
            walk(ours.child(a), nxt)

    for deal in DEALS:
        theirs = theirs_game.new_initial_state()
        for card in deal:
            theirs.apply_action(card)
        walk(ours_game.new_initial_state(deal=deal), theirs)
    for p in (0, 1):  # the same partition of states into information states
        ours, theirs = {o for o, _ in pairs[p]}, {t for _, t in pairs[p]}
        assert len(ours) == len(theirs) == len(pairs[p])


# ---- properties --------------------------------------------------------

seeds = st.integers(0, 2**32 - 1)
choices = st.lists(st.integers(0, 1), min_size=3, max_size=3)


@settings(deadline=None, max_examples=100)
@given(seed=seeds, picks=choices)
def test_every_game_ends_zero_sum_and_replays(seed, picks):
    game = make("kuhn")
    state = random_game(game, seed, picks)
    assert state.is_terminal()
    assert sum(state.returns()) == 0
    again = random_game(game, seed, picks)
    assert str(again) == str(state) and again.returns() == state.returns()


@settings(deadline=None, max_examples=100)
@given(seed=seeds, picks=choices, steps=st.integers(0, 3), player=st.integers(0, 1), rng_seed=seeds)
def test_resample_hidden_keeps_what_the_player_has_seen(seed, picks, steps, player, rng_seed):
    game = make("kuhn")
    state = random_game(game, seed, picks, steps)
    before = str(state)
    sample = state.resample_hidden(player, np.random.default_rng(rng_seed))
    assert str(state) == before
    assert sample.information_state(player) == state.information_state(player)
    np.testing.assert_array_equal(sample.observation(player), state.observation(player))
    assert sample.legal_actions() == state.legal_actions()
    assert sample.current_player == state.current_player and sample.history == state.history
    assert sample.private_card(player) == state.private_card(player)
    assert sample.private_card(1 - player) != sample.private_card(player)


def test_resample_hidden_draws_the_opponent_card_uniformly(game):
    state = play(game, (Q, K), [0])
    rng = np.random.default_rng(0)
    counts = Counter(state.resample_hidden(0, rng).private_card(1) for _ in range(3000))
    assert set(counts) == {J, K}
    assert 1350 <= counts[J] <= 1650
