"""The az learner: self-play records, a run that is a function of its seed, the run
directory and resume, checkpoints as agents, the CLI's --set, and that it learns
(tictactoe against perfect play)."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from selfplay import arena
from selfplay.agents import AgentSpecError, load
from selfplay.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from selfplay.games import make
from selfplay.learners.az import AZAgent, AZConfig, InlineSelfPlay, load_agent, new_model, train
from selfplay.learners.dmc import RunExistsError
from selfplay.search.minimax import MinimaxAgent

SCRIPT = Path(sys.executable).parent / "selfplay"  # the console script of the venv running the tests


def script(*args):
    """The real console script (as tests/cli/test_cli_polish.py runs it), torch on one thread."""
    exe = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "selfplay.cli.main"]
    return subprocess.run([*exe, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One torch thread: the suite runs beside other tests (pytest -n 2 on 2 cores), and two
    threads on small batches spin against each other (training is then ~8x slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# Small networks and searches: these tests check behaviour, not strength.
TINY = AZConfig(simulations=8, hidden=(32, 32), games_per_actor=8, batch_size=32, send_decisions=32,
                log_interval_seconds=0.0)


def weights(path):
    return load_checkpoint(path)["models"][0]


def same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def losses_to_minimax(agent, games=50):
    game = make("tictactoe")
    result = arena.play(game, [agent, MinimaxAgent()], games=games, seed=1)
    stats = result.stats()[f"0:{agent.name}"]
    assert stats["all"].games == games and stats["seat 0"].games == stats["seat 1"].games == games // 2
    return stats["all"].losses


# ---- learning -------------------------------------------------------------------------------
# Measured on a 2-core machine (one torch thread; seeds 0-9, 15,000 decisions, ~10 s alone and
# ~20 s beside another job): with 64 simulations the trained network lost 0, 2, 0, 8, 1, 0, 8,
# 3, 1, 3 of 50 games to minimax; the untrained network of the same seed 23, 33, 30, 37, 14,
# 24, 23, 21, 27, 16. A learner that does not learn (learning_rate=0, which is what a
# learn_step that leaves the weights alone gives) loses 23 with seed 0, as the untrained net.
# The defaults (lr 1e-3, replay_ratio 4) learn too slowly for a test's budget: 4,000-30,000
# decisions left the losses where the untrained net's were.
LEARN = AZConfig(simulations=16, hidden=(64, 64), games_per_actor=16, batch_size=64, send_decisions=64,
                 learning_rate=0.01, replay_ratio=32)


def test_az_learns_tictactoe_well_enough_to_hold_minimax(tmp_path):
    game = make("tictactoe")
    trained = train(LEARN, "tictactoe", tmp_path / "trained", frames=15_000, actors=0, seed=0)
    # the same run's initial network: one message of self-play, learning rate 0
    untrained = train(replace(LEARN, learning_rate=0.0), "tictactoe", tmp_path / "untrained", frames=1,
                      actors=0, seed=0)
    assert load_checkpoint(untrained)["extra"]["learner_steps"] > 0  # it stepped, with lr 0: no change
    trained_losses = losses_to_minimax(load_agent(trained, game, simulations=64))
    untrained_losses = losses_to_minimax(load_agent(untrained, game, simulations=64))
    assert untrained_losses >= 12, untrained_losses  # the yardstick: search alone loses often
    assert trained_losses <= 10, (trained_losses, untrained_losses)
    assert trained_losses <= untrained_losses - 10, (trained_losses, untrained_losses)


# ---- self-play records ----------------------------------------------------------------------
def test_inline_self_play_records_visit_distributions_and_game_returns():
    game = make("tictactoe")
    torch.manual_seed(0)
    source = InlineSelfPlay(game, new_model(game, TINY), TINY, seed=5)
    batch = source.get(timeout=0.1)
    assert len(batch) >= TINY.send_decisions and batch.episodes >= 1
    obs, policy, value, weight = (np.stack(c) for c in zip(*batch.rows))
    batch = SimpleNamespace(obs=obs, policy=policy, value=value, episodes=batch.episodes)
    assert (weight == 1).all()  # every move searched in full (a forced one: its certain target)
    assert obs.shape == (len(obs), 27) and policy.shape == (len(obs), 9)
    np.testing.assert_allclose(batch.policy.sum(axis=1), 1.0, rtol=1e-5)
    empty = batch.obs.reshape(-1, 3, 9)[:, 2]  # the empty-cell plane of the mover's observation
    assert np.all(batch.policy[empty == 0] == 0)  # visits only on legal moves
    # every decision carries its game's final returns: zero-sum, win/draw/loss
    assert {tuple(v) for v in batch.value} <= {(1.0, -1.0), (-1.0, 1.0), (0.0, 0.0)}
    # games end between the 5th and the 9th move; decisions of one game are contiguous and
    # start on the empty board
    starts = np.flatnonzero(empty.sum(axis=1) == 9)
    assert len(starts) == batch.episodes and starts[0] == 0
    lengths = np.diff([*starts, len(obs)])
    assert np.all((lengths >= 5) & (lengths <= 9)), lengths
    for a, b in zip(starts, [*starts[1:], len(obs)]):
        assert (batch.value[a:b] == batch.value[a]).all()


def test_inline_self_play_plays_with_its_own_copy_until_published():
    game = make("tictactoe")
    torch.manual_seed(0)
    model = new_model(game, TINY)
    net = model.nets[0]
    source = InlineSelfPlay(game, model, TINY, seed=0)
    mine = source.model.nets[0]
    assert mine is not net and same_weights(mine.state_dict(), net.state_dict())
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    assert not same_weights(mine.state_dict(), net.state_dict())
    source.publish([net])
    assert same_weights(mine.state_dict(), net.state_dict())


# ---- reproducibility --------------------------------------------------------------------------
def test_inline_run_is_a_function_of_its_seed(tmp_path):
    runs = {name: train(TINY, "tictactoe", tmp_path / name, frames=300, actors=0, seed=seed)
            for name, seed in (("a", 0), ("b", 0), ("c", 1))}
    a, b, c = (weights(runs[n]) for n in "abc")
    assert load_checkpoint(runs["a"])["extra"]["learner_steps"] > 0  # the weights moved
    assert same_weights(a, b)
    assert not same_weights(a, c)
    assert load_checkpoint(runs["a"])["frames"] == load_checkpoint(runs["b"])["frames"]


# ---- the run directory, resume, checkpoints as agents -----------------------------------------
@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("az") / "run"
    train(TINY, "tictactoe", out, frames=200, actors=0, seed=3)
    torch.set_num_threads(before)
    return out


def test_run_directory_holds_config_metrics_and_checkpoint(run_dir):
    assert {"config.json", "metrics.jsonl", "checkpoint.pt"} <= {p.name for p in run_dir.iterdir()}
    record = json.loads((run_dir / "config.json").read_text())
    assert record["learner"] == "az" and record["game"] == "tictactoe" and record["seed"] == 3
    assert record["frames"] == 200 and record["actors"] == 0
    assert record["config"]["simulations"] == 8 and record["config"]["hidden"] == [32, 32]
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert rows and all(r["frames"] > 0 for r in rows)
    assert [r["frames"] for r in rows] == sorted(r["frames"] for r in rows)
    data = load_checkpoint(run_dir / "checkpoint.pt", expect_game="tictactoe", expect_learner="az")
    assert data["frames"] >= 200 and data["seed"] == 3
    assert data["config"]["hidden"] == [32, 32] and data["net_configs"][0]["hidden"] == [32, 32]
    assert data["extra"]["episodes"] > 0


def test_a_run_directory_is_not_overwritten_and_resume_continues(tmp_path):
    out = tmp_path / "run"
    first = train(TINY, "tictactoe", out, frames=200, actors=0, seed=3)
    before = load_checkpoint(first)
    with pytest.raises(RunExistsError, match="already holds a run"):
        train(TINY, "tictactoe", out, frames=400, actors=0, seed=3)
    assert same_weights(weights(first), before["models"][0])  # refused before touching anything
    # resume: the run's own config and seed, even if others are given
    resumed = train(replace(TINY, simulations=2), "tictactoe", out, frames=400, actors=0, seed=9, resume=True)
    after = load_checkpoint(resumed)
    assert after["frames"] >= 400 > before["frames"]
    assert after["extra"]["learner_steps"] > before["extra"]["learner_steps"]
    assert after["extra"]["episodes"] > before["extra"]["episodes"]
    assert after["seed"] == 3 and after["config"]["simulations"] == 8
    assert not same_weights(after["models"][0], before["models"][0])
    assert json.loads((out / "config.json").read_text())["resumed_at_frames"] == before["frames"]


def test_checkpoint_loads_as_an_agent_by_spec_and_by_path(run_dir):
    game = make("tictactoe")
    path = str(run_dir / "checkpoint.pt")
    by_spec = load(f"az:path={path},sims=8", game)
    by_path = load(path, game)
    assert isinstance(by_spec, AZAgent) and isinstance(by_path, AZAgent)
    assert by_spec.config.simulations == 8 and by_spec.config.dirichlet_fraction == 0.0  # no noise in play
    assert by_path.config.simulations == TINY.simulations and by_path.name == path
    assert load(f"az:path={path},sims=3", game).config.simulations == 3
    state = game.new_initial_state()
    for agent in (by_spec, by_path):
        agent.reset(0)
        assert agent.act(state) in state.legal_actions()
    result = arena.play(game, [by_spec, by_path], games=4, seed=0)
    assert len(result.records) == 4
    with pytest.raises(AgentSpecError, match="path="):
        load("az", game)
    with pytest.raises(AgentSpecError, match="no checkpoint file"):
        load(f"az:path={run_dir / 'nothing.pt'}", game)


def one_line(err):
    text = str(err.value)
    assert text and "\n" not in text
    return text


def test_a_checkpoint_of_another_game_is_a_clear_error(run_dir, tmp_path):
    connect4 = make("connect4")
    path = run_dir / "checkpoint.pt"
    with pytest.raises(CheckpointError) as err:
        load_agent(path, connect4)
    assert "a checkpoint for tictactoe, not connect4" in one_line(err)
    with pytest.raises(AgentSpecError) as err:
        load(f"az:path={path}", connect4)
    assert "tictactoe" in one_line(err)
    with pytest.raises(AgentSpecError) as err:
        load(str(path), connect4)
    assert "tictactoe" in one_line(err)
    # labelled connect4, but its network is tictactoe's: caught by the shapes
    data = load_checkpoint(path)
    relabelled = save_checkpoint(tmp_path / "relabelled.pt", {**data, "game": "connect4"})
    with pytest.raises(CheckpointError) as err:
        load_agent(relabelled, connect4)
    assert "does not fit" in one_line(err)


def test_a_flat_network_for_doudizhu_is_refused_before_making_a_run_directory(tmp_path):
    make("doudizhu")  # the rules engine is part of the package: if it does not load, that is a failure
    with pytest.raises(ValueError, match="too many for a flat policy head") as err:
        train(replace(TINY, network="flat"), "doudizhu", tmp_path / "ddz", frames=10, actors=0)
    one_line(err)
    assert not (tmp_path / "ddz").exists()


def test_config_from_dict_ignores_unknown_keys_and_search_noise_is_for_self_play():
    config = AZConfig.from_dict({"simulations": 5, "hidden": [8, 4], "not_a_setting": 1})
    assert config.simulations == 5 and config.hidden == (8, 4)
    assert config.search(noise=True).dirichlet_fraction == config.dirichlet_fraction > 0
    assert config.search(noise=False).dirichlet_fraction == 0.0
    assert config.search(noise=False).simulations == 5


def test_the_agent_takes_a_win_and_blocks_a_threat_even_untrained():
    """With the game's returns at terminal nodes, 64 simulations find a win in one and a
    block of the opponent's win in one whatever the network says."""
    game = make("tictactoe")
    torch.manual_seed(0)
    agent = AZAgent(new_model(game, TINY), AZConfig(simulations=64).search(noise=False))
    for moves, best in (([0, 3, 1, 4], 2),  # X wins at 2
                        ([0, 3, 1, 4, 8], 5),  # O wins at 5 (rather than block 2)
                        ([0, 4, 1], 2)):  # O blocks at 2
        state = game.new_initial_state()
        for m in moves:
            state.apply(m)
        for seed in range(3):
            agent.reset(seed)
            assert agent.act(state) == best, (moves, seed)


# ---- the CLI ---------------------------------------------------------------------------------
def test_cli_train_az_with_settings(tmp_path):
    out = tmp_path / "run"
    done = script("train", "tictactoe", "--learner", "az", "--out", str(out), "--frames", "300", "--actors", "0",
                  "--set", "simulations=8", "--set", "hidden=32x32")
    assert done.returncode == 0, done.stderr
    data = load_checkpoint(out / "checkpoint.pt", expect_game="tictactoe", expect_learner="az")
    assert data["config"]["simulations"] == 8 and data["config"]["hidden"] == [32, 32]
    assert data["net_configs"][0]["hidden"] == [32, 32] and data["frames"] >= 300
    record = json.loads((out / "config.json").read_text())
    assert record["config"]["simulations"] == 8 and record["config"]["hidden"] == [32, 32]


@pytest.mark.parametrize("setting,message", [
    ("nope=1", "az has no setting 'nope'"),
    ("simulations=abc", "--set simulations: expected int, got 'abc'"),
    ("simulations", "KEY=VALUE"),
])
@pytest.mark.parametrize("command", ["train", "league run"])
def test_cli_bad_setting_is_one_line_and_exit_code_2(tmp_path, setting, message, command):
    out = tmp_path / "run"
    where = ["--out", str(out), "--actors", "0"] if command == "train" else ["--dir", str(out)]
    done = script(*command.split(), "tictactoe", "--learner", "az", *where, "--frames", "10", "--set", setting)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith("selfplay: error: "), done.stderr
    assert message in lines[0] and "Traceback" not in done.stderr
    assert not out.exists()  # refused before any work


def test_replay_of_the_run_keeps_a_uniform_sample_of_every_decision():
    """``replay="run"`` (reservoir sampling): of 20,000 decisions a buffer of 500 keeps a
    uniform sample (mean index near 10,000, every fifth of the run represented), while the
    default keeps the last 500."""
    from selfplay.learners.az import Decisions, Replay

    def decisions(start, n):
        return Decisions([(float(i),) for i in range(start, start + n)])

    kept = {}
    for keep in ("recent", "run"):
        replay = Replay(500, keep, np.random.default_rng(0))
        for start in range(0, 20_000, 256):
            replay.add(decisions(start, min(256, 20_000 - start)))
        assert replay.count == 500 and replay.seen == 20_000
        kept[keep] = np.array([row[0] for row in replay.rows])
    assert sorted(kept["recent"]) == list(range(19_500, 20_000))
    run = kept["run"]
    assert len(set(run.tolist())) == 500 and abs(run.mean() - 10_000) < 3 * 5774 / np.sqrt(500)
    assert np.histogram(run, bins=5, range=(0, 20_000))[0].min() > 60  # 100 expected in each fifth
