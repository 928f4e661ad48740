"""The run directory: one writer at a time (a kernel lock), --resume with --set, schedules by
frames, --device, checkpoints from another device."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from selfplay import locks
from selfplay.agents import load
from selfplay.checkpoints import load_checkpoint, save_checkpoint
from selfplay.games import make
from selfplay.learners import dmc
from selfplay.learners.rundir import Schedule, frames_label, resumed_config
from selfplay.league.store import LeagueStore

CLI = [sys.executable, "-m", "selfplay.cli.main"]
TINY = ["--set", "lstm_hidden=8", "--set", "mlp=16x16", "--set", "batch_size=4", "--set", "unroll_length=16",
        "--set", "envs_per_actor=8", "--set", "send_frames=64", "--set", "log_interval_seconds=0.2"]
BUSY = re.compile(r"^selfplay: error: (.+) is in use by pid (\d+) since \d\d:\d\d \((selfplay [a-z ]+)\); "
                  r"wait for it or stop it$")


def cli(*args, timeout=240):
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout)


def tree(root: Path) -> dict[str, tuple[int, str]]:
    """Every file under ``root``: (mtime_ns, sha256) by relative path."""
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_file()}


def hold(directory: Path, command: str) -> subprocess.Popen:
    """A process that holds ``directory``'s lock (and writes nothing) until killed; it forks a
    child first, which must not keep the lock alive."""
    code = ("import os, sys, time\nfrom selfplay.locks import exclusive\n"
            f"with exclusive(sys.argv[1], {command!r}):\n"
            "    if os.fork() == 0:\n        time.sleep(600)\n        os._exit(0)\n"
            "    print('held', flush=True)\n    time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(directory)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def kill_holder(proc: subprocess.Popen) -> list[int]:
    """SIGKILL ``proc`` alone; the pids of its forked children, which live on (orphans)."""
    children = [int(p) for p in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                               text=True).stdout.split()]
    proc.kill()
    proc.wait()
    return children


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---- the lock ------------------------------------------------------------------------------
def test_lock_names_its_holder_is_reentrant_and_drops_when_released(tmp_path):
    with locks.exclusive(tmp_path / "d", "selfplay train"):
        info = locks.holder(tmp_path / "d")
        assert info["pid"] == os.getpid() and info["command"] == "selfplay train"
        with locks.exclusive(tmp_path / "d"):  # the same process: a league's learner in its run folder
            pass
        other = subprocess.run([sys.executable, "-c", "import sys\nfrom selfplay.locks import exclusive\n"
                                "with exclusive(sys.argv[1]): pass", str(tmp_path / "d")],
                               capture_output=True, text=True)
        assert other.returncode != 0 and "DirectoryInUse" in other.stderr
        assert f"is in use by pid {os.getpid()} since" in other.stderr
    with locks.exclusive(tmp_path / "d"):  # released: taken again at once
        pass


def test_second_writer_on_a_busy_run_directory_exits_2_with_one_line_and_changes_nothing(tmp_path):
    out = tmp_path / "run"
    first = cli("train", "leduc", "--out", out, "--frames", 200, "--actors", 0, *TINY)
    assert first.returncode == 0, first.stderr
    holder = hold(out, "selfplay train")
    try:
        before = tree(out)
        for args in (["--resume", "--frames", 400], ["--frames", 400], ["--resume", "--set", "mlp=4x4"]):
            done = cli("train", "leduc", "--out", out, "--actors", 0, *args)
            lines = done.stderr.strip().splitlines()
            assert done.returncode == 2 and len(lines) == 1, done.stderr
            match = BUSY.match(lines[0])
            assert match and match.group(2) == str(holder.pid) and match.group(3) == "selfplay train", lines[0]
        assert tree(out) == before
    finally:
        orphans = kill_holder(holder)
    try:
        # kill -9 of the holder frees the directory at once, though the child it forked still runs
        assert orphans and all(os.path.exists(f"/proc/{pid}") for pid in orphans)
        again = cli("train", "leduc", "--out", out, "--resume", "--frames", 400, "--actors", 0)
        assert again.returncode == 0, again.stderr
        assert load_checkpoint(out / "checkpoint.pt")["frames"] >= 400
    finally:
        kill_all(orphans)


def test_second_writer_on_a_busy_league_directory_exits_2_and_changes_nothing(tmp_path):
    directory = tmp_path / "lg"
    LeagueStore.create(directory, "leduc").close()
    holder = hold(directory, "selfplay league run")
    try:
        before = tree(directory)
        done = cli("league", "run", "leduc", "--dir", directory, "--frames", 100)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, done.stderr
        match = BUSY.match(lines[0])
        assert match and match.group(2) == str(holder.pid) and match.group(3) == "selfplay league run", lines[0]
        assert tree(directory) == before
        status = cli("league", "status", directory)  # readers never take the lock
        assert status.returncode == 0 and "leduc" in status.stdout, status.stderr
    finally:
        kill_all(kill_holder(holder))


def wait_for(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_a_real_league_run_holds_its_directory_readers_work_and_kill_9_frees_it(tmp_path):
    """A league run (learner, actor, evaluator processes) refuses a second writer, lets
    status, report and tournament --league read, and after SIGKILL a new run takes over at once."""
    directory = tmp_path / "lg"
    run = subprocess.Popen([*CLI, "league", "run", "leduc", "--dir", str(directory), "--frames", "100000000",
                            "--snapshot-frames", "3000", "--actors", "1", "--eval-decks", "4"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: (directory / "status.json").exists()
                 and any((directory / "run" / "snapshots").glob("checkpoint-*f.pt")), 120, "a first snapshot")
        second = cli("league", "run", "leduc", "--dir", directory, "--frames", 100)
        assert second.returncode == 2 and BUSY.match(second.stderr.strip()), second.stderr
        assert f"pid {run.pid} " in second.stderr
        status = cli("league", "status", directory)
        assert status.returncode == 0 and "running" in status.stdout, status.stdout + status.stderr
        report = cli("league", "report", directory)
        assert report.returncode == 0 and "dmc-3k" in report.stdout, report.stdout + report.stderr
        match = cli("tournament", "leduc", "--league", directory, "-a", "snapshot:latest", "-a", "random",
                    "--games", 20)
        assert match.returncode == 0 and "random" in match.stdout, match.stderr
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    frames_then = load_checkpoint(directory / "run" / "snapshots" / "checkpoint-000000003000f.pt")["frames"]
    again = cli("league", "run", "leduc", "--dir", directory, "--frames", frames_then, "--snapshot-frames", 3000,
                "--final-eval-seconds", 0)
    assert again.returncode == 0, again.stderr
    assert "in use" not in again.stderr


# ---- schedules by frames ------------------------------------------------------------------
def test_a_frame_schedule_snapshots_at_multiples_of_its_frames_whatever_the_clock():
    s = Schedule(frames=10_000, snapshot_frames=3_000)
    s.start(seconds_before=0.0, frames_before=0)
    seen = [(f, s.snapshot_due(1e9, f)) for f in (0, 2_999, 3_000, 3_200, 6_500, 13_000)]
    assert seen == [(0, None), (2_999, None), (3_000, "000000003000f"), (3_200, None), (6_500, "000000006000f"),
                    (13_000, "000000012000f")]  # 9,000 was passed over with 12,000: one snapshot, the latest
    assert not s.finished(1e9, 9_999) and s.finished(0.0, 10_000)
    resumed = Schedule(snapshot_frames=3_000)
    resumed.start(seconds_before=50.0, frames_before=7_000)
    assert resumed.snapshot_due(0.0, 8_999) is None and resumed.snapshot_due(0.0, 9_000) == "000000009000f"
    minutes = Schedule(minutes=3, snapshot_minutes=1)
    minutes.start(seconds_before=90.0, frames_before=0)
    assert minutes.snapshot_due(119.0, 0) is None and minutes.snapshot_due(120.0, 0) == "0002.00m"
    assert minutes.final_label(150.0, 5) == "0002.50m" and s.final_label(150.0, 5) == "000000000005f"
    with pytest.raises(ValueError, match="not both"):
        Schedule(snapshot_minutes=1, snapshot_frames=10)
    assert [frames_label(n) for n in (400_000, 1_500_000, 1_603_200, 20_000, 2_500, 2_000_000)] == \
        ["400k", "1.5M", "1603.2k", "20k", "2.5k", "2M"]


# ---- --resume with --set -------------------------------------------------------------------
def test_resume_applies_safe_settings_records_them_and_refuses_the_rest(tmp_path):
    out = tmp_path / "run"
    assert cli("train", "leduc", "--out", out, "--frames", 200, "--actors", 0, *TINY).returncode == 0
    before = tree(out)
    refused = cli("train", "leduc", "--out", out, "--resume", "--frames", 400, "--actors", 0,
                  "--set", "mlp=32x32", "--set", "rmsprop_alpha=0.5", "--set", "learning_rate=0.01")
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 2 and len(lines) == 1, refused.stderr
    assert "--resume cannot change mlp, rmsprop_alpha" in lines[0] and "learning_rate" in lines[0]
    # refused before any work: nothing but the lock file (which names this command) was touched
    assert {k: v for k, v in tree(out).items() if k != ".lock"} == {k: v for k, v in before.items() if k != ".lock"}

    same = cli("train", "leduc", "--out", out, "--resume", "--frames", 400, "--actors", 0,
               "--set", "mlp=16x16", "--set", "learning_rate=0.01", "--set", "exp_epsilon=0.2",
               "--snapshot-frames", 300)  # mlp as it is: not a change
    assert same.returncode == 0, same.stderr
    data = load_checkpoint(out / "checkpoint.pt")
    assert data["config"]["learning_rate"] == 0.01 and data["config"]["exp_epsilon"] == 0.2
    assert all(g["lr"] == 0.01 for opt in data["optimizers"] for g in opt["param_groups"])
    history = json.loads((out / "config.json").read_text())["history"]
    assert [h["resumed"] for h in history] == [False, True]
    changes = history[1]["changes"]
    assert changes["config.learning_rate"] == [1e-4, 0.01] and changes["config.exp_epsilon"] == [0.01, 0.2]
    assert changes["snapshot_frames"] == [None, 300] and history[1]["frames"] >= 200
    assert "config.mlp" not in changes


def test_resumed_config_is_the_runs_own_with_only_the_given_changes():
    saved = {**dmc.DMCConfig(mlp=(8, 8)).__dict__, "mlp": [8, 8]}
    config = resumed_config(dmc.DMCConfig, saved, {"learning_rate": 0.5}, dmc.SAFE_ON_RESUME)
    assert config.mlp == (8, 8) and config.learning_rate == 0.5
    with pytest.raises(ValueError, match="cannot change lstm_hidden"):
        resumed_config(dmc.DMCConfig, saved, {"lstm_hidden": 3}, dmc.SAFE_ON_RESUME)


# ---- devices -------------------------------------------------------------------------------
def test_device_cpu_round_trip_and_cuda_where_there_is_none(tmp_path):
    out = tmp_path / "run"
    done = cli("train", "leduc", "--out", out, "--frames", 200, "--actors", 0, "--device", "cpu", *TINY)
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "config.json").read_text())["device"] == "cpu"
    game = make("leduc")
    agent = load(f"checkpoint:path={out / 'checkpoint.pt'},device=cpu", game)
    assert all(p.device.type == "cpu" for net in agent.nets for p in net.parameters())
    state = game.new_initial_state(seed=1)
    assert agent.act(state) in state.legal_actions()
    if not torch.cuda.is_available():
        bad = cli("train", "leduc", "--out", tmp_path / "gpu", "--frames", 10, "--actors", 0, "--device", "cuda")
        assert bad.returncode == 2 and "CUDA is not available here" in bad.stderr, bad.stderr
        assert not (tmp_path / "gpu").exists()
        bad_agent = cli("tournament", "leduc", "-a", f"checkpoint:path={out / 'checkpoint.pt'},device=cuda")
        assert bad_agent.returncode == 2 and "CUDA is not available here" in bad_agent.stderr, bad_agent.stderr


def test_a_checkpoint_written_from_another_device_loads_on_the_cpu(tmp_path, monkeypatch):
    """Tensors saved with a CUDA location tag (as a GPU run's would be without ``on_cpu``) load
    here: ``load_checkpoint`` maps every storage to the CPU."""
    path = tmp_path / "run"
    assert cli("train", "leduc", "--out", path, "--frames", 200, "--actors", 0, *TINY).returncode == 0
    data = torch.load(path / "checkpoint.pt", weights_only=True)
    real_tag = torch.serialization.location_tag
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
    torch.save(data, tmp_path / "from-gpu.pt")
    monkeypatch.setattr(torch.serialization, "location_tag", real_tag)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(tmp_path / "from-gpu.pt", weights_only=True)  # the mock is real: it names a GPU
    back = load_checkpoint(tmp_path / "from-gpu.pt", expect_game="leduc")
    assert all(t.device.type == "cpu" for sd in back["models"] for t in sd.values())
    game = make("leduc")
    agent = load(str(tmp_path / "from-gpu.pt"), game)
    state = game.new_initial_state(seed=0)
    assert agent.act(state) in state.legal_actions()


def test_saved_checkpoints_hold_cpu_tensors_only(tmp_path, monkeypatch):
    """``save_checkpoint`` moves every tensor (models, optimiser state) to the CPU first."""
    moved = []
    real_cpu = torch.Tensor.cpu
    monkeypatch.setattr(torch.Tensor, "cpu", lambda t, *a, **k: moved.append(t.shape) or real_cpu(t, *a, **k))
    save_checkpoint(tmp_path / "c.pt", {"game": "leduc", "learner": "dmc", "groups": [], "net_configs": [],
                                        "models": [{"w": torch.ones(2, 3)}], "optimizers": [{"state": {0: {
                                            "square_avg": torch.zeros(4)}}}]})
    assert torch.Size([2, 3]) in moved and torch.Size([4]) in moved


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_training_writes_a_checkpoint_that_plays_on_the_cpu(tmp_path):
    out = tmp_path / "run"
    done = cli("train", "leduc", "--out", out, "--frames", 400, "--actors", 0, "--device", "cuda", *TINY)
    assert done.returncode == 0, done.stderr
    data = load_checkpoint(out / "checkpoint.pt")
    assert all(t.device.type == "cpu" for sd in data["models"] for t in sd.values())
    game = make("leduc")
    agent = load(str(out / "checkpoint.pt"), game)
    assert agent.act(game.new_initial_state(seed=0)) in game.new_initial_state(seed=0).legal_actions()
