"""The run directory both learners write, and when a run stops and snapshots.

A run directory (``selfplay train --out DIR``) holds ``config.json`` (the
run's record: settings, seed, versions, a repeat line, and a ``history`` of
every start and resume with what each changed), ``metrics.jsonl``,
``checkpoint.pt`` and ``snapshots/``. One process writes it at a time
(``selfplay.locks``).

``--resume`` continues a run under its own settings. ``--set KEY=VALUE``
on a resume changes only the settings that are safe mid-run (each learner's
``SAFE_ON_RESUME``: learning rate, logging and saving intervals, exploration,
batch sizes of messages); anything else (network shapes, the optimiser's
constants) is refused with one line naming it, before any work. Options of
the command itself that are safe (``--actors``, ``--minutes``, ``--frames``,
the snapshot schedule) apply as given and are recorded in the history.

``Schedule``: a run stops after ``minutes`` of training time or ``frames``
frames, totals over all resumes, and keeps a snapshot every
``snapshot_minutes`` of training time or every ``snapshot_frames`` frames
(by work: the same snapshots on a busy machine as on a quiet one, only later).
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

CHECKPOINT = "checkpoint.pt"
RECORD = "config.json"


class RunExistsError(ValueError):
    """The output folder already holds a run and ``resume`` was not asked for."""


def check_new_or_resumed(out: Path, resume: bool) -> bool:
    """True when there is a run in ``out`` to resume; RunExistsError for a run not asked to resume."""
    exists = (out / CHECKPOINT).exists()
    if exists and not resume:
        raise RunExistsError(f"{out} already holds a run ({CHECKPOINT}); resume it or choose another folder")
    return exists


def resumed_config(config_class, saved: dict, changes: dict[str, Any], safe: frozenset[str]):
    """The run's own config with ``changes`` (the ``--set`` values given on resume) applied;
    ValueError naming every change that is not ``safe`` mid-run."""
    config = config_class.from_dict(saved)
    refused = sorted(k for k, v in changes.items() if k not in safe and getattr(config, k) != v)
    if refused:
        raise ValueError(f"--resume cannot change {', '.join(refused)} (the run keeps its networks and optimiser); "
                         f"on resume --set takes only {', '.join(sorted(safe))}")
    for key, value in changes.items():
        setattr(config, key, value)
    return config


def config_changes(before: dict, after: dict) -> dict[str, list]:
    """``{key: [old, new]}`` for every entry that differs."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def write_record(out: Path, record: dict, resumed_at: int | None) -> None:
    """``config.json``: this start's record, with the history of every earlier start kept and
    this one appended (what changed against the previous record, at how many frames)."""
    path = out / RECORD
    previous: dict = {}
    if resumed_at is not None and path.exists():
        try:
            previous = json.loads(path.read_text())
        except ValueError:
            previous = {}
    history = list(previous.get("history", []))
    record = json.loads(json.dumps(record))  # as it reads back (tuples as lists)
    skip = ("history", "provenance", "config", "resumed_at_frames")
    compare = lambda r: {**{k: v for k, v in r.items() if k not in skip},  # noqa: E731
                         **{f"config.{k}": v for k, v in r.get("config", {}).items()}}
    history.append({"at": time.strftime("%Y-%m-%dT%H:%M:%S"), "frames": resumed_at or 0,
                    "resumed": resumed_at is not None,
                    "changes": config_changes(compare(previous), compare(record)) if previous else {}})
    data = {**record, "history": history}
    tmp = path.with_name(f".{RECORD}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def frames_label(n: int) -> str:
    """``150k``, ``600k``, ``1.5M``, ``1603.2k``: a frame count, exact and short."""
    if n >= 1_000_000 and n % 100_000 == 0:
        return f"{n / 1_000_000:g}M"
    k, rest = divmod(n, 1000)
    return f"{k}.{rest:03d}".rstrip("0").rstrip(".") + "k"


@dataclasses.dataclass
class Schedule:
    """When a run stops and when it keeps a snapshot (totals over all resumes)."""

    minutes: float | None = None
    frames: int | None = None
    snapshot_minutes: float | None = None
    snapshot_frames: int | None = None

    def __post_init__(self) -> None:
        if self.snapshot_minutes and self.snapshot_frames:
            raise ValueError("give a snapshot schedule in minutes or in frames, not both")
        self._next_minute: float | None = None
        self._next_frames: int | None = None

    def start(self, seconds_before: float, frames_before: int) -> None:
        if self.snapshot_minutes:
            self._next_minute = (seconds_before // (self.snapshot_minutes * 60) + 1) * self.snapshot_minutes
        if self.snapshot_frames:
            self._next_frames = (frames_before // self.snapshot_frames + 1) * self.snapshot_frames

    def finished(self, seconds: float, frames: int) -> bool:
        return (self.frames is not None and frames >= self.frames) or \
            (self.minutes is not None and seconds >= self.minutes * 60)

    def snapshot_due(self, seconds: float, frames: int) -> str | None:
        """The label of the snapshot due now (``0002.00m``, ``000000400000f``), once; None if none."""
        if self._next_minute is not None and seconds >= self._next_minute * 60:
            label = minute_label(self._next_minute)
            while seconds >= self._next_minute * 60:
                self._next_minute += self.snapshot_minutes
            return label
        if self._next_frames is not None and frames >= self._next_frames:
            label = frame_count_label(frames - frames % self.snapshot_frames)
            self._next_frames = (frames // self.snapshot_frames + 1) * self.snapshot_frames
            return label
        return None

    def final_label(self, seconds: float, frames: int) -> str:
        """The label of the snapshot of a run's last weights (by frames when its schedule is)."""
        return frame_count_label(frames) if self.snapshot_frames else minute_label(seconds / 60)


def minute_label(minutes: float) -> str:
    return f"{minutes:07.2f}m"


def frame_count_label(frames: int) -> str:
    return f"{frames:012d}f"


def snapshot_path(out: Path, label: str) -> Path:
    return out / "snapshots" / f"checkpoint-{label}.pt"
