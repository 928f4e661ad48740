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
    import pygame  # noqa: F401  (PettingZoo's classic envs import it; a dev dependency, so no skip)
    game = make("pettingzoo:classic.texas_holdem_v4")
    result = arena.play(game, [RandomAgent(), RandomAgent()], games=20, seed=0)
    for rec in result.records:
        assert sum(rec.returns) == pytest.approx(0.0)
        assert rec.moves >= 1
    replay = arena.play(game, [RandomAgent(), RandomAgent()], games=20, seed=0)
    assert replay.records == result.records



# ---- lockstep play: many games at once, the same games as one at a time ------------------------
class BatchingFirstLegal(FirstLegal):
    """FirstLegal with ``act_batch``; keeps the size of every batch it is given."""

    def __init__(self):
        self.sizes = []

    def act_batch(self, states):
        self.sizes.append(len(states))
        return [self.act(s) for s in states]


class OneAtATime:
    """An agent with its ``act_batch`` hidden: the arena asks it one state at a time."""

    def __init__(self, agent):
        self.agent, self.name = agent, agent.name

    def reset(self, seed):
        self.agent.reset(seed)

    def act(self, state):
        return self.agent.act(state)


def tiny_dmc_agent(game, seed=0):
    """A greedy DMC agent on small untrained networks: near-ties everywhere, a hard case for batching."""
    import torch

    from selfplay.encoders import encoder_for
    from selfplay.learners.dmc import DMCAgent, DMCConfig, net_configs
    from selfplay.nets import QNet

    torch.manual_seed(seed)
    encoder = encoder_for(game)
    return DMCAgent([QNet(c) for c in net_configs(encoder, DMCConfig(lstm_hidden=16, mlp=(32, 32)))], encoder)


def replays(game, make_agents, **kwargs):
    """Records of one match at several batch sizes and worker counts."""
    return {(batch, workers): arena.play(game, make_agents(), batch=batch, workers=workers, **kwargs).records
            for batch, workers in [(1, 1), (5, 1), (64, 1), (1, 2), (5, 2)]}


def test_act_batch_takes_the_decisions_of_all_running_games_in_one_call():
    game = make("connect4")
    agent = BatchingFirstLegal()
    seen = []
    batched = arena.play(game, [agent, ImmediateWinner()], games=10, seed=3, on_result=seen.append)
    # default batch: all ten games run at once; each round the agent moves in the five where it is to move
    assert max(agent.sizes) == 5
    assert batched.records == arena.play(game, [FirstLegal(), ImmediateWinner()], games=10, seed=3).records
    assert sorted(seen, key=lambda r: r.index) == batched.records


def test_play_runs_torch_on_one_thread_as_its_workers_do():
    import torch

    class Threads(FirstLegal):
        def act(self, state):
            seen.add(torch.get_num_threads())
            return super().act(state)

    seen = set()
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        arena.play(make("tictactoe"), [Threads(), FirstLegal()], games=2)
        assert seen == {1} and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_random_agents_replay_the_same_games_for_any_batch_and_worker_count():
    game = make("doudizhu")
    runs = replays(game, lambda: [RandomAgent(), RandomAgent()], decks=8, seed=4)
    assert all(records == runs[1, 1] for records in runs.values())
    # one instance in both slots keeps one rng per game, as in one-at-a-time play
    shared = RandomAgent()
    aliased = replays(game, lambda: [shared, shared], decks=4, seed=4)
    assert all(records == aliased[1, 1] for records in aliased.values())
    assert aliased[1, 1] != runs[1, 1][:8]


def test_greedy_dmc_agent_replays_the_same_games_for_any_batch_and_worker_count():
    game = make("doudizhu")
    dmc = tiny_dmc_agent(game)
    runs = replays(game, lambda: [dmc, RandomAgent()], decks=10, seed=5)
    assert all(records == runs[1, 1] for records in runs.values())
    assert arena.play(game, [OneAtATime(dmc), RandomAgent()], decks=10, seed=5).records == runs[1, 1]


@pytest.fixture
def one_torch_thread():
    """As the arena plays: one torch thread (a multi-threaded matrix product splits its work by the shape)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_dmc_act_batch_is_act_of_each_state_and_scores_a_decision_to_the_same_bits_in_any_batch(one_torch_thread):
    import numpy as np

    from selfplay.nets import decision_q_values

    game = make("doudizhu")
    dmc = tiny_dmc_agent(game, seed=1)
    rng = np.random.default_rng(0)
    states = []
    for g in range(6):
        state = game.new_initial_state(seed=g)
        while not state.is_terminal():
            states.append(state.clone())
            legal = state.legal_actions()
            state.apply(legal[rng.integers(len(legal))])
    assert dmc.act_batch(states) == [dmc.act(s) for s in states]
    scored = [s for s in states if len(s.legal_actions()) > 1 and dmc.encoder.group(s, s.current_player) == 0]
    decisions = [dmc.encoder.encode(s, s.current_player, s.legal_actions()) for s in scored]
    alone = [decision_q_values(dmc.nets[0], [d])[0] for d in decisions]
    for size in (2, 3, 7, 64):
        for start in range(0, len(decisions), size):
            batch = decision_q_values(dmc.nets[0], decisions[start:start + size])
            assert all(np.array_equal(q, a) for q, a in zip(batch, alone[start:start + size]))
