"""Arena: seating, rotation, fixed decks, statistics, reproducibility."""

import math

import pytest

from selfplay import arena
from selfplay.agents import AgentSpecError, RandomAgent, load, parse_spec
from selfplay.games import make


class FirstLegal:
    """Always the lowest legal action: a deterministic, beatable opponent."""

    name = "first"

    def reset(self, seed):
        pass

    def act(self, state):
        return state.legal_actions()[0]


class ImmediateWinner(FirstLegal):
    """Takes a winning move when there is one; else the lowest legal action."""

    name = "winner"

    def act(self, state):
        for action in state.legal_actions():
            if state.child(action).returns()[state.current_player] > 0:
                return action
        return state.legal_actions()[0]


def test_games_rotate_seats_and_decks_repeat_each_deal_in_every_rotation():
    assert arena.schedule(2, games=4, decks=None) == [(0, 0, 0), (1, 1, 1), (2, 2, 0), (3, 3, 1)]
    assert arena.schedule(2, games=None, decks=2) == [(0, 0, 0), (1, 0, 1), (2, 1, 0), (3, 1, 1)]
    assert arena.slot_plan(2, 2, 1) == (1, 0)
    assert arena.slot_plan(3, 2, 0) == (0, 1, 0)


def test_deterministic_agents_split_seats_evenly_and_score_sums_to_zero():
    game = make("connect4")
    result = arena.play(game, [ImmediateWinner(), FirstLegal()], games=10, seed=3)
    stats = result.stats()
    winner, first = stats["0:winner"], stats["1:first"]
    assert winner["seat 0"].games == winner["seat 1"].games == 5
    assert winner["all"].score == pytest.approx(-first["all"].score)
    assert winner["all"].wins == first["all"].losses


def test_same_seed_same_games_for_any_worker_count():
    game = make("tictactoe")
    one = arena.play(game, [RandomAgent(), RandomAgent()], games=30, seed=7, workers=1)
    two = arena.play(game, [RandomAgent(), RandomAgent()], games=30, seed=7, workers=2)
    other = arena.play(game, [RandomAgent(), RandomAgent()], games=30, seed=8, workers=1)
    assert one.records == two.records
    assert one.records != other.records


def test_decks_play_each_deal_with_every_seat_rotation():
    game = make("kuhn")
    result = arena.play(game, [RandomAgent(), RandomAgent()], decks=5, seed=0)
    assert len(result.records) == 10
    for deck in range(5):
        pair = [r for r in result.records if r.deck == deck]
        assert {r.slots for r in pair} == {(0, 1), (1, 0)}
        assert len({r.seed for r in pair}) == 1


def test_win_rate_interval_is_wilson():
    low, high = arena.wilson(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)  # hand-computed
    stats = arena.Stats.of([1, 1, -1, 0])
    assert (stats.wins, stats.draws, stats.losses, stats.score) == (2, 1, 1, 0.25)
    assert stats.score_ci == pytest.approx(1.959963984540054 * math.sqrt(11 / 12) / 2)


def test_too_many_agents_is_a_clear_error():
    game = make("tictactoe")
    with pytest.raises(ValueError, match="seats 1 to 2 agents"):
        arena.play(game, [RandomAgent()] * 3, games=1)


def test_agent_specs_parse_and_reject_unknown_names_and_parameters():
    assert parse_spec("mcts:sims=200,c=1.5") == ("mcts", {"sims": 200, "c": 1.5})
    game = make("tictactoe")
    assert load("mcts:sims=10", game).name == "mcts:sims=10"
    with pytest.raises(AgentSpecError, match="unknown agent"):
        load("alphago", game)
    with pytest.raises(AgentSpecError, match="no parameter depth"):
        load("mcts:depth=3", game)
    with pytest.raises(AgentSpecError, match="must be an integer"):
        load("mcts:sims=many", game)
    with pytest.raises(AgentSpecError, match="key=value"):
        load("mcts:sims", game)


def test_pettingzoo_env_plays_in_the_arena():
    pytest.importorskip("pygame")  # PettingZoo's classic envs import it
    game = make("pettingzoo:classic.texas_holdem_v4")
    result = arena.play(game, [RandomAgent(), RandomAgent()], games=20, seed=0)
    for rec in result.records:
        assert sum(rec.returns) == pytest.approx(0.0)
        assert rec.moves >= 1
    replay = arena.play(game, [RandomAgent(), RandomAgent()], games=20, seed=0)
    assert replay.records == result.records
