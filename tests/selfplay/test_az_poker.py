"""az learns poker, measured exactly: a few seconds of inline self-play on Kuhn bring the
policy network's exploitability far below uniform random's (0.4583), and the same run with a
no-op learn step does not. (docs/az.md: the longer runs and what limits them.)"""

import pytest
import torch

from selfplay.games import make
from selfplay.learners import az
from selfplay.learners.az import AZConfig, load_agent, train
from selfplay.search.exploitability import exploitability

UNIFORM = 11 / 24  # Kuhn: NashConv 11/12 over 2 players
KUHN = AZConfig(simulations=16, hidden=(32, 32), games_per_actor=16, batch_size=128, replay_size=5000,
                root="gumbel", policy_target="gumbel", log_interval_seconds=1000)


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run(tmp_path, name):
    game = make("kuhn")
    path = train(KUHN, "kuhn", tmp_path / name, frames=5000, actors=0, seed=0)
    return exploitability(game, load_agent(path, game, simulations=0))


def test_az_learns_kuhn_well_below_uniform_and_a_no_op_learner_does_not(tmp_path, monkeypatch):
    learned = run(tmp_path, "trained")
    monkeypatch.setattr(az, "learn_step", lambda net, optimizer, batch: (0.0, 0.0))
    frozen = run(tmp_path, "frozen")
    print(f"\nexploitability: trained {learned:.4f}, no learning {frozen:.4f}, uniform {UNIFORM:.4f}")
    assert learned < 0.5 * UNIFORM, (learned, frozen)
    assert frozen > 0.75 * UNIFORM, (learned, frozen)
