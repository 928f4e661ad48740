"""The league loop: actors seated by a plan, tiny leagues on leduc and connect4, SIGKILL and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from selfplay.actors import OpponentPlan, VectorActor
from selfplay.encoders import encoder_for
from selfplay.games import make
from selfplay.league import loop
from selfplay.league.evaluation import EvaluationConfig, choose_pairing
from selfplay.league.ratings import Result, fit
from selfplay.league.store import LeagueStore
from selfplay.learners.dmc import DMCConfig, net_configs
from selfplay.nets import QNet


def _actor(game_name: str, num_envs: int = 8) -> VectorActor:
    game = make(game_name)
    encoder = encoder_for(game)
    nets = [QNet(c) for c in net_configs(encoder, DMCConfig(lstm_hidden=16, mlp=(32,)))]
    return VectorActor(game, encoder, nets, num_envs=num_envs, epsilon=0.0, seed=3)


def test_an_actor_plays_the_plans_opponents_and_learns_only_from_its_own_seats():
    actor = _actor("leduc")
    actor.set_plan(OpponentPlan(((None, "rand"),), {"rand": "random"}))
    actor.states = [actor._new_game(e) for e in range(len(actor.states))]  # the games under way take the plan
    traj = actor.collect(200)
    assert set(traj.samples) == {0}  # leduc has a network per seat; the learner held seat 0 only
    assert traj.outcomes and len(traj.outcomes) == traj.episodes
    for opponent, seats, returns in traj.outcomes:
        assert opponent == "rand" and seats == (0,) and len(returns) == 2
    # learner decisions are its own: the frames equal seat 0's decisions of the finished games
    assert traj.frames == len(traj.samples[0])


def test_doudizhu_tables_seat_the_learner_as_one_peasant_beside_an_opponent():
    actor = _actor("doudizhu", num_envs=4)
    actor.set_plan(OpponentPlan((("opp", None, "opp"),), {"opp": "random"}))
    actor.states = [actor._new_game(e) for e in range(len(actor.states))]
    traj = actor.collect(100)
    assert set(traj.samples) == {1}  # only landlord_down, the learner's seat, produced samples
    assert all(seats == (1,) for _, seats, _ in traj.outcomes)


def test_a_plan_must_seat_the_learner_and_name_its_opponents():
    with pytest.raises(ValueError, match="learner must hold a seat"):
        OpponentPlan((("a", "a"),), {"a": "random"})
    with pytest.raises(ValueError, match="no agent spec"):
        OpponentPlan(((None, "a"),), {})


def test_pairing_puts_newcomers_first_then_the_widest_interval_against_an_even_opponent():
    config = EvaluationConfig(decks=10, min_games=4)
    results = [Result((("a",), ("random",)), (1.0, -1.0)), Result((("random",), ("a",)), (1.0, -1.0))] * 3
    # b has no games: it goes first, against whoever is most even (nobody rated for b: the newest other)
    assert choose_pairing(["random", "a", "b"], None, results, config)[0] == "b"
    # everyone has played enough: the widest interval picks first
    results += [Result((("b",), ("random",)), (1.0, -1.0)), Result((("random",), ("b",)), (-1.0, 1.0))] * 2
    f = fit(results, roles=("seat 0", "seat 1"))
    first, second = choose_pairing(["random", "a", "b"], f, results, config)
    assert first == max(["a", "b"], key=lambda p: f.players[p].sd)
    assert {first, second} != {"random"}


def _tiny(game_name: str, tmp_path, minutes: float = 0.15):
    config = loop.LeagueConfig(snapshot_minutes=0.05, actors=1, final_eval_seconds=10,
                               evaluation=EvaluationConfig(decks=5, min_games=20, refit_rounds=2))
    return loop.run(game_name, tmp_path / game_name, minutes=minutes, config=config)


@pytest.mark.parametrize("game_name", ["leduc", "connect4"])
def test_a_tiny_league_snapshots_evaluates_and_rates_everyone(game_name, tmp_path):
    store = _tiny(game_name, tmp_path)
    try:
        snapshots = store.players("snapshot")
        assert len(snapshots) >= 2
        assert [p.frames for p in snapshots] == sorted(p.frames for p in snapshots)
        assert all((store.root / p.spec).is_file() for p in snapshots)
        assert {p.name for p in store.players("baseline")} == {"random", "mcts-100"}
        assert store.match_count("eval") > 0
        rated = {r.player for r in store.latest_ratings() if r.role is None}
        assert rated == {p.name for p in store.players()}
        status = json.loads((store.root / loop.STATUS).read_text())
        assert status["state"] == "finished" and status["game"] == game_name
        assert json.loads((store.root / loop.CONFIG).read_text())["matchmaking"] == "past"
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_an_az_league_plays_its_snapshots_and_rates_them(tmp_path, monkeypatch):
    from selfplay.learners import az

    seen = []
    record = az.SelfPlay._finish

    def finish(self, i):  # the actors' games that seat a past snapshot
        if self.tables[i] is not None:
            seen.append(self.tables[i])
        record(self, i)

    monkeypatch.setattr(az.SelfPlay, "_finish", finish)
    config = loop.LeagueConfig(learner="az", snapshot_minutes=None, snapshot_frames=600, actors=0,
                               final_eval_seconds=10, evaluation=EvaluationConfig(decks=5, min_games=20, refit_rounds=2),
                               settings={"simulations": 24})  # `league run --set simulations=24`
    store = loop.run("tictactoe", tmp_path / "ttt", frames=2400, config=config)  # by work: any machine load
    try:
        assert json.loads((tmp_path / "ttt" / loop.RUN_DIR / "config.json").read_text())["config"]["simulations"] == 24
        snapshots = store.players("snapshot")
        assert len(snapshots) >= 2 and all(p.name.startswith("az-") for p in snapshots)
        assert all(p.learner == "az" for p in snapshots)
        rated = {r.player for r in store.latest_ratings() if r.role is None}
        assert rated == {p.name for p in store.players()}
        against = [t for t in seen if t != (None, None)]  # "past": mostly itself, some games a past snapshot
        assert against and all(t.count(None) == 1 and set(t) - {None} <= {p.name for p in snapshots}
                               for t in against)
    finally:
        store.close()


def test_a_doudizhu_league_trains_az_with_its_move_network_and_rates_its_snapshots(tmp_path):
    """`league run doudizhu --learner az`: the move network, the learner seated beside
    past snapshots as the plan says, its snapshots rated against the game's baselines."""
    config = loop.LeagueConfig(learner="az", snapshot_minutes=None, snapshot_frames=150, actors=0,
                               final_eval_seconds=5, evaluation=EvaluationConfig(decks=2, min_games=8, refit_rounds=2),
                               settings={"simulations": 4, "k": 4, "gumbel_m": 4, "hidden": (32, 32), "lstm_hidden": 16,
                                         "games_per_actor": 4, "send_decisions": 50})
    store = loop.run("doudizhu", tmp_path / "ddz", frames=300, config=config)
    try:
        snapshots = store.players("snapshot")
        assert len(snapshots) >= 2 and all(p.name.startswith("az-") and p.learner == "az" for p in snapshots)
        record = json.loads((tmp_path / "ddz" / loop.RUN_DIR / "config.json").read_text())
        assert record["config"]["network"] == "moves" and record["config"]["root"] == "gumbel"
        rated = {r.player for r in store.latest_ratings() if r.role is None}
        assert rated == {p.name for p in store.players()} and "doudizhu-az" in rated
    finally:
        store.close()


def test_connect4_evaluation_deals_differ_through_random_openings(tmp_path):
    store = _tiny("connect4", tmp_path, minutes=0.05)
    try:
        games = {}
        for m in store.matches("eval"):
            games.setdefault(tuple(sorted(p for slot in m.slot_players for p in slot)), set()).add(m.seed)
        assert any(len(seeds) > 1 for seeds in games.values())
    finally:
        store.close()


RUN = textwrap.dedent("""
    import sys
    from selfplay.league import loop
    from selfplay.league.evaluation import EvaluationConfig
    config = loop.LeagueConfig(snapshot_minutes=0.05, actors=1, final_eval_seconds=5,
                               evaluation=EvaluationConfig(decks=5, min_games=10))
    loop.run("leduc", sys.argv[1], minutes=float(sys.argv[2]), config=config).close()
""")


def _league(directory, minutes: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUN, str(directory), str(minutes)], start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_sigkill_during_a_league_run_loses_nothing_written_and_the_run_continues(tmp_path):
    directory = tmp_path / "league"
    proc = _league(directory, minutes=5)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if (directory / "league.sqlite").exists():
                with LeagueStore.open(directory) as store:
                    if len(store.players("snapshot")) >= 2 and store.match_count("eval") > 0:
                        break
            assert proc.poll() is None, proc.stdout.read().decode()
        else:
            pytest.fail("the league wrote no two snapshots and a match in 120 s")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    time.sleep(0.5)  # the actors and the evaluator go with their killed parent
    with LeagueStore.open(directory) as store:
        assert store.integrity_check() == "ok"
        snapshots_before = {p.name: p.frames for p in store.players("snapshot")}
        matches_before = {m.id: m for m in store.matches()}
    finished = subprocess.run([sys.executable, "-c", RUN, str(directory), "0.3"], capture_output=True, timeout=300)
    assert finished.returncode == 0, finished.stdout.decode() + finished.stderr.decode()
    with LeagueStore.open(directory) as store:
        assert store.integrity_check() == "ok"
        after = {p.name: p.frames for p in store.players("snapshot")}
        assert all(after[name] == frames for name, frames in snapshots_before.items())
        assert len(after) > len(snapshots_before)
        newest = max(snapshots_before.values())
        assert all(frames > newest for name, frames in after.items() if name not in snapshots_before)
        matches_after = {m.id: m for m in store.matches()}
        assert all(matches_after[i] == m for i, m in matches_before.items())
        assert len(matches_after) > len(matches_before)
        assert json.loads((directory / loop.STATUS).read_text())["state"] == "finished"
        assert len(set(after.values())) == len(after)  # no training stretch snapshotted twice


def test_ctrl_c_stops_a_league_run_cleanly_with_everything_written(tmp_path):
    directory = tmp_path / "league"
    script = os.path.join(os.path.dirname(sys.executable), "selfplay")
    proc = subprocess.Popen([script, "league", "run", "leduc", "--dir", str(directory), "--minutes", "5",
                             "--snapshot-minutes", "0.05", "--actors", "1", "--eval-decks", "5"],
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            # as in a terminal (a shell's background job would ignore SIGINT, and so would we)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if (directory / "league.sqlite").exists():
            with LeagueStore.open(directory) as store:
                if len(store.players("snapshot")) >= 1 and store.match_count("eval") > 0:
                    break
        assert proc.poll() is None, proc.stderr.read().decode()
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends: the whole process group
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode in (0, 130), err.decode()
    assert b"Traceback" not in out + err
    with LeagueStore.open(directory) as store:
        assert store.integrity_check() == "ok"
        snapshots = store.players("snapshot")
        # the weights at the moment of Ctrl-C became the last snapshot
        assert snapshots[-1].frames == loop.load_checkpoint(directory / loop.RUN_DIR / "checkpoint.pt")["frames"]
        assert store.latest_ratings()
    assert json.loads((directory / loop.STATUS).read_text())["state"] == "stopped"
