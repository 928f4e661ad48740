"""The league loop: learner, actors, snapshots and evaluation in one run.

``run(game, directory, ...)`` (the CLI's ``selfplay league run``) does:

1. open the league in ``directory`` (or make one) and add the baselines
   (``random`` always: the ratings' zero; DouDizhu also ``rlcard-rule`` and
   the released model; other games ``mcts:sims=100``);
2. start the evaluation process (``league.evaluation``): rated fixed-deck
   matches among everyone, where the ratings are least certain;
3. train the learner (``selfplay.learners.dmc.train`` or ``az.train``, its run in
   ``directory/run``) with ``LeagueHooks``: every few seconds the matchmaker
   (``league.matchmaking``) samples the seatings of the actors' next games
   from the snapshots so far, the actors report who won, and every
   ``snapshot_minutes`` the learner's weights become a new player;
4. when the time is up (or on Ctrl-C), keep the final weights as a snapshot,
   let the evaluation give every player ``min_games`` rated games (not after
   Ctrl-C), fit the ratings a last time and mark the run finished in
   ``status.json``.

Starting it again on the same directory resumes: the learner from its last
checkpoint (``--minutes`` counts training time in all), the league from its
database. A snapshot is the learner's checkpoint at that moment, saved
before the snapshot file is written, and registered under a name made of its
training minutes (``dmc-10m``), so a run killed at any point neither loses
nor repeats one: a snapshot file whose row is missing is registered when the
loop starts again.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import tempfile
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from selfplay.actors import OpponentPlan, Outcome
from selfplay.agents import default_agent, load
from selfplay.arena import derive_seed
from selfplay.backends import LOCAL, Backend
from selfplay.checkpoints import export, load_checkpoint
from selfplay.learners.rundir import CHECKPOINT, Schedule, frames_label, snapshot_path
from selfplay.league.evaluation import EvaluationConfig, Evaluator, evaluation_main, rated_games
from selfplay.league.matchmaking import LEARNER, Matchmaker, learner_score, make_matchmaker
from selfplay.league.ratings import records_against
from selfplay.league.store import LeagueStore, Player
from selfplay.locks import exclusive
from selfplay.provenance import run_record

RUN_DIR = "run"
STATUS = "status.json"
CONFIG = "league.json"
PLAN_TABLES = 512  # seatings per published plan: the matchmaker's choices, sampled
_SNAPSHOT_FILE = re.compile(r"^checkpoint-(?:(\d+\.\d+)m|(\d+)f)\.pt$")  # rundir.minute_label / frame_count_label


@dataclass
class LeagueConfig:
    """Options of a league run (the CLI's flags); written to ``league.json``."""

    learner: str = "dmc"  # the learning algorithm
    matchmaking: str = "past"  # latest | past | pfsp: who the actors' learner plays
    snapshot_minutes: float | None = 1.0  # a new player every this many minutes of training
    snapshot_frames: int | None = None  # or every this many frames (then snapshot_minutes is None)
    objective: str = "adp"  # what the learner maximises (DouDizhu: points or wins)
    actors: int | None = None  # actor processes (default: cores - 1)
    seed: int = 0
    baselines: tuple[str, ...] | None = None  # agent specs; None: the game's defaults
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    final_eval_seconds: float = 120.0  # after training: at most this long topping up players' rated games
    device: str = "auto"  # where the learner's networks train
    settings: dict = field(default_factory=dict)  # the learner's hyper-parameters changed from its defaults (--set)


def default_baselines(game_name: str, options: dict | None = None) -> list[tuple[str, str]]:
    """(name, spec) of the fixed players a league of ``game_name`` (with ``options``) starts
    with: DouDizhu's default agent among them (the released ``doudizhu-az``'s network; with
    bidding, the released bidding model ``doudizhu-bid``)."""
    if game_name == "doudizhu":
        out = [("random", "random"), ("rlcard-rule", "rlcard-rule")]
        model = default_agent("doudizhu", options)
        if model.source == "released model":
            out.append((model.path.stem, model.spec))
        elif model.source == "fallback":
            warnings.warn(f"league without its released-model baseline: {model.note}", stacklevel=2)
        return out
    return [("random", "random"), ("mcts-100", "mcts:sims=100")]


def snapshot_name(learner: str, minutes: float | None = None, frames: int | None = None) -> str:
    """``dmc-10m``, ``dmc-2.5m``: a snapshot is named by its training minutes; on a schedule
    by frames, by its frames (``dmc-400k``, ``dmc-1.5M``)."""
    if frames is not None:
        return f"{learner}-{frames_label(frames)}"
    return f"{learner}-{round(minutes, 2):g}m"


class League:
    """The league side of a training run: the ``LeagueHooks`` that ``train`` calls."""

    def __init__(self, store: LeagueStore, config: LeagueConfig, on_status: Callable[[dict], None] | None = None,
                 minutes: float | None = None) -> None:
        self.store, self.config, self.on_status, self.minutes = store, config, on_status, minutes
        self.game = store.make_game()
        self.rng = np.random.default_rng(derive_seed(config.seed, 11, store.match_count()))
        self.matchmaker: Matchmaker = make_matchmaker(config.matchmaking)
        snapshots = store.players("snapshot")
        for p in snapshots:
            self.matchmaker.add(p.name)
        if snapshots and hasattr(self.matchmaker, "load_records"):  # pfsp: start from the rated games
            self.matchmaker.load_records(records_against(store.results(), snapshots[-1].name))
        self._plan: OpponentPlan | None = None
        self._plan_version = 0
        self._dirty = True
        self.metrics: dict = {}
        self.started_at = time.time()

    # ---- LeagueHooks ---------------------------------------------------------------
    def plan(self) -> OpponentPlan | None:
        self.write_status("running")
        if not self.matchmaker.pool:
            return None  # nothing to play but itself yet
        if self._dirty or self._plan is None:
            tables, specs = [], {}
            for _ in range(PLAN_TABLES):
                t = self.matchmaker.table(self.game, self.rng)
                tables.append(tuple(None if who == LEARNER else who for who in t.seats))
                if t.opponent != LEARNER:
                    specs[t.opponent] = self.store.agent_spec(self.store.player(t.opponent))
            self._plan_version += 1
            self._plan = OpponentPlan(tuple(tables), specs, self._plan_version)
            self._dirty = False
        return self._plan

    def outcomes(self, outcomes: list[Outcome]) -> None:
        for opponent, seats, returns in outcomes:
            self.matchmaker.update(opponent, learner_score(returns, seats))
        self._dirty = True

    def snapshot(self, path: Path, frames: int, train_seconds: float) -> None:
        self.sync_snapshots(path.parent)

    # ---- snapshots -----------------------------------------------------------------
    def sync_snapshots(self, folder: Path) -> list[Player]:
        """Register every snapshot file in ``folder`` that the league does not have yet, in
        training order (files a killed run wrote before their rows included)."""
        known = {p.name for p in self.store.players()}
        added = []
        # written in training order; a schedule changed on resume mixes minute and frame names
        files = sorted((f.stat().st_mtime_ns, m, f) for f in folder.glob("checkpoint-*.pt")
                       if (m := _SNAPSHOT_FILE.match(f.name)))
        for _, m, f in files:
            name = (snapshot_name(self.config.learner, minutes=float(m.group(1))) if m.group(1) else
                    snapshot_name(self.config.learner, frames=int(m.group(2))))
            if name in known:
                continue
            data = load_checkpoint(f)
            parent = self.store.latest_snapshot()
            player = self.store.add_snapshot(f, name=name, learner=self.config.learner,
                                             parent=parent.id if parent else None,
                                             step=int(data.get("extra", {}).get("learner_steps", 0)),
                                             frames=int(data["frames"]), train_seconds=float(data["elapsed_seconds"]))
            self.matchmaker.add(player.name)
            known.add(name)
            added.append(player)
            self._dirty = True
        return added

    # ---- status ---------------------------------------------------------------------
    def on_metrics(self, row: dict) -> None:
        self.metrics = row
        if self.on_status is not None:
            self.on_status(row)

    def write_status(self, state: str) -> None:
        status = {"pid": os.getpid(), "state": state, "started_at": self.started_at, "updated_at": time.time(),
                  "game": self.store.game_name, "learner": self.config.learner,
                  "matchmaking": self.config.matchmaking, "frames": int(self.metrics.get("frames", 0)),
                  "frames_per_second": float(self.metrics.get("charts/frames_per_second", 0.0)),
                  "train_seconds": float(self.metrics.get("time", 0.0)), "minutes": self.minutes}
        write_json_atomic(self.store.root / STATUS, status)


def write_json_atomic(path: Path, data: object) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=1)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def run(game_name: str, directory: str | os.PathLike, *, minutes: float | None = None, frames: int | None = None,
        config: LeagueConfig = LeagueConfig(), game_options: dict | None = None,
        on_metrics: Callable[[dict], None] | None = None, backend: Backend = LOCAL) -> LeagueStore:
    """Run (or resume) the league in ``directory`` until ``minutes`` of training or ``frames``
    (totals over all resumes) or Ctrl-C; see the module docstring. Returns the open store.
    ``backend``: where the actors and the evaluation matches run; on Ray the evaluation
    scheduler is a thread of this process, its matches Ray tasks, and this process is
    still the only one that opens the database."""
    from selfplay.learners import az, dmc

    learners = {"dmc": (dmc, dmc.DMCConfig), "az": (az, az.AZConfig)}
    if config.learner not in learners:
        raise ValueError(f"unknown learner {config.learner!r}; the league trains {' or '.join(learners)}")
    module, learner_config = learners[config.learner]
    root = Path(directory)
    with exclusive(root, "selfplay league run"):
        return _run(module, learner_config, game_name, root, minutes, frames, config, game_options, on_metrics,
                    backend)


def _run(module, learner_config, game_name, root, minutes, frames, config, game_options, on_metrics,
         backend) -> LeagueStore:
    store = LeagueStore.open_or_create(root, game_name, game_options)
    try:
        if config.baselines is None:
            specs = default_baselines(game_name, store.game_options)
        else:
            specs = [(s, s) for s in config.baselines]
            game = store.make_game()
            for _, spec in specs:
                load(spec, game)  # AgentSpecError (a ValueError) now, not in the evaluation process later
        for name, spec in specs:
            store.add_baseline(spec, name=name)
        record = {**asdict(config), "game": game_name, "game_options": store.game_options, "minutes": minutes,
                  "frames": frames, "started_at": time.time(), "provenance": run_record()}
        write_json_atomic(root / CONFIG, record)
        league = League(store, config, on_metrics, minutes)
        run_dir = root / RUN_DIR
        league.sync_snapshots(run_dir / "snapshots")

        evaluator, stop = _start_evaluation(root, config, backend)
        interrupted = False
        try:
            final = module.train(learner_config(**config.settings), game_name, run_dir, minutes=minutes, frames=frames,
                                 actors=config.actors, objective=config.objective, seed=config.seed,
                                 resume=(run_dir / CHECKPOINT).exists(), on_metrics=league.on_metrics,
                                 game_options=store.game_options, snapshot_minutes=config.snapshot_minutes,
                                 snapshot_frames=config.snapshot_frames, league=league, device=config.device,
                                 changes=config.settings, backend=backend)
            trained = load_checkpoint(final)
            interrupted = not _reached(trained, minutes, frames)
            last = store.latest_snapshot()
            if last is None or (last.frames or 0) < int(trained["frames"]):
                schedule = Schedule(snapshot_minutes=config.snapshot_minutes, snapshot_frames=config.snapshot_frames)
                label = schedule.final_label(float(trained["elapsed_seconds"]), int(trained["frames"]))
                export(final, snapshot_path(run_dir, label), half=False)
                league.sync_snapshots(run_dir / "snapshots")
            if not interrupted:
                _top_up(root, config, league, backend)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            stop.set()
            evaluator.join(timeout=60)
            if evaluator.is_alive() and not backend.is_ray:
                evaluator.kill()
                evaluator.join()
        final_fit = Evaluator(root, config.seed, config.evaluation)
        try:
            final_fit.refit()
        finally:
            final_fit.close()
        league.write_status("stopped" if interrupted else "finished")
    except BaseException:
        store.close()
        raise
    return store


def _reached(checkpoint: dict, minutes: float | None, frames: int | None) -> bool:
    if frames is not None and int(checkpoint["frames"]) >= frames:
        return True
    return minutes is not None and float(checkpoint["elapsed_seconds"]) >= minutes * 60 - 1.0


class EvaluationThread(threading.Thread):
    """The evaluation scheduler of a league on Ray, in a thread of the driver; ``join``
    raises what ended it early."""

    def __init__(self, directory: str, seed: int, config: EvaluationConfig, stop: threading.Event) -> None:
        super().__init__(name="selfplay-league-eval", daemon=True)
        self.args, self.error = (directory, seed, config, stop), None

    def run(self) -> None:
        from selfplay.league.evaluation import evaluate_on_ray

        try:
            evaluate_on_ray(*self.args)
        except BaseException as err:  # noqa: BLE001 (raised again by join)
            self.error = err

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def _start_evaluation(root: Path, config: LeagueConfig, backend: Backend):
    """The evaluation scheduler during training, and the event that stops it: a process of
    its own (local), or a thread of this one whose matches are Ray tasks (ray)."""
    seed = derive_seed(config.seed, 13)
    if backend.is_ray:
        stop = threading.Event()
        worker = EvaluationThread(str(root), seed, config.evaluation, stop)
    else:
        ctx = multiprocessing.get_context("fork")
        stop = ctx.Event()
        worker = ctx.Process(target=evaluation_main, name="selfplay-league-eval",
                             args=(str(root), seed, config.evaluation, stop), daemon=True)
    worker.start()
    return worker, stop


def _top_up(root: Path, config: LeagueConfig, league: League, backend: Backend) -> None:
    """After training: evaluation rounds until every player has ``min_games`` rated games
    or ``final_eval_seconds`` pass (in this process; on Ray, as tasks)."""
    league.write_status("evaluating")
    seed = derive_seed(config.seed, 17)

    def done(store: LeagueStore) -> bool:
        games = rated_games([p.name for p in store.players()], store.results())
        return min(games.values()) >= config.evaluation.min_games or time.monotonic() >= deadline

    deadline = time.monotonic() + config.final_eval_seconds
    if backend.is_ray:
        stop = threading.Event()
        worker = EvaluationThread(str(root), seed, config.evaluation, stop)
        worker.start()
        with LeagueStore.open(root) as store:
            while not done(store) and worker.is_alive():
                stop.wait(1.0)
                league.write_status("evaluating")
        stop.set()
        worker.join()
        return
    evaluator = Evaluator(root, seed, config.evaluation)
    try:
        while not done(evaluator.store):
            evaluator.play_round()
            league.write_status("evaluating")
    finally:
        evaluator.close()
