"""Search agents and the DMC Q-network evaluator (selfplay.search_agents)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from selfplay.encoders import encoder_for
from selfplay.games import make
from selfplay.nets import NetConfig, QNet, decision_q_values
from selfplay.search import PUCT, PUCTConfig, search_batched
from selfplay.search_agents import DMCEvaluator, SearchAgent, dmc_search_agent, puct_agent

RELEASED = Path(__file__).resolve().parents[2] / "models" / "doudizhu-dmc.pt"


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Small batches on one thread, as the arena and actors run them (two threads on a
    shared two-core machine spin against each other: 100x slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def small_nets(game, seed: int = 0) -> tuple[list[QNet], object]:
    torch.manual_seed(seed)
    encoder = encoder_for(game)
    spec = encoder.spec
    config = NetConfig(state_dim=spec.state_dim, move_dim=spec.move_dim, history_dim=spec.history_dim,
                       lstm_hidden=16, mlp=(32, 32))
    return [QNet(config) for _ in spec.groups], encoder


def ddz_states(n: int, seed: int = 0):
    """DouDizhu positions along random games, every seat to move."""
    game, rng, states = make("doudizhu"), np.random.default_rng(seed), []
    state = game.new_initial_state(seed=seed)
    while len(states) < n:
        if state.is_terminal():
            state = game.new_initial_state(seed=int(rng.integers(1 << 30)))
        states.append(state.clone())
        legal = state.legal_actions()
        state.apply(legal[int(rng.integers(len(legal)))])
    return states


def test_dmc_evaluator_uses_softmax_q_as_prior_and_max_q_as_the_movers_value() -> None:
    game = make("doudizhu")
    nets, encoder = small_nets(game)
    evaluator = DMCEvaluator(nets, encoder, game, temperature=0.5)
    states = ddz_states(12)
    priors, values = evaluator.evaluate_batch(states)
    assert values.shape == (12, 3) and evaluator.calls == 1
    assert evaluator.forwards == len({encoder.group(s, s.current_player) for s in states})  # one per group
    for state, prior, value in zip(states, priors, values):
        mover, legal = state.current_player, state.legal_actions()
        q = decision_q_values(nets[encoder.group(state, mover)], [encoder.encode(state, mover, legal)])[0]
        assert prior.shape == (len(legal),) and prior.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(prior, np.exp((q - q.max()) / 0.5) / np.exp((q - q.max()) / 0.5).sum(), rtol=1e-5)
        v = float(q.max())
        if mover == 0:  # the landlord: each peasant loses half of it (ADP points are zero-sum)
            np.testing.assert_allclose(value, [v, -v / 2, -v / 2], rtol=1e-5, atol=1e-6)
        else:  # a peasant: its partner shares it, the landlord loses twice
            np.testing.assert_allclose(value[[1, 2]], [v, v], rtol=1e-5, atol=1e-6)
            assert value[0] == pytest.approx(-2 * v, rel=1e-5, abs=1e-6)


def test_dmc_evaluator_under_the_wp_objective_gives_opponents_minus_the_value() -> None:
    game = make("doudizhu", objective="wp")
    nets, encoder = small_nets(game)
    state = ddz_states(1)[0]
    _, values = DMCEvaluator(nets, encoder, game).evaluate_batch([state])
    v = values[0][0]
    np.testing.assert_allclose(values[0], [v, -v, -v])


def test_dmc_evaluator_batches_leaves_of_concurrent_games_into_few_forward_passes() -> None:
    game = make("doudizhu")
    nets, encoder = small_nets(game)
    evaluator = DMCEvaluator(nets, encoder, game)
    states = ddz_states(40, seed=3)[::10]
    searches = [PUCT(evaluator, PUCTConfig(simulations=24, k=8, batch=4), rng=i) for i in range(len(states))]
    results = search_batched(searches, states)
    assert all(r.root.visits == 24 and r.action in s.legal_actions() for r, s in zip(results, states))
    assert evaluator.calls <= 24  # not one call per simulation per game (4 x 24 = 96)
    assert evaluator.forwards <= 3 * evaluator.calls


def test_search_agent_plays_legal_moves_through_a_dmc_game() -> None:
    game = make("doudizhu")
    nets, encoder = small_nets(game)
    agent = SearchAgent(PUCTConfig(simulations=12, k=6, batch=4), evaluator=DMCEvaluator(nets, encoder, game),
                        seed=0)
    state = game.new_initial_state(seed=5)
    moves = 0
    while not state.is_terminal():
        state.apply(agent.act(state))  # apply() rejects any illegal move
        moves += 1
    assert moves > 10 and set(agent._ismcts) == {0, 1, 2}  # one ISMCTS tree per seat it played


def test_search_agent_takes_a_win_and_plays_poker_sensibly() -> None:
    state = make("connect4").new_initial_state()
    for move in [0, 1, 0, 1, 0, 1]:
        state.apply(move)
    agent = SearchAgent(PUCTConfig(simulations=200, k=None, batch=4), seed=0)
    assert agent.act(state) == 0
    kuhn = make("kuhn").new_initial_state(deal=("Q", "K"))
    kuhn.apply(1)  # a bet into the king
    for det in ("ismcts", "pimc"):
        assert SearchAgent(PUCTConfig(simulations=100, k=None), determinization=det, worlds=4, seed=1).act(kuhn) == 1


def test_spec_factories_build_search_agents() -> None:
    game = make("kuhn")
    agent = puct_agent(game, sims=50, k=0, pimc=4)
    assert agent.config.simulations == 50 and agent.config.k is None and agent.determinization == "pimc"
    assert puct_agent(game).determinization == "ismcts"
    if RELEASED.is_file():
        ddz = make("doudizhu")
        searcher = dmc_search_agent(str(RELEASED), ddz, k=3, worlds=2)
        searcher.reset(0)
        state = ddz.new_initial_state(seed=0)
        assert searcher.act(state) in state.legal_actions()
        result = searcher.last_result
        legal, q = searcher.greedy.q_values(state)
        assert result.candidates[0] == legal[int(np.argmax(q))]  # the greedy move is candidate 0
        assert result.returns.shape == (2, 3) and result.gains[0] == 0
