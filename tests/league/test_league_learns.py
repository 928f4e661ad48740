"""A league learns: in a small Leduc league (DMC, small networks, the actor inside the
learner's process), its last snapshot beats its first clearly, and the same league with a
learner step that changes nothing does not.

The bar is a direct match of the two snapshot files on fixed decks (each played in both
seats): the low end of the 95% interval of the last one's chips per hand above 0. Not the
league's own ratings: the evaluation process plays beside training, so which rated games
exist when depends on the machine's load, while the learner's run is a function of its seed.
Nor wins and losses (the ratings' and ``likelihood_of_superiority``'s currency): a poker
player that has learned to fold loses many small pots and wins the big ones (measured here:
+1.22 chips a hand for the last snapshot, with 716 hands won and 954 lost).

Snapshots come every so many frames (``snapshot_frames``), and the league's plan is
refreshed after every actor message (``log_interval_seconds=0``), so what the learner plays,
and when its snapshots are taken, depend on frames only, not on the clock."""

from __future__ import annotations

import json

import pytest
import torch

from selfplay import arena
from selfplay.agents import load
from selfplay.checkpoints import load_checkpoint
from selfplay.games import make
from selfplay.league import loop
from selfplay.league.evaluation import EvaluationConfig
from selfplay.learners import dmc

# Leduc's learning settings (tests/selfplay/test_dmc.py): small networks, a high learning rate.
SMALL = dmc.DMCConfig(mlp=(64, 64), batch_size=8, unroll_length=32, learning_rate=1e-3, envs_per_actor=32,
                      send_frames=256, actor_dtype="float32", exp_epsilon=0.1, log_interval_seconds=0.0)
FRAMES, SNAPSHOT_FRAMES, SEED = 200_000, 40_000, 2
DECKS = 1000


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The suite runs beside other tests (pytest -n 2 on 2 cores): one torch thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def small_league(root, monkeypatch, learn: bool = True):
    """Run the league (``learn=False``: with a learn step that changes nothing); returns the
    paths of its first and last snapshots."""
    # The league trains with its learner's default settings (DouZero's networks, far too big
    # here): hand dmc.train the small ones.
    real_train = dmc.train
    seen = []

    def train(config, *args, **kwargs):
        seen.append(config)
        return real_train(SMALL, *args, **kwargs)

    monkeypatch.setattr(dmc, "train", train)
    steps = []
    if not learn:
        def learn_step(net, optimizer, batch, max_grad_norm, dtype="float32"):
            steps.append(len(batch.target))
            return 0.0

        monkeypatch.setattr(dmc, "learn_step", learn_step)
    config = loop.LeagueConfig(learner="dmc", snapshot_minutes=None, snapshot_frames=SNAPSHOT_FRAMES, actors=0,
                               seed=SEED, baselines=("random",), final_eval_seconds=5,
                               evaluation=EvaluationConfig(decks=5, min_games=20, refit_rounds=2))
    store = loop.run("leduc", root, frames=FRAMES, config=config)
    monkeypatch.undo()
    try:
        assert len(seen) == 1, "the league did not train through dmc.train"
        record = json.loads((root / loop.RUN_DIR / "config.json").read_text())
        assert record["config"]["mlp"] == [64, 64] and record["actors"] == 0
        snapshots = store.players("snapshot")
        # one every SNAPSHOT_FRAMES, at the first learner step past it (a step is 256 frames)
        assert [p.frames // SNAPSHOT_FRAMES for p in snapshots] == [1, 2, 3, 4, 5], snapshots
        first, last = (store.root / snapshots[0].spec, store.root / snapshots[-1].spec)
        assert first.is_file() and last.is_file()
        status = json.loads((store.root / loop.STATUS).read_text())
        assert status["state"] == "finished"
    finally:
        store.close()
    if not learn:  # the no-op step was the one called, every time
        assert len(steps) == load_checkpoint(root / loop.RUN_DIR / "checkpoint.pt")["extra"]["learner_steps"] > 0
    return first, last


def last_against_first(first, last):
    """The last snapshot's results against the first on fixed decks, both seats each."""
    game = make("leduc")
    latest, earliest = load(str(last), game), load(str(first), game)
    stats = arena.play(game, [latest, earliest], decks=DECKS, seed=5).stats()[f"0:{latest.name}"]["all"]
    summary = (f"last vs first snapshot, {stats.games} games: {stats.score:+.3f} ± {stats.score_ci:.3f} chips a hand, "
               f"W/D/L {stats.wins}/{stats.draws}/{stats.losses}")
    print("\n" + summary)
    return stats, summary


def beats_clearly(stats) -> bool:
    return stats.score - stats.score_ci > 0


def test_a_small_leduc_league_ends_clearly_stronger_than_its_first_snapshot(tmp_path, monkeypatch):
    first, last = small_league(tmp_path / "league", monkeypatch)
    stats, summary = last_against_first(first, last)
    assert stats.games == 2 * DECKS
    assert beats_clearly(stats), summary


def test_the_same_league_without_learning_does_not(tmp_path, monkeypatch):
    """The control: the same seed and settings, a learn step that leaves the weights alone.
    Every snapshot is then the initial network, and the match is a mirror: exactly even."""
    first, last = small_league(tmp_path / "league", monkeypatch, learn=False)
    stats, summary = last_against_first(first, last)
    assert stats.score == 0.0, summary  # a mirror match
    assert not beats_clearly(stats), summary
