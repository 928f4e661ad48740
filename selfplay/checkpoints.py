"""Checkpoints: written atomically, read without running pickled code.

A checkpoint is one ``torch.save`` of plain dicts, lists, numbers, strings and
tensors, so ``torch.load(path, weights_only=True)`` reads it (no arbitrary
code runs when a file from someone else is loaded). It is written to a
temporary file in the same folder, flushed to disk and renamed over the
target, so a run killed mid-save leaves the previous checkpoint intact.

Contents (``FORMAT_VERSION`` 1)::

    format        "selfplay-checkpoint"
    version       FORMAT_VERSION
    game          game name, game_options: its options
    learner       e.g. "dmc"; objective: "adp" or "wp"
    groups        network names, e.g. ["landlord", "landlord_down", "landlord_up"]
    net_configs   one NetConfig dict per group
    models        one state_dict per group
    optimizers    one optimizer state_dict per group (absent in an export)
    frames, elapsed_seconds, seed, config (the learner's config dict),
    rng           {"numpy": bit generator state, "torch": tensor} for resume
    extra         anything else the learner keeps (counters)

``load_checkpoint`` raises ``CheckpointError`` with a one-line message for a
missing file, a corrupt or truncated file, a file that is not a selfplay
checkpoint, a checkpoint of another game, or one of a newer format.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

FORMAT = "selfplay-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A file that cannot be used as a checkpoint; the message is one line."""


def origin(path: str | os.PathLike, data: dict) -> dict:
    """Where a warm-started run began (``--init``): the file, its learner, its frames and its SHA-256."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return {"path": str(path), "learner": data.get("learner"), "frames": int(data.get("frames", 0)), "sha256": digest}


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (plus format and version) atomically to ``path``, every tensor on the CPU."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = on_cpu({"format": FORMAT, "version": FORMAT_VERSION, **payload})
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def on_cpu(obj: Any) -> Any:
    """``obj`` with every tensor in it on the CPU: a checkpoint written on a GPU loads anywhere."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: on_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(on_cpu(v) for v in obj)
    return obj


def load_checkpoint(path: str | os.PathLike, expect_game: str | None = None,
                    expect_learner: str | None = None) -> dict[str, Any]:
    """Read and check a checkpoint; ``CheckpointError`` (one line) if it is not usable."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        with warnings.catch_warnings():  # e.g. "pickle protocol 4" on a plain pickle: the error below says it all
            warnings.simplefilter("ignore")
            data = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, EOFError, OSError, ValueError,
            AttributeError, TypeError, KeyError, IndexError) as err:
        if "GLOBAL" in str(err):  # torch's weights-only unpickler met a class or function reference
            raise CheckpointError(f"{path}: not a selfplay checkpoint (it holds pickled objects, which are "
                                  "never loaded)") from None
        raise CheckpointError(f"{path}: not a readable checkpoint (corrupt, truncated, or not a torch file: "
                              f"{type(err).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a selfplay checkpoint")
    version = data.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {version!r} is newer than this selfplay reads "
                              f"({FORMAT_VERSION}); upgrade selfplay")
    missing = [k for k in ("game", "learner", "groups", "net_configs", "models") if k not in data]
    if missing:
        raise CheckpointError(f"{path}: selfplay checkpoint lacks {', '.join(missing)}")
    if expect_game is not None and data["game"] != expect_game:
        raise CheckpointError(f"{path}: a checkpoint for {data['game']}, not {expect_game}")
    if expect_learner is not None and data["learner"] != expect_learner:
        raise CheckpointError(f"{path}: a checkpoint of learner {data['learner']}, not {expect_learner}")
    return data


def export(src: str | os.PathLike, dst: str | os.PathLike, half: bool = True) -> Path:
    """A release copy of a checkpoint: weights only (no optimizer or RNG state),
    in float16 when ``half`` (DouZero-sized DouDizhu networks: about 7 MB)."""
    data = load_checkpoint(src)
    out = {k: v for k, v in data.items() if k not in ("optimizers", "rng", "format", "version")}
    if half:
        out["models"] = [{k: t.half() if t.is_floating_point() else t for k, t in sd.items()} for sd in data["models"]]
    return save_checkpoint(dst, out)
