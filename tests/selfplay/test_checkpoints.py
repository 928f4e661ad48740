"""Checkpoints: round trip, atomic writes, one-line errors for files that are not ours, half-precision export."""

import os
import pickle

import pytest
import torch

from selfplay.checkpoints import FORMAT_VERSION, CheckpointError, export, load_checkpoint, save_checkpoint
from selfplay.nets import NetConfig, QNet


def payload(game="leduc"):
    cfg = NetConfig(state_dim=40, move_dim=3, mlp=(16, 16))
    nets = [QNet(cfg) for _ in range(2)]
    opts = [torch.optim.RMSprop(n.parameters(), lr=1e-3) for n in nets]
    for net, opt in zip(nets, opts):  # give the optimizers some state
        net(torch.rand(4, 40), None, torch.rand(4, 3)).sum().backward()
        opt.step()
    return {
        "game": game, "game_options": {}, "learner": "dmc", "objective": "adp", "groups": ["seat0", "seat1"],
        "net_configs": [cfg.to_dict()] * 2, "models": [n.state_dict() for n in nets],
        "optimizers": [o.state_dict() for o in opts], "frames": 12800, "elapsed_seconds": 61.5, "seed": 7,
        "config": {"learning_rate": 1e-3, "mlp": [16, 16]}, "rng": {"torch": torch.get_rng_state()},
        "extra": {"learner_steps": 4},
    }


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text and text
    return text


def test_round_trip_keeps_everything_and_loads_with_weights_only(tmp_path):
    data = payload()
    path = save_checkpoint(tmp_path / "run" / "checkpoint.pt", data)
    back = load_checkpoint(path, expect_game="leduc", expect_learner="dmc")
    assert back["version"] == FORMAT_VERSION and back["frames"] == 12800 and back["seed"] == 7
    for a, b in zip(data["models"], back["models"]):
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert back["optimizers"][0]["state"][0]["square_avg"].shape == data["optimizers"][0]["state"][0]["square_avg"].shape
    assert torch.equal(back["rng"]["torch"], data["rng"]["torch"])
    torch.load(path, weights_only=True)  # nothing in it needs pickled code
    assert [p.name for p in path.parent.iterdir()] == ["checkpoint.pt"]  # no temporary files left


def test_a_failed_write_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "checkpoint.pt", payload())

    def broken_save(obj, f):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint(path, payload())
    monkeypatch.undo()
    assert load_checkpoint(path)["frames"] == 12800
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]


def test_missing_corrupt_truncated_foreign_wrong_game_and_newer_files_give_one_line_errors(tmp_path):
    good = save_checkpoint(tmp_path / "good.pt", payload())
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / "absent.pt")
    assert "no such checkpoint" in one_line(err)

    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(truncated)
    assert "not a readable checkpoint" in one_line(err)

    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(os.urandom(3000))
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(garbage)
    assert "not a readable checkpoint" in one_line(err)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    pickled = tmp_path / "pickled.pt"
    torch.save({"format": "selfplay-checkpoint", "evil": Evil()}, pickled)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(pickled)  # refused, never executed
    assert "pickled objects" in one_line(err)

    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(CheckpointError):
        load_checkpoint(plain)

    foreign = tmp_path / "foreign.pt"
    torch.save({"model_state_dict": {"w": torch.zeros(2)}, "frames": 3}, foreign)  # e.g. DouZero's model.tar
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(foreign)
    assert "not a selfplay checkpoint" in one_line(err)

    with pytest.raises(CheckpointError) as err:
        load_checkpoint(good, expect_game="doudizhu")
    assert "for leduc, not doudizhu" in one_line(err)

    newer = tmp_path / "newer.pt"
    data = torch.load(good, weights_only=True)
    data["version"] = FORMAT_VERSION + 1
    torch.save(data, newer)
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(newer)
    assert "newer" in one_line(err)

    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path)  # a folder
    one_line(err)


def test_export_drops_training_state_and_halves_the_weights(tmp_path):
    src = save_checkpoint(tmp_path / "checkpoint.pt", payload())
    dst = export(src, tmp_path / "release.pt", half=True)
    data = load_checkpoint(dst, expect_game="leduc")
    assert "optimizers" not in data and "rng" not in data
    assert all(t.dtype == torch.float16 for sd in data["models"] for t in sd.values())
    assert dst.stat().st_size < src.stat().st_size
    net = QNet(NetConfig.from_dict(data["net_configs"][0]))
    net.load_state_dict(data["models"][0])  # widened back to float32 on load
    assert next(net.parameters()).dtype == torch.float32


def test_a_douzero_sized_doudizhu_export_fits_in_20_mb(tmp_path):
    cfg = NetConfig(state_dim=626, move_dim=58, history_dim=162)
    nets = [QNet(cfg) for _ in range(3)]
    src = save_checkpoint(tmp_path / "c.pt", {
        "game": "doudizhu", "learner": "dmc", "groups": ["landlord", "landlord_down", "landlord_up"],
        "net_configs": [cfg.to_dict()] * 3, "models": [n.state_dict() for n in nets]})
    dst = export(src, tmp_path / "release.pt")
    assert dst.stat().st_size <= 20 * 2**20
