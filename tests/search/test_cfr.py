"""Tabular CFR+: it converges on Kuhn and Leduc, it is OpenSpiel's CFRPlusSolver iterate
for iterate, and its agent plays the average policy reproducibly."""

import numpy as np
import pytest

from selfplay.games import make
from selfplay.search.cfr import CFRAgent, CFRPlus, cfr_agent
from selfplay.search.exploitability import TabularPolicy, expected_returns, exploitability

LEDUC_VALUE = -0.0856  # player 0's value of Leduc hold'em


def test_kuhn_exploitability_falls_below_half_a_percent_in_1000_iterations():
    game, solver = make("kuhn"), CFRPlus(make("kuhn"))
    seen = []
    for until in (10, 100, 1000):
        solver.iterate(until - solver.iterations)
        seen.append(solver.exploitability())
    assert seen == sorted(seen, reverse=True) and seen[-1] < 0.005
    assert expected_returns(game, solver.average_policy())[0] == pytest.approx(-1 / 18, abs=1e-3)


def test_leduc_in_100_iterations_is_far_below_uniform():
    game, solver = make("leduc"), CFRPlus(make("leduc"))
    uniform = exploitability(game, TabularPolicy())
    assert solver.iterate(100).exploitability() < 0.02 < uniform / 100  # 0.0134 against 2.374
    assert expected_returns(game, solver.average_policy())[0] == pytest.approx(LEDUC_VALUE, abs=2e-3)


def test_before_any_iteration_the_average_is_uniform():
    solver = CFRPlus(make("kuhn"))
    assert exploitability(make("kuhn"), solver.average_policy()) == pytest.approx(11 / 24, abs=1e-12)


@pytest.mark.parametrize("game_name,checkpoints", [("kuhn", (1, 2, 5, 20, 100)), ("leduc", (1, 3))])
def test_is_openspiels_cfr_plus_iterate_for_iterate(game_name, checkpoints):
    """Same variant (RM+, alternating updates, linear averaging from iteration 1): the same
    average policy, so the same exploitability to rounding."""
    import pyspiel
    from open_spiel.python.algorithms import cfr, exploitability as os_exploitability

    theirs_game = pyspiel.load_game({"kuhn": "kuhn_poker", "leduc": "leduc_poker"}[game_name])
    ours, theirs = CFRPlus(make(game_name)), cfr.CFRPlusSolver(theirs_game)
    for until in checkpoints:
        ours.iterate(until - ours.iterations)
        while theirs._iteration < until:
            theirs.evaluate_and_update_policy()
        expected = os_exploitability.exploitability(theirs_game, theirs.average_policy())
        assert ours.exploitability() == pytest.approx(expected, abs=1e-12)


def test_agent_samples_the_average_policy_and_replays_under_a_seed():
    game = make("kuhn")
    agent = cfr_agent(game, iterations=200)
    assert isinstance(agent, CFRAgent) and agent.name == "cfr:iterations=200"
    state = game.new_initial_state(deal=("J", "Q"))
    probs = agent.action_probabilities(state)
    assert probs == CFRPlus(game).iterate(200).average_policy().action_probabilities(state)
    agent.reset(7)
    first = [agent.act(state) for _ in range(2000)]
    agent.reset(7)
    assert [agent.act(state) for _ in range(2000)] == first
    assert np.mean(first) == pytest.approx(probs[1], abs=0.04)  # bets with J about as often as it says


def test_cfr_agent_is_for_kuhn_and_leduc_only():
    with pytest.raises(ValueError, match="kuhn, leduc"):
        cfr_agent(make("tictactoe"), iterations=10)
    with pytest.raises(ValueError, match="at least 1"):
        cfr_agent(make("kuhn"), iterations=0)
