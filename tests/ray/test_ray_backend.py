"""The Ray backend on one machine: sockets, learning, tournaments, the league, faults."""

from __future__ import annotations

import ipaddress
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfplay import arena
from selfplay.agents import RandomAgent
from selfplay.backends import Backend
from selfplay.checkpoints import load_checkpoint
from selfplay.cli.main import cli
from selfplay.games import make
from selfplay.learners.dmc import DMCConfig, load_agent, train
from selfplay.league import loop
from selfplay.league.evaluation import EvaluationConfig
from selfplay.league.store import LeagueStore

RAY = Backend("ray")
# tests/selfplay/test_dmc.py's Leduc settings
LEDUC = DMCConfig(mlp=(64, 64), batch_size=8, unroll_length=32, learning_rate=1e-3, envs_per_actor=32,
                  send_frames=256, actor_dtype="float32", exp_epsilon=0.1, log_interval_seconds=0.5)


def _sockets() -> list[tuple[str, str]]:
    """(protocol, local IP address) of every TCP and UDP socket in this network namespace."""
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/net/{proto}").read_text().splitlines()[1:]:
            hex_ip = line.split()[1].split(":")[0]
            words = [bytes.fromhex(hex_ip[i:i + 8])[::-1] for i in range(0, len(hex_ip), 8)]  # host-order words
            ip = ipaddress.ip_address(b"".join(words))
            found.append((proto, str(getattr(ip, "ipv4_mapped", None) or ip)))  # ::ffff:a.b.c.d is a.b.c.d
    return found


def test_every_socket_ray_opened_is_on_127_0_0_1(ray_local):
    ray_local.get(ray_local.remote(lambda: 1).remote())  # a worker is up too
    sockets = _sockets()
    assert sum(proto.startswith("tcp") for proto, _ in sockets) >= 3, sockets  # Ray's own: GCS, raylet, workers
    outside = [(proto, ip) for proto, ip in sockets if ip != "127.0.0.1"]
    assert not outside, f"sockets not on 127.0.0.1: {outside}"


def _against_random(agent, game, decks=500) -> tuple[float, float]:
    """The agent's win rate and chips per hand against random play, in both seats."""
    stats = arena.play(game, [agent, RandomAgent()], decks=decks, seed=9).stats()[f"0:{agent.name}"]["all"]
    return stats.win_rate, stats.score


def test_dmc_on_leduc_through_ray_writes_its_checkpoint_and_learns(ray_local, tmp_path):
    """About a minute of DMC on Leduc through Ray, learning wins (``objective="wp"``: a policy
    trained on points learns to fold weak hands, which loses more hands while it wins more
    chips). Measured (2 cores, 1 min, shared with a niced run): WP against random 0.588 ->
    0.727 (seed 1), 0.339 -> 0.704 (seed 2); chips per hand +0.52 -> +1.64, -0.28 -> +1.60."""
    game = make("leduc")
    path = train(LEDUC, "leduc", tmp_path / "run", minutes=1.0, actors=1, seed=1, objective="wp", backend=RAY)
    trained = load_checkpoint(path)
    assert trained["frames"] > 20_000
    untouched = train(LEDUC, "leduc", tmp_path / "untouched", frames=1, actors=0, seed=1, objective="wp")
    (wp0, chips0), (wp1, chips1) = (_against_random(load_agent(p, game), game) for p in (untouched, path))
    print(f"\nLeduc through Ray, {trained['frames']:,} frames: against random, win rate {wp0:.3f} -> {wp1:.3f}, "
          f"chips per hand {chips0:+.3f} -> {chips1:+.3f}")
    assert wp1 > wp0 + 0.08 and chips1 > chips0, (wp0, wp1, chips0, chips1)


def test_tournament_on_ray_gives_exactly_the_local_results(ray_local):
    args = ["tournament", "doudizhu", "-a", "models/doudizhu-dmc.pt", "-a", "rlcard-rule", "--decks", "12",
            "--seed", "5", "-j", "2", "--json", "-"]
    local = CliRunner().invoke(cli, args)
    on_ray = CliRunner().invoke(cli, [*args, "--backend", "ray"])
    assert local.exit_code == 0 and on_ray.exit_code == 0, (local.output, on_ray.output)
    assert json.loads(on_ray.output) == json.loads(local.output)


def test_a_league_through_ray_rates_its_snapshots_and_an_actor_killed_mid_run_is_replaced(ray_local, tmp_path):
    directory = tmp_path / "league"
    config = loop.LeagueConfig(snapshot_minutes=None, snapshot_frames=15_000, actors=1, seed=3,
                               evaluation=EvaluationConfig(decks=10, min_games=40), final_eval_seconds=15,
                               settings={"mlp": (64, 64), "batch_size": 8, "unroll_length": 32, "envs_per_actor": 32,
                                         "send_frames": 256, "actor_dtype": "float32", "log_interval_seconds": 0.5})
    errors = []

    def league_run():
        try:
            loop.run("leduc", directory, frames=60_000, config=config, backend=RAY).close()
        except BaseException as err:  # noqa: BLE001 (reported below)
            errors.append(err)

    runner = threading.Thread(target=league_run)
    runner.start()
    from ray.util import list_named_actors

    deadline = time.monotonic() + 120
    while not list(directory.glob("run/snapshots/*.pt")):
        assert runner.is_alive() and time.monotonic() < deadline, ("no snapshot", errors)
        time.sleep(0.2)
    victims = [n for n in list_named_actors() if n.startswith("selfplay-") and n.endswith("-0-0")]
    assert victims, list_named_actors()
    ray_local.kill(ray_local.get_actor(victims[0]))
    deadline = time.monotonic() + 60
    while not any(n.endswith("-0-1") for n in list_named_actors()):  # its replacement
        assert runner.is_alive() and time.monotonic() < deadline, ("the killed actor was not replaced", errors)
        time.sleep(0.2)
    runner.join(timeout=240)
    assert not runner.is_alive() and not errors, errors

    with LeagueStore.open(directory) as store:
        assert len(store.players("snapshot")) >= 3
        matches = store.matches("eval")
        assert len(matches) >= 40 and store.latest_ratings()
        # every round's games once: no game (its deal seed and seating) is stored twice
        keys = [(m.seed, m.slot_players) for m in matches]
        assert len(keys) == len(set(keys))
    report = CliRunner().invoke(cli, ["league", "report", str(directory)])
    assert report.exit_code == 0 and "dmc-" in report.output, report.output


def test_a_killed_driver_resumes_from_its_checkpoint(ray_local, tmp_path):
    out = tmp_path / "run"
    address = ray_local.get_runtime_context().gcs_address
    proc = subprocess.Popen([sys.executable, "-m", "selfplay.cli.main", "train", "leduc", "--out", str(out),
                             "--actors", "1", "--frames", "1000000000", "--seed", "4", "--backend", "ray",
                             "--address", address, "--set", "save_interval_minutes=0.01", "--set", "mlp=64x64"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    ckpt = out / "checkpoint.pt"
    try:
        deadline = time.monotonic() + 120
        while not (ckpt.exists() and load_checkpoint(ckpt)["frames"] > 0):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no checkpoint after 120 s"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    frames = load_checkpoint(ckpt)["frames"]
    path = train(DMCConfig(), "leduc", out, frames=frames + 5000, actors=1, resume=True, backend=RAY)
    final = load_checkpoint(path)
    assert final["frames"] >= frames + 5000 and final["seed"] == 4
    assert json.loads((out / "config.json").read_text())["resumed_at_frames"] == frames


def test_az_trains_through_ray_and_actors_that_fit_no_node_are_an_error_at_once(ray_local, tmp_path):
    from selfplay.backends import BackendError
    from selfplay.learners import az

    config = az.AZConfig(simulations=8, hidden=(32,), send_decisions=64)
    path = az.train(config, "kuhn", tmp_path / "az", frames=1500, actors=1, seed=2, backend=RAY)
    assert load_checkpoint(path)["frames"] >= 1500
    with pytest.raises(BackendError, match="no node of the Ray cluster has what an actor needs"):
        train(LEDUC, "leduc", tmp_path / "nowhere", frames=1000, actors=1,
              backend=Backend("ray", actor_resources={"gpu-node": 1}))
