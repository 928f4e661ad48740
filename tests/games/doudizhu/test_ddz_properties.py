"""Properties over random games (hypothesis): conservation, one winning side, termination,
reproducibility, and resample_hidden never changing what the player saw."""

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from selfplay.games import make
from selfplay.games.doudizhu.cards import FULL_DECK, parse, size

OPTIONS = st.sampled_from([{}, {"bidding": True}, {"spring": True}, {"objective": "wp"},
                           {"bidding": True, "spring": True, "objective": "wp"}])
SEEDS = st.integers(0, 2**32 - 1)
# a game has at most 3 bids x MAX_DEALS deals, and at most 2 passes per card play, 54 plays
MAX_STEPS = 30 + 3 * 54


def random_game(options: dict, seed: int, agent_seed: int, check=None):
    state = make("doudizhu", **options).new_initial_state(seed=seed)
    rng = random.Random(agent_seed)
    actions = []
    while not state.is_terminal():
        assert len(actions) < MAX_STEPS, "the game did not end"
        if check:
            check(state)
        action = rng.choice(state.legal_actions())
        actions.append(action)
        state.apply(action)
    return state, actions


def conserved(state) -> None:
    hands = [parse(state.hand(s)) for s in range(3)]
    assert [size(h) for h in hands] == [state.cards_left(s) for s in range(3)]
    total = sum(hands) + sum(state._played) + (0 if state.landlord is not None else state._kitty)
    assert total == FULL_DECK


@settings(max_examples=60, deadline=None)
@given(OPTIONS, SEEDS, SEEDS)
def test_cards_conserved_and_one_side_wins(options, seed, agent_seed):
    state, _ = random_game(options, seed, agent_seed, check=conserved)
    conserved(state)
    returns = state.returns()
    if not state.winners:  # only a bidding game where nobody ever bid
        assert options.get("bidding") and returns == [0.0, 0.0, 0.0]
        return
    landlord = state.landlord
    empty = [s for s in range(3) if state.cards_left(s) == 0]
    assert len(empty) == 1
    assert state.winners == ((landlord,) if empty[0] == landlord else tuple(s for s in range(3) if s != landlord))
    for s in range(3):
        assert (returns[s] > 0) == (s in state.winners)
    if options.get("objective", "adp") == "adp":
        assert sum(returns) == 0 and abs(returns[landlord]) == 2 * state.multiplier
    else:
        assert returns == [1.0 if s in state.winners else -1.0 for s in range(3)]


@settings(max_examples=30, deadline=None)
@given(OPTIONS, SEEDS, SEEDS)
def test_same_seed_same_game(options, seed, agent_seed):
    first, actions = random_game(options, seed, agent_seed)
    second, again = random_game(options, seed, agent_seed)
    assert actions == again and first.returns() == second.returns()
    assert [first.hand(s) for s in range(3)] == [second.hand(s) for s in range(3)]
    fresh = [make("doudizhu", **options).new_initial_state(seed=seed) for _ in range(2)]
    assert str(fresh[0]) == str(fresh[1])


@settings(max_examples=40, deadline=None)
@given(OPTIONS, SEEDS, SEEDS, st.integers(0, 2), st.integers(0, 80))
def test_resample_hidden_keeps_what_the_player_saw(options, seed, agent_seed, player, steps):
    state = make("doudizhu", **options).new_initial_state(seed=seed)
    rng = random.Random(agent_seed)
    for _ in range(steps):
        if state.is_terminal():
            break
        state.apply(rng.choice(state.legal_actions()))
    before = str(state)
    sample = state.resample_hidden(player, np.random.default_rng(agent_seed))
    assert str(state) == before  # the original is untouched
    assert sample.information_state(player) == state.information_state(player)
    assert sample.hand(player) == state.hand(player)
    assert [sample.cards_left(s) for s in range(3)] == [state.cards_left(s) for s in range(3)]
    assert np.array_equal(sample.observation(player), state.observation(player))
    if state.current_player == player and not state.is_terminal():
        assert sample.legal_actions() == state.legal_actions()
    conserved(sample)
    if not sample.is_terminal():  # the sample plays on to a legal end
        random_game_from(sample, rng)


def random_game_from(state, rng):
    for _ in range(MAX_STEPS):
        if state.is_terminal():
            return
        conserved(state)
        state.apply(rng.choice(state.legal_actions()))
    assert state.is_terminal()
