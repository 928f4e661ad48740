"""The released DouDizhu models (models/README.md) are what they say: the default DouDizhu
agent (the policy network of models/doudizhu-az.pt) and the DMC model it began from
(models/doudizhu-dmc.pt, dmc+search's blueprint), each clearly stronger than RLCard's rule
model; the bidding model, the default of bidding games.

The DMC model's win rate against ``rlcard-rule`` is 0.675 [0.669, 0.682] over 10,000 decks
(landlord 0.698, peasants 0.652); the az network's is higher (models/README.md). Here 400
fixed decks, each played in both roles (800 games): the Wilson interval's half-width is then
about 0.033, so the low end sits near 0.64 and a model that is only as strong as the rule
model (0.5), let alone one with broken weights, misses the bar by far. The decks are fixed
by the seed, so the test is deterministic."""

import os
import warnings
from pathlib import Path

import pytest
import torch

from selfplay import arena
from selfplay.agents import RELEASED, RELEASED_DMC, default_spec, load
from selfplay.games import make

DECKS = 400


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The suite runs beside other tests (pytest -n 2 on 2 cores): one torch thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def released_path(name: str) -> Path:
    path = {"az": RELEASED["doudizhu"].model, "dmc": RELEASED_DMC["doudizhu"]}[name]
    assert path.is_file() and path.stat().st_size <= 20 * 2**20, f"the released model {path} is missing or too big"
    return path


def test_the_az_network_is_the_default_doudizhu_agent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a default that falls back (to rlcard-rule) warns: a failure here
        spec = default_spec("doudizhu")
    assert spec == f"az:path={released_path('az')},sims=0", spec


def beats_the_rule_model(agent, seed):
    game = make("doudizhu")
    result = arena.play(game, [agent, load("rlcard-rule", game)], decks=DECKS, seed=seed)
    stats = result.stats()[f"0:{agent.name}"]
    overall = stats["all"]
    summary = (f"{agent.name} vs rlcard-rule on {DECKS} decks (seed {seed}): WP {overall.win_rate:.3f} "
               f"[{overall.win_rate_low:.3f}, {overall.win_rate_high:.3f}], landlord {stats['landlord'].win_rate:.3f}, "
               f"peasants {stats['peasants'].win_rate:.3f}")
    print("\n" + summary)
    assert overall.games == 2 * DECKS and stats["landlord"].games == stats["peasants"].games == DECKS, summary
    assert overall.win_rate_low > 0.5, summary
    # stronger in each role, not only on average
    assert stats["landlord"].win_rate > 0.5 and stats["peasants"].win_rate > 0.5, summary


def test_the_default_agent_beats_the_rule_model():
    game = make("doudizhu")
    beats_the_rule_model(load(default_spec("doudizhu"), game), seed=0)


def test_the_released_dmc_model_by_its_path_beats_the_rule_model():
    """As a user names it on the command line: a path (relative to where they are)."""
    game = make("doudizhu")
    beats_the_rule_model(load(os.path.relpath(released_path("dmc")), game), seed=1)


# ---- the released bidding model (models/doudizhu-bid.pt) --------------------------------------------
# Against rlcard-rule bidding by its rule: WP 0.630 [0.621, 0.639] over 2,000 deals x 6 seatings
# (models/README.md). Here 100 deals x 6 seatings (600 games): a half-width near 0.04, so the low
# end sits near 0.59, and a model that bids or plays no better than the rule model misses 0.5.
def test_the_released_bidding_model_is_the_default_of_bidding_games_and_beats_the_rule_model():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec = default_spec("doudizhu", {"bidding": True})
    path = Path(spec)
    assert path.name == "doudizhu-bid.pt" and path.is_file() and path.stat().st_size <= 20 * 2 ** 20
    game = make("doudizhu", bidding=True)
    agent = load(spec, game)
    result = arena.play(game, [agent, load("rlcard-rule", game)], decks=100, seed=2)
    overall = result.stats()[f"0:{agent.name}"]["all"]
    bids = result.bidding()["agents"][f"0:{agent.name}"]
    summary = f"WP {overall.win_rate:.3f} [{overall.win_rate_low:.3f}, {overall.win_rate_high:.3f}], bidding {bids}"
    print("\n" + summary)
    assert overall.games == 600 and overall.win_rate_low > 0.5 and overall.score > 0, summary
    # it weighs its hand: it passes on about half (0.51 over 2,000 deals), bids 3 on the rest
    assert bids["landlord"].rate > 0.25 and 0.25 < bids["bids"][0].rate < 0.75, summary


def test_the_released_bidding_model_also_plays_the_fixed_landlord_game():
    game = make("doudizhu")
    agent = load(default_spec("doudizhu", {"bidding": True}), game)
    result = arena.play(game, [agent, load("random", game)], decks=50, seed=3)
    assert result.stats()[f"0:{agent.name}"]["all"].win_rate > 0.8


def test_the_released_az_model_plays_as_its_network_and_its_search_and_says_where_it_began():
    """models/doudizhu-az.pt (az warm-started from doudizhu-dmc.pt, 2 hours of playout
    search; docs/az.md): its record names the DMC file it began from (by SHA-256), and both
    its network alone and its search play DouDizhu, batched in the arena. Its edge over
    doudizhu-dmc.pt (WP 0.522 [0.506, 0.537] over 2,000 decks x 2 roles) needs more games
    than a test can play; here 50 decks against random."""
    import hashlib

    from selfplay.checkpoints import load_checkpoint

    path = released_path("az")
    record = load_checkpoint(path, expect_game="doudizhu", expect_learner="az")
    assert record["extra"]["init"]["sha256"] == hashlib.sha256(released_path("dmc").read_bytes()).hexdigest()
    assert record["config"]["leaf"] == "playout" and record["config"]["pimc_worlds"] == 8
    game = make("doudizhu")
    result = arena.play(game, [load(f"az:path={path},sims=0", game), load("random", game)], decks=50, seed=1)
    assert result.stats()[f"0:az:path={path},sims=0"]["all"].win_rate >= 0.85
    state = game.new_initial_state(seed=4)
    assert load(f"az:path={path}", game).act(state) in state.legal_actions()
