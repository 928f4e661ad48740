"""The API contract, checked over every registered game and its options."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfplay.games import IllegalActionError, env, make, names, options_of

# Every game with its default options, plus each non-default option value.
OPTION_VALUES = {"bidding": [True], "objective": ["wp"], "spring": [True]}
CASES = [(name, {}) for name in names()] + [
    (name, {key: value})
    for name in names()
    for key in options_of(name)
    for value in OPTION_VALUES.get(key, [])
]
IDS = [name + "".join(f"-{k}={v}" for k, v in opts.items()) for name, opts in CASES]


def play_random(state, rng, limit=10_000):
    actions = []
    while not state.is_terminal():
        legal = state.legal_actions()
        assert legal, "a non-terminal state must have a legal action"
        action = legal[int(rng.integers(len(legal)))]
        actions.append(action)
        state.apply(action)
        assert len(actions) < limit, "game did not end"
    return actions


@pytest.mark.parametrize("name,options", CASES, ids=IDS)
def test_pettingzoo_api(name, options):
    from pettingzoo.test import api_test

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api_test(env(name, **options), num_cycles=300)


@pytest.mark.parametrize("name,options", CASES, ids=IDS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_random_game_ends_zero_sum_and_replays(name, options, seed):
    game = make(name, **options)
    rng = np.random.default_rng(seed)
    state = game.new_initial_state(seed=seed)
    actions = play_random(state, rng)
    returns = state.returns()
    assert len(returns) == game.num_players
    low, high = game.info.return_range  # a cap where the stakes can grow past it (DouDizhu's bombs)
    assert game.info.return_capped or all(low <= r <= high for r in returns), (returns, game.info.return_range)
    if options.get("objective") == "wp":  # win/lose per player: two peasants win or lose together
        assert sorted(returns) in ([-1.0, -1.0, 1.0], [-1.0, 1.0, 1.0]) or returns == [0.0] * 3
    else:
        assert sum(returns) == pytest.approx(0.0)
    assert state.legal_actions() == []
    replay = game.new_initial_state(seed=seed)
    for action in actions:
        assert replay.current_player in range(game.num_players)
        replay.apply(action)
    assert replay.is_terminal() and replay.returns() == returns and str(replay) == str(state)


@pytest.mark.parametrize("name,options", CASES, ids=IDS)
def test_contract_checks_once(name, options):
    game = make(name, **options)
    state = game.new_initial_state(seed=1)
    assert state.returns() == [0.0] * game.num_players
    illegal = next(a for a in range(game.num_actions + 1) if a not in state.legal_actions())
    with pytest.raises(IllegalActionError):
        state.apply(illegal)
    obs = state.observation(state.current_player)
    assert obs.shape == game.observation_shape and obs.dtype == np.float32
    # clone is independent of the original
    copy = state.clone()
    copy.apply(copy.legal_actions()[0])
    assert str(copy) != str(state) or copy.current_player != state.current_player
    # action strings round-trip through string_to_action
    for action in state.legal_actions()[:50]:
        assert state.string_to_action(state.action_to_string(action)) == action
    with pytest.raises(IllegalActionError):
        state.string_to_action("no such move")
    play_random(state, np.random.default_rng(0))
    with pytest.raises(IllegalActionError):
        state.apply(0)


@pytest.mark.parametrize("name,options", [c for c in CASES if not make(c[0]).info.perfect_information],
                         ids=[i for c, i in zip(CASES, IDS) if not make(c[0]).info.perfect_information])
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cut=st.floats(0, 1))
def test_resample_hidden_keeps_what_the_player_saw(name, options, seed, cut):
    game = make(name, **options)
    rng = np.random.default_rng(seed)
    full = game.new_initial_state(seed=seed)
    actions = play_random(full.clone(), rng)
    state = game.new_initial_state(seed=seed)
    for action in actions[: int(cut * len(actions))]:
        state.apply(action)
    for player in range(game.num_players):
        seen = state.information_state(player)
        for _ in range(3):
            world = state.resample_hidden(player, rng)
            assert world.information_state(player) == seen
            assert world.current_player == state.current_player
            if world.current_player == player and not world.is_terminal():
                assert world.legal_actions() == state.legal_actions()
            play_random(world, rng)  # a resampled world is a playable game


@pytest.mark.parametrize("name,low,high,capped", [
    ("kuhn", -2, 2, False), ("leduc", -13, 13, False), ("tictactoe", -1, 1, False), ("connect4", -1, 1, False),
    ("doudizhu", -16, 16, True)])
def test_each_game_declares_the_range_of_its_returns(name, low, high, capped):
    """By hand: Kuhn's ante and bet; Leduc's ante and two raises of 2 then of 4; a board game's
    win; DouDizhu's points capped at the landlord's stake after three doublings (``wp``: +-1)."""
    info = make(name).info
    assert info.return_range == (low, high) and info.return_capped is capped
    assert make("doudizhu", objective="wp").info.return_range == (-1, 1)


def test_leduc_reaches_the_ends_of_its_range():
    """Both players raise twice in each round and the better hand wins 13 chips (a tie splits)."""
    outcomes = set()
    for seed in range(20):
        state = make("leduc").new_initial_state(seed=seed)
        while not state.is_terminal():
            legal = state.legal_actions()
            state.apply(2 if 2 in legal else 1)  # raise while allowed, else call
        outcomes.add(tuple(sorted(state.returns())))
    assert (-13.0, 13.0) in outcomes and outcomes <= {(-13.0, 13.0), (0.0, 0.0)}
