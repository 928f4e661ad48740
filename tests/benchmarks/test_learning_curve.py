"""benchmarks/learning_curve.py's bookkeeping: which save is which minute, what a rerun reuses
(the training itself is the benchmark; it runs for minutes)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip("douzero.env")
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


dc = _load("douzero_compat")
lc = _load("learning_curve")


def douzero_state_dict(role: str) -> dict:
    """A DouZero-shaped state dict (douzero/dmc/models.py's layer names and sizes)."""
    x = 373 if role == "landlord" else 484
    lstm = torch.nn.LSTM(162, 128, batch_first=True).state_dict()
    sd = {f"lstm.{k}": v for k, v in lstm.items()}
    sizes = [(128 + x, 512)] + [(512, 512)] * 4 + [(512, 1)]
    for i, (a, b) in enumerate(sizes):
        sd[f"dense{i + 1}.weight"], sd[f"dense{i + 1}.bias"] = torch.zeros(b, a), torch.zeros(b)
    return sd


def fake_douzero_run(work: Path, saves: list[tuple[int, float]], every: float = 1.0, complete: bool = True) -> None:
    folder = work / "douzero"
    (folder / "douzero").mkdir(parents=True)
    for frames, _ in saves:
        for role in dc.ROLES:
            torch.save(douzero_state_dict(role), folder / "douzero" / f"{role}_weights_{frames}.ckpt")
    (folder / "run.json").write_text(json.dumps({
        "complete": complete, "minutes": 2.0, "every": every, "actors": 1, "threads": 1,
        "saves": [{"frames": f, "wall_s": w} for f, w in saves]}))


def test_douzero_saves_are_minutes_after_its_first_save_and_become_agents(tmp_path):
    # its first save comes 5 s into its loop; each next one after save_interval plus its 5-second check
    fake_douzero_run(tmp_path, [(0, 10.2), (9600, 70.8), (28800, 131.4)])
    points = lc.douzero_checkpoints(tmp_path, every=1.0)
    assert [(p["minute"], p["frames"], p["wall_minutes"]) for p in points] == [(1, 9600, 1.18), (2, 28800, 2.19)]
    from selfplay.games import make
    from selfplay.learners.dmc import load_agent

    agent = load_agent(points[0]["path"], make("doudizhu"))
    assert len(agent.nets) == 3


def test_a_rerun_reuses_a_finished_half_and_refuses_anything_else(tmp_path):
    fake_douzero_run(tmp_path, [(0, 10.0), (3200, 70.0)], complete=True)
    assert lc.finished_run(tmp_path / "douzero", 2.0, 1.0, "DouZero") is True
    with pytest.raises(SystemExit):  # another length of run
        lc.finished_run(tmp_path / "douzero", 20.0, 10.0, "DouZero")
    assert lc.finished_run(tmp_path / "ours", 2.0, 1.0, "ours") is False  # nothing there: train
    (tmp_path / "ours").mkdir()
    (tmp_path / "ours" / "checkpoint.pt").write_bytes(b"")
    with pytest.raises(SystemExit):  # an interrupted run
        lc.finished_run(tmp_path / "ours", 2.0, 1.0, "ours")


def test_the_comparison_pairs_the_same_minutes():
    dz = [{"minute": 10, "wp": 0.5, "adp": 0.1, "frames": 1000}, {"minute": 20, "wp": 0.55, "adp": 0.2, "frames": 2000}]
    ours = [{"minute": 10, "wp": 0.6, "adp": 0.3, "frames": 5000}, {"minute": 30, "wp": 0.7, "adp": 0.5, "frames": 9000}]
    (row,) = lc.compare(dz, ours)
    assert row["minute"] == 10 and row["wp_difference"] == pytest.approx(0.1) and row["wp_ratio"] == pytest.approx(1.2)
    assert row["frames_ratio"] == pytest.approx(5.0)
