"""Deep Monte-Carlo (DMC), as in DouZero (Zha et al., ICML 2021), for any game with an encoder.

One Q-network per group of seats (DouDizhu: landlord, landlord_down,
landlord_up; other games: one per seat). Actors play the learner's current
networks against themselves with epsilon-greedy exploration and label every
decision (state, history, chosen move) with the final return of the player
who made it (ADP: the points; WP: their sign). The learner regresses Q(s, a)
on those returns, mean squared error, RMSprop, gradients clipped: Monte-Carlo
targets, no bootstrapping. Each learner step takes ``batch_size x
unroll_length`` frames of one group (DouZero: 32 x 100) and publishes the new
weights to the actors at once.

Read top to bottom: ``DMCConfig`` (every default with its source), the run
directory, the learner step, ``train`` (the one entry point), the agent that
plays a checkpoint greedily.

Run directory (``selfplay.learners.rundir``; one writer at a time,
``selfplay.locks``): ``config.json`` (the resolved config and seed; the
versions and command line: ``selfplay.provenance``; a ``history`` of every
start and resume), ``metrics.jsonl`` (one JSON
object per log interval: ``charts/frames``, ``charts/frames_per_second``,
``losses/<group>``, ...), ``checkpoint.pt`` (replaced atomically every
``save_interval_minutes`` and at the end).
``train(..., resume=True)`` continues from ``checkpoint.pt``: weights,
optimizer state, frames and elapsed time, so a killed run loses at most the
work since the last save.

Frames are counted as DouZero counts them: decisions the learner has trained
on (one sample per decision, every decision of every seat).
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np
import torch
from torch import nn

from selfplay.actors import (
    DTYPES, ActorSettings, OpponentPlan, Outcome, PlanRelay, Samples, Trajectory, VectorActor, build_dmc_actor,
    copy_flat_into, inference_copies,
)
from selfplay.backends import LOCAL, Backend
from selfplay.arena import derive_seed
from selfplay.checkpoints import CheckpointError, export, load_checkpoint, origin, save_checkpoint
from selfplay.encoders import Encoder, encoder_for
from selfplay.games import Game, State, make, options_of
from selfplay.learners.rundir import (  # noqa: F401  (RunExistsError: dmc.RunExistsError, for callers)
    CHECKPOINT, RunExistsError, Schedule, check_new_or_resumed, resumed_config, snapshot_path, write_record,
)
from selfplay.locks import exclusive
from selfplay.nets import NetConfig, QNet, decision_q_values, resolve_device
from selfplay.provenance import run_record
from selfplay.search.evaluators import softmax_over

LEARNER = "dmc"


@dataclass
class DMCConfig:
    """Hyper-parameters of a DMC run. Defaults: DouZero's (``douzero/dmc/arguments.py``
    and ``models.py``, the paper's Appendix), unless marked *ours*."""

    learning_rate: float = 1e-4  # DouZero --learning_rate
    rmsprop_alpha: float = 0.99  # DouZero --alpha (RMSprop smoothing constant)
    rmsprop_eps: float = 1e-5  # DouZero --epsilon (RMSprop epsilon)
    rmsprop_momentum: float = 0.0  # DouZero --momentum
    max_grad_norm: float = 40.0  # DouZero --max_grad_norm
    batch_size: int = 32  # DouZero --batch_size: unrolls per learner step
    unroll_length: int = 100  # DouZero --unroll_length: frames per unroll
    exp_epsilon: float = 0.01  # DouZero --exp_epsilon: probability of a random legal move
    lstm_hidden: int = 128  # DouZero models.py: LSTM(162, 128) over the last 15 moves
    mlp: tuple[int, ...] = (512, 512, 512, 512, 512)  # DouZero models.py: five 512-unit ReLU layers
    envs_per_actor: int = 64  # ours: games each actor steps at once (benchmarks/dmc_throughput.py)
    actor_dtype: str = "auto"  # ours: actors' inference dtype; auto = bfloat16 where the CPU has bf16 units
    learner_dtype: str = "float32"  # DouZero (float32); bfloat16 autocasts the learner's passes, ~2.7x faster on CPU
    send_frames: int = 2048  # ours: frames per actor -> learner message
    max_queued: int = 8  # ours: messages waiting for the learner before actors block
    save_interval_minutes: float = 10.0  # ours (DouZero --save_interval: 30): CPU runs are shorter
    log_interval_seconds: float = 5.0  # DouZero dmc.py: a status line every 5 s

    def __post_init__(self) -> None:
        self.mlp = tuple(int(w) for w in self.mlp)
        if self.actor_dtype not in ("auto", *DTYPES):
            raise ValueError(f"actor_dtype must be auto, {' or '.join(DTYPES)}; not {self.actor_dtype!r}")
        if self.learner_dtype not in DTYPES:
            raise ValueError(f"learner_dtype must be {' or '.join(DTYPES)}; not {self.learner_dtype!r}")

    @classmethod
    def from_dict(cls, data: dict) -> "DMCConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


#: What ``--set`` may change when a run resumes (``rundir.resumed_config``): the rest shapes
#: the networks or the optimiser's state.
SAFE_ON_RESUME = frozenset({"learning_rate", "max_grad_norm", "batch_size", "unroll_length", "exp_epsilon",
                            "envs_per_actor", "actor_dtype", "learner_dtype", "send_frames", "max_queued",
                            "save_interval_minutes", "log_interval_seconds"})


def resolve_dtype(name: str) -> str:
    if name != "auto":
        return name
    fast = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return "bfloat16" if fast else "float32"


def build_game(game_name: str, objective: str, game_options: dict | None = None) -> Game:
    """The game, with ``objective`` passed on where the game scores by it (DouDizhu)."""
    if objective not in ("adp", "wp"):
        raise ValueError(f"objective must be adp or wp, not {objective!r}")
    options = dict(game_options or {})
    if "objective" in options_of(game_name):
        options["objective"] = objective
    return make(game_name, **options)


def net_configs(encoder: Encoder, config: DMCConfig) -> list[NetConfig]:
    spec = encoder.spec
    one = NetConfig(state_dim=spec.state_dim, move_dim=spec.move_dim, history_dim=spec.history_dim,
                    lstm_hidden=config.lstm_hidden, mlp=config.mlp)
    return [one for _ in spec.groups]


# ---- the learner step ---------------------------------------------------------------
class GroupBuffer:
    """Samples of one group waiting to be trained on, first in first out."""

    def __init__(self) -> None:
        self.chunks: list[Samples] = []
        self.size = 0

    def add(self, samples: Samples) -> None:
        self.chunks.append(samples)
        self.size += len(samples)

    def take(self, n: int) -> Samples:
        parts, got = [], 0
        while got < n:
            chunk = self.chunks[0]
            need = n - got
            if len(chunk) <= need:
                parts.append(self.chunks.pop(0))
                got += len(chunk)
            else:
                parts.append(_rows(chunk, slice(0, need)))
                self.chunks[0] = _rows(chunk, slice(need, None))
                got = n
        self.size -= n
        cat = lambda xs: np.concatenate(xs) if xs[0] is not None else None  # noqa: E731
        return Samples(cat([p.state for p in parts]), cat([p.history for p in parts]),
                       cat([p.move for p in parts]), cat([p.target for p in parts]))


def _rows(s: Samples, sl: slice) -> Samples:
    return Samples(s.state[sl], None if s.history is None else s.history[sl], s.move[sl], s.target[sl])


def learn_step(net: QNet, optimizer: torch.optim.Optimizer, batch: Samples, max_grad_norm: float,
               dtype: str = "float32") -> float:
    """One RMSprop step on the squared error between Q(s, a) and the Monte-Carlo return, on
    the net's device (forward and backward autocast to bfloat16 when ``dtype`` says so;
    weights stay float32)."""
    device = next(net.parameters()).device
    state = torch.from_numpy(batch.state).to(device, torch.float32)
    history = torch.from_numpy(batch.history).to(device, torch.float32) if batch.history is not None else None
    move = torch.from_numpy(batch.move).to(device, torch.float32)
    target = torch.from_numpy(batch.target).to(device)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=dtype == "bfloat16"):
        q = net(state, history, move)
    loss = ((q.float() - target) ** 2).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(net.parameters(), max_grad_norm)
    optimizer.step()
    return float(loss.detach())


class InlineActors:
    """The actor loop in the learner's own process (``actors=0``): slower, but the
    whole run is a pure function of the seed."""

    def __init__(self, game: Game, encoder: Encoder, nets: list[QNet], dtype: str, config: DMCConfig,
                 objective: str, seed: int) -> None:
        self.nets = inference_copies(nets, DTYPES[dtype])
        self.actor = VectorActor(game, encoder, self.nets, num_envs=config.envs_per_actor,
                                 epsilon=config.exp_epsilon, seed=seed, objective=objective)
        self.send_frames = config.send_frames

    def publish(self, nets: list[QNet], groups: list[int] | None = None) -> None:
        for g in range(len(nets)) if groups is None else groups:
            copy_flat_into(nn.utils.parameters_to_vector(nets[g].parameters()).detach(), self.nets[g])

    def publish_plan(self, plan: OpponentPlan) -> None:
        self.actor.set_plan(plan)

    def get(self, timeout: float) -> Trajectory:
        return self.actor.collect(self.send_frames)

    def close(self) -> None:
        pass


class LeagueHooks(Protocol):
    """What a league loop gives ``train`` (``selfplay.league.loop``): who the actors
    play, and where game results and snapshots go."""

    def plan(self) -> OpponentPlan | None:
        """The seating of the actors' next games (None: pure self-play); asked every
        log interval, published to the actors whenever it is a new object."""

    def outcomes(self, outcomes: list[Outcome]) -> None:
        """Finished actor games that had an opponent (for the matchmaking)."""

    def snapshot(self, path: Path, frames: int, train_seconds: float) -> None:
        """A new snapshot file (weights only) was written."""


# ---- the entry point --------------------------------------------------------------------
def train(
    config: DMCConfig,
    game_name: str,
    out_dir: str | os.PathLike,
    *,
    minutes: float | None = None,
    frames: int | None = None,
    actors: int | None = None,
    objective: str = "adp",
    seed: int = 0,
    resume: bool = False,
    on_metrics: Callable[[dict], None] | None = None,
    game_options: dict | None = None,
    snapshot_minutes: float | None = None,
    snapshot_frames: int | None = None,
    league: LeagueHooks | None = None,
    device: str | None = "auto",
    changes: dict | None = None,
    backend: Backend = LOCAL,
    init: str | os.PathLike | None = None,
) -> Path:
    """Train DMC on ``game_name`` until ``minutes`` of training time or ``frames``
    frames (totals over all resumes; neither: until interrupted), writing the run
    into ``out_dir``, which this process holds alone while it runs
    (``selfplay.locks``; ``DirectoryInUse`` if another holds it). ``actors``:
    local actor processes (default: one per core but one; 0 runs the actor
    inside this process, reproducibly). Returns the path of the final
    checkpoint. ``snapshot_minutes`` / ``snapshot_frames``: also keep the
    weights every that many minutes of training time or frames,
    ``snapshots/checkpoint-MMMM.MMm.pt`` / ``checkpoint-NNNNNNNNNNNNf.pt``
    (learning curves, league snapshots), unless nothing was learned since the
    last one; ``checkpoint.pt`` is saved first, so a resumed run never trains a
    snapshot's work twice. ``device``: where the learner's networks train
    (``auto``: CUDA when present); actors infer on the CPU. ``changes``: on
    resume, the settings to change (``rundir.resumed_config``). ``league``: see
    ``LeagueHooks``. ``init``: a new run starts from that DMC checkpoint's networks
    (``warm_start``)."""
    out = Path(out_dir)
    game_check = build_game(game_name, objective, game_options)  # a bad name or option: before any file
    dev = resolve_device(device)
    with exclusive(out):
        return _train(config, game_name, out, game_check, minutes, frames, actors, objective, seed, resume,
                      on_metrics, game_options, Schedule(minutes, frames, snapshot_minutes, snapshot_frames),
                      league, dev, changes or {}, backend, init)


def warm_start(path: str | os.PathLike, game: Game, groups: list[str], configs: list[NetConfig],
               nets: list[QNet]) -> dict:
    """Start a new run's networks from a DMC checkpoint of the same game: every network the
    checkpoint has under the same name and shape takes its weights, the rest start fresh (a
    fixed-landlord model's three role networks start a bidding run, whose ``bidder`` is new).
    Returns where the run started (``checkpoints.origin``, plus the networks taken);
    CheckpointError if no network fits."""
    data = load_checkpoint(path, expect_game=game.name, expect_learner=LEARNER)
    theirs = dict(zip(data["groups"], zip(data["net_configs"], data["models"])))
    taken = []
    for name, config, net in zip(groups, configs, nets):
        if name not in theirs:
            continue
        their_config, weights = theirs[name]
        if NetConfig.from_dict(their_config) != config:
            raise CheckpointError(f"{path}: its {name} network has another shape than this run's")
        net.load_state_dict({k: v.float() for k, v in weights.items()})
        taken.append(name)
    if not taken:
        raise CheckpointError(f"{path}: none of its networks ({', '.join(data['groups'])}) is one of this "
                              f"run's ({', '.join(groups)})")
    return {**origin(path, data), "groups": taken}


def _train(config, game_name, out, game, minutes, frames, actors, objective, seed, resume, on_metrics,
           game_options, schedule, league, device, changes, backend, init) -> Path:
    ckpt_path = out / CHECKPOINT
    state = None
    if check_new_or_resumed(out, resume):
        state = load_checkpoint(ckpt_path, expect_game=game_name, expect_learner=LEARNER)
        config = resumed_config(DMCConfig, state["config"], changes, SAFE_ON_RESUME)
        objective, seed, game_options = state["objective"], int(state["seed"]), state.get("game_options")
        game_options = {k: v for k, v in (game_options or {}).items() if k != "objective"}
        game = build_game(game_name, objective, game_options)
    if actors is None:
        actors = max(1, (os.cpu_count() or 2) - 1)
    encoder = encoder_for(game)
    groups = list(encoder.spec.groups)
    dtype = resolve_dtype(config.actor_dtype)

    torch.manual_seed(derive_seed(seed, 0))
    configs = net_configs(encoder, config)
    nets = [QNet(c).to(device) for c in configs]
    optimizers = [torch.optim.RMSprop(n.parameters(), lr=config.learning_rate, alpha=config.rmsprop_alpha,
                                      eps=config.rmsprop_eps, momentum=config.rmsprop_momentum) for n in nets]
    frames_done, elapsed_before, steps, episodes = 0, 0.0, 0, 0
    if state is not None:
        if [NetConfig.from_dict(c) for c in state["net_configs"]] != configs:
            raise CheckpointError(f"{ckpt_path}: its networks do not fit {game_name}'s features")
        for net, opt, sd, osd in zip(nets, optimizers, state["models"], state["optimizers"]):
            net.load_state_dict(sd)
            opt.load_state_dict(osd)
            for group in opt.param_groups:
                group["lr"] = config.learning_rate  # --set learning_rate on resume
        frames_done, elapsed_before = int(state["frames"]), float(state["elapsed_seconds"])
        steps = int(state.get("extra", {}).get("learner_steps", 0))
        episodes = int(state.get("extra", {}).get("episodes", 0))
        torch.set_rng_state(state["rng"]["torch"])
    started_from = state.get("extra", {}).get("init") if state is not None else None
    if state is None and init is not None:
        started_from = warm_start(init, game, groups, configs, nets)

    write_record(out, {"learner": LEARNER, "game": game_name, "game_options": dict(game.info.options),
                       "objective": objective, "seed": seed, "actors": actors, "minutes": schedule.minutes,
                       "frames": schedule.frames, "groups": groups, "device": str(device),
                       "config": {**asdict(config), "actor_dtype": dtype},
                       "net_configs": [c.to_dict() for c in configs],
                       "snapshot_minutes": schedule.snapshot_minutes, "snapshot_frames": schedule.snapshot_frames,
                       "resumed_at_frames": frames_done if state is not None else None,
                       "init": started_from, "provenance": run_record()},
                 frames_done if state is not None else None)

    def save(path: Path = ckpt_path) -> Path:
        return save_checkpoint(path, {
            "game": game_name, "game_options": dict(game.info.options), "learner": LEARNER,
            "objective": objective, "groups": groups, "net_configs": [c.to_dict() for c in configs],
            "models": [n.state_dict() for n in nets], "optimizers": [o.state_dict() for o in optimizers],
            "frames": frames_done, "elapsed_seconds": trained_seconds(), "seed": seed,
            "config": {**asdict(config), "mlp": list(config.mlp)}, "rng": {"torch": torch.get_rng_state()},
            "extra": {"learner_steps": steps, "episodes": episodes, "init": started_from},
        })

    # Actors of a resumed run get new seeds (from the frames so far): no replayed games.
    actor_seeds = [derive_seed(seed, 1, i, frames_done) for i in range(max(1, actors))]
    threads_before = torch.get_num_threads()
    # the cores the actors leave, and never more threads than the caller allows (oversubscribed
    # OpenMP threads spin and crawl)
    torch.set_num_threads(min(threads_before, max(1, (os.cpu_count() or 1) - actors)))
    settings = ActorSettings(game_name, dict(game.info.options), tuple(configs), config.envs_per_actor,
                             config.exp_epsilon, objective, dtype, config.send_frames)
    source = (InlineActors(game, encoder, nets, dtype, config, objective, actor_seeds[0]) if actors == 0
              else backend.actor_pool(actors, actor_seeds, settings, nets, build_dmc_actor, config.max_queued))
    batch_frames = config.batch_size * config.unroll_length
    buffers = [GroupBuffer() for _ in groups]
    start = time.monotonic()
    last_save = last_log = start
    window = {"frames": frames_done, "actor_frames": 0, "time": start,
              "loss": [[] for _ in groups], "ret": [[0.0, 0] for _ in groups]}
    metrics_file = open(out / "metrics.jsonl", "a")
    schedule.start(elapsed_before, frames_done)

    def trained_seconds() -> float:
        return elapsed_before + time.monotonic() - start

    def finished() -> bool:
        return schedule.finished(trained_seconds(), frames_done)

    def log(now: float) -> None:
        span = max(now - window["time"], 1e-9)
        row = {"time": round(elapsed_before + now - start, 3), "frames": frames_done,
               "charts/frames": frames_done,
               "charts/frames_per_second": round((frames_done - window["frames"]) / span, 1),
               "charts/actor_frames_per_second": round(window["actor_frames"] / span, 1),
               "charts/episodes": episodes, "charts/learner_steps": steps}
        for g, name in enumerate(groups):
            if window["loss"][g]:
                row[f"losses/{name}"] = round(float(np.mean(window["loss"][g])), 6)
            total, count = window["ret"][g]
            if count:
                row[f"charts/mean_return/{name}"] = round(total / count, 4)
        metrics_file.write(json.dumps(row) + "\n")
        metrics_file.flush()
        if on_metrics is not None:
            on_metrics(row)
        window.update(frames=frames_done, actor_frames=0, time=now,
                      loss=[[] for _ in groups], ret=[[0.0, 0] for _ in groups])

    refresh_plan = PlanRelay(league, source).refresh

    snapshot_frames = frames_done if state is not None else -1

    def take_snapshot(label: str) -> None:
        nonlocal snapshot_frames
        if frames_done == snapshot_frames:
            return  # nothing learned since the last one (actors starting up on a busy machine)
        snapshot_frames = frames_done
        save()
        path = export(ckpt_path, snapshot_path(out, label), half=False)
        if league is not None:
            league.snapshot(path, frames_done, trained_seconds())
            refresh_plan()  # a new opponent: seat it from the next games on

    try:
        source.publish(nets)
        refresh_plan()
        while not finished():
            traj = source.get(timeout=0.5)
            if traj is not None:
                if league is not None and traj.outcomes:
                    league.outcomes(traj.outcomes)
                episodes += traj.episodes
                window["actor_frames"] += traj.frames
                for g, samples in traj.samples.items():
                    buffers[g].add(samples)
                for g, total in traj.return_sum.items():
                    window["ret"][g][0] += total
                    window["ret"][g][1] += traj.return_count[g]
            for g, buf in enumerate(buffers):
                while buf.size >= batch_frames and not finished():
                    loss = learn_step(nets[g], optimizers[g], buf.take(batch_frames), config.max_grad_norm,
                                      config.learner_dtype)
                    window["loss"][g].append(loss)
                    frames_done += batch_frames
                    steps += 1
                    source.publish(nets, [g])
            now = time.monotonic()
            if now - last_log >= config.log_interval_seconds:
                log(now)
                refresh_plan()
                last_log = now
            if now - last_save >= config.save_interval_minutes * 60:
                save()
                last_save = now
            label = schedule.snapshot_due(trained_seconds(), frames_done)
            if label is not None:
                take_snapshot(label)
    except KeyboardInterrupt:
        pass  # stop cleanly: the final checkpoint below keeps the work
    finally:
        source.close()
        torch.set_num_threads(threads_before)
    log(time.monotonic())
    metrics_file.close()
    return save()


# ---- playing a checkpoint -------------------------------------------------------------
class DMCAgent:
    """Greedy over Q: the network of the mover's group scores every legal move.
    It sees only what the encoder gives for the player to move.

    Stateless (``reset`` does nothing), so ``act_batch`` can take the decisions
    of many games at once, as the arena's lockstep play does: one forward pass
    per group network for all of them (``nets.decision_q_values``), and a
    decision's Q values come out to the same bits in any batch (with torch on
    one thread, as the arena runs it), so batching never changes a move.
    ``act(state)`` is ``act_batch([state])[0]``."""

    def __init__(self, nets: list[QNet], encoder: Encoder, name: str = "dmc") -> None:
        self.nets, self.encoder, self.name = nets, encoder, name
        for net in nets:
            net.eval()

    def reset(self, seed: int) -> None:
        pass

    def q_values(self, state: State) -> tuple[list[int], np.ndarray]:
        player = state.current_player
        legal = state.legal_actions()
        net = self.nets[self.encoder.group(state, player)]
        return legal, decision_q_values(net, [self.encoder.encode(state, player, legal)])[0]

    def act_batch(self, states: Sequence[State]) -> list[int]:
        """The greedy move of each state; forced moves (one legal action) skip the networks."""
        actions: list[int] = [0] * len(states)
        by_group: dict[int, list[tuple[int, list[int], tuple]]] = {}
        for i, state in enumerate(states):
            legal = state.legal_actions()
            if len(legal) == 1:
                actions[i] = legal[0]
                continue
            player = state.current_player
            by_group.setdefault(self.encoder.group(state, player), []).append(
                (i, legal, self.encoder.encode(state, player, legal)))
        for group, pending in by_group.items():
            qs = decision_q_values(self.nets[group], [feats for _, _, feats in pending])
            for (i, legal, _), q in zip(pending, qs):
                actions[i] = legal[int(q.argmax())]
        return actions

    def act(self, state: State) -> int:
        return self.act_batch([state])[0]

    def action_probabilities(self, state: State) -> dict[int, float]:
        """The move ``act`` plays, with probability 1 (exploitability reads this)."""
        legal, q = self.q_values(state)
        return {legal[int(q.argmax())]: 1.0}


class SoftmaxDMCAgent(DMCAgent):
    """Softmax over Q at ``temperature``: moves drawn with probability ``exp(Q / T)``,
    normalised over the legal moves (a stochastic policy: no ``act_batch``)."""

    act_batch = None  # type: ignore[assignment]  (draws: not a pure function of the state)

    def __init__(self, nets: list[QNet], encoder: Encoder, temperature: float, name: str = "dmc") -> None:
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, not {temperature}")
        super().__init__(nets, encoder, name)
        self.temperature = temperature
        self.rng = np.random.default_rng(0)

    def reset(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def action_probabilities(self, state: State) -> dict[int, float]:
        legal, q = self.q_values(state)
        return {a: float(x) for a, x in zip(legal, softmax_over(q, self.temperature))}

    def act(self, state: State) -> int:
        probs = self.action_probabilities(state)
        actions = list(probs)
        return actions[int(self.rng.choice(len(actions), p=np.fromiter(probs.values(), float)))]


def load_agent(path: str | os.PathLike, game: Game, device: str | None = "cpu",
               temperature: float = 0.0) -> DMCAgent:
    """The agent of a DMC checkpoint for ``game``, its networks on ``device``
    (``selfplay.nets.resolve_device``): greedy over Q, or softmax at ``temperature``
    when it is positive; CheckpointError if it does not fit. A bidding checkpoint plays
    the fixed-landlord game with its role networks (its bidder stays unused)."""
    dev = resolve_device(device)
    data = load_checkpoint(path, expect_game=game.name, expect_learner=LEARNER)
    encoder = encoder_for(game)
    groups, wanted = list(data["groups"]), list(encoder.spec.groups)
    if groups != wanted and groups != wanted + ["bidder"]:  # a bidding model also plays a fixed landlord
        raise CheckpointError(f"{path}: networks for {', '.join(groups)}, but {game!r} "
                              f"needs {', '.join(wanted)}")
    nets = []
    for cfg, sd in zip(data["net_configs"][:len(wanted)], data["models"][:len(wanted)]):
        net = QNet(NetConfig.from_dict(cfg))
        if (net.config.state_dim, net.config.move_dim) != (encoder.spec.state_dim, encoder.spec.move_dim):
            raise CheckpointError(f"{path}: its networks do not fit {game!r}'s features")
        net.load_state_dict(sd)  # float16 exports are widened on copy
        nets.append(net.to(dev))
    agent = SoftmaxDMCAgent(nets, encoder, temperature, name=str(path)) if temperature > 0 else \
        DMCAgent(nets, encoder, name=str(path))
    agent.objective = data.get("objective", "adp")  # what its Q means: points (adp) or wins (wp)
    return agent


# ---- a live status line -----------------------------------------------------------------
def status_line(row: dict) -> str:
    """``12,345,600 frames  14,210 f/s  loss landlord 0.412 ...  0:12:03``."""
    elapsed = int(row.get("time", 0))
    losses = " ".join(f"{k.split('/', 1)[1]} {v:.3f}" for k, v in row.items() if k.startswith("losses/"))
    return (f"{row['frames']:,} frames  {row['charts/frames_per_second']:,.0f} f/s"
            + (f"  loss {losses}" if losses else "")
            + f"  {elapsed // 3600}:{elapsed // 60 % 60:02d}:{elapsed % 60:02d}")


@contextmanager
def live_status() -> Iterator[Callable[[dict], None]]:
    """A rich live line that ``on_metrics`` updates: ``with live_status() as show: train(..., on_metrics=show)``."""
    from rich.live import Live
    from rich.text import Text

    live = Live(Text("starting actors..."), refresh_per_second=4, transient=False)
    try:
        with live:
            yield lambda row: live.update(Text(status_line(row)))
    finally:
        if not live.console.is_terminal:  # rich ends the last line only on a terminal: logs, pipes
            live.console.line()
