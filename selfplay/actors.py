"""Self-play actors: many games at once, one batched forward per network per step.

The boundary between actors and the learner is two plain channels, so a later
version can put actors on Ray without touching either side's logic:

- ``Trajectory`` (actor -> learner): finished samples, numpy arrays per
  network group: state, history, chosen-move features, and the target (the
  episode's final return of the player who chose, as DMC wants);
- ``SharedWeights`` (learner -> actors): each network's parameters as one
  flat float32 vector in shared memory, and a version counter the actors poll.

``VectorActor`` is the loop itself and runs anywhere (in the learner's
process for a fully reproducible run, or in an actor process). Each ``step``
makes one decision in each of its B games: it encodes every pending
decision, takes forced moves (a single legal action) and exploration moves
(probability epsilon) without the network, scores all remaining legal moves of
one group in one forward pass, applies the moves, and when a game ends turns
its decisions into samples whose target is that game's return.
"""

from __future__ import annotations

import os
import queue as queue_module
import sys
import time
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from selfplay.encoders import Encoder, encoder_for
from selfplay.games import Game, make
from selfplay.nets import NetConfig, QNet, decision_q_values

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


@dataclass
class Samples:
    """Finished decisions of one network group; row i of each array is one frame."""

    state: np.ndarray  # (n, S) storage dtype
    history: np.ndarray | None  # (n, T, F) storage dtype
    move: np.ndarray  # (n, M) storage dtype: features of the move chosen
    target: np.ndarray  # (n,) float32: final return of the player who chose

    def __len__(self) -> int:
        return len(self.target)


@dataclass
class Trajectory:
    """What an actor sends: samples per group, and episode counts for metrics."""

    actor: int
    samples: dict[int, Samples]
    episodes: int
    return_sum: dict[int, float] = field(default_factory=dict)  # per group: one return per seat and episode
    return_count: dict[int, int] = field(default_factory=dict)
    weights_version: int = 0

    @property
    def frames(self) -> int:
        return sum(len(s) for s in self.samples.values())


def objective_target(returns: Sequence[float], objective: str) -> list[float]:
    """The DMC target of each seat: its return (ADP) or only its sign (WP)."""
    if objective == "wp":
        return [float(np.sign(r)) for r in returns]
    return [float(r) for r in returns]


class VectorActor:
    """B self-play games stepped together; see the module docstring."""

    def __init__(self, game: Game, encoder: Encoder, nets: Sequence[QNet], *, num_envs: int, epsilon: float,
                 seed: int, objective: str = "adp", actor_id: int = 0) -> None:
        self.game, self.encoder, self.nets = game, encoder, list(nets)
        self.spec = encoder.spec
        self.epsilon, self.objective, self.actor_id = float(epsilon), objective, actor_id
        self.dtype = next(self.nets[0].parameters()).dtype
        self.store = np.dtype(self.spec.storage_dtype)
        self.rng = np.random.default_rng(seed)
        self.states = [self._new_game() for _ in range(num_envs)]
        # per game: (player, group, state, history, move) of every decision so far
        self.records: list[list[tuple]] = [[] for _ in range(num_envs)]
        self._reset_output()
        self.weights_version = 0

    def _new_game(self):
        return self.game.new_initial_state(seed=int(self.rng.integers(1 << 62)))

    def _reset_output(self) -> None:
        self.out: dict[int, list[list]] = {}
        self.out_frames = 0
        self.episodes = 0
        self.return_sum: dict[int, float] = {}
        self.return_count: dict[int, int] = {}

    @torch.inference_mode()
    def step(self) -> None:
        """One decision in every game."""
        chosen = [0] * len(self.states)
        pending: dict[int, list] = {}
        encoded = []
        for e, state in enumerate(self.states):
            player = state.current_player
            legal = state.legal_actions()
            group = self.encoder.group(state, player)
            feats = self.encoder.encode(state, player, legal)
            encoded.append((player, group, legal, feats))
            if len(legal) > 1:
                if self.epsilon > 0 and self.rng.random() < self.epsilon:
                    chosen[e] = int(self.rng.integers(len(legal)))
                else:
                    pending.setdefault(group, []).append(e)
        for group, games in pending.items():
            for e, choice in zip(games, self._greedy(group, [encoded[e][3] for e in games])):
                chosen[e] = choice
        for e, state in enumerate(self.states):
            player, group, legal, (s, h, m) = encoded[e]
            k = chosen[e]
            store = self.store  # narrow now: a game's decisions wait here until it ends
            self.records[e].append((player, group, s.astype(store), None if h is None else h.astype(store),
                                    m[k].astype(store)))
            state.apply(legal[k])
            if state.is_terminal():
                self._finish(e, state.returns())

    def _greedy(self, group: int, feats: list) -> list[int]:
        """Index of the best legal move of each decision, from one forward pass."""
        return [int(q.argmax()) for q in decision_q_values(self.nets[group], feats)]

    def _finish(self, e: int, returns: list[float]) -> None:
        targets = objective_target(returns, self.objective)
        seen: set[tuple[int, int]] = set()
        for player, group, s, h, m in self.records[e]:
            rows = self.out.setdefault(group, [[], [], [], []])
            rows[0].append(s)
            rows[1].append(h)
            rows[2].append(m)
            rows[3].append(targets[player])
            if (player, group) not in seen:  # one episode return per seat and group, for metrics
                seen.add((player, group))
                self.return_sum[group] = self.return_sum.get(group, 0.0) + targets[player]
                self.return_count[group] = self.return_count.get(group, 0) + 1
        self.out_frames += len(self.records[e])
        self.episodes += 1
        self.records[e] = []
        self.states[e] = self._new_game()

    def collect(self, min_frames: int) -> Trajectory:
        """Step until at least ``min_frames`` finished frames wait, and hand them over."""
        while self.out_frames < min_frames:
            self.step()
        samples = {}
        for group, (s, h, m, t) in sorted(self.out.items()):
            samples[group] = Samples(state=np.stack(s), history=np.stack(h) if self.spec.history_len else None,
                                     move=np.stack(m), target=np.asarray(t, dtype=np.float32))
        traj = Trajectory(self.actor_id, samples, self.episodes, self.return_sum, self.return_count,
                          self.weights_version)
        self._reset_output()
        return traj


# ---- learner -> actors: weights ------------------------------------------------
class SharedWeights:
    """Flat float32 parameter vectors in shared memory plus a version counter.

    The learner ``publish``es; an actor ``pull``s when the version moved. A lock
    keeps an actor from reading a half-written vector."""

    def __init__(self, nets: Sequence[QNet], ctx) -> None:
        self.flat = [torch.nn.utils.parameters_to_vector(n.parameters()).detach().clone().share_memory_()
                     for n in nets]
        self.version = ctx.Value("q", 0, lock=False)
        self.lock = ctx.Lock()

    @torch.no_grad()
    def publish(self, nets: Sequence[QNet], groups: Sequence[int] | None = None) -> None:
        with self.lock:
            for g in range(len(nets)) if groups is None else groups:
                self.flat[g].copy_(torch.nn.utils.parameters_to_vector(nets[g].parameters()))
            self.version.value += 1

    @torch.no_grad()
    def pull(self, nets: Sequence[QNet], have: int) -> int:
        """Copy the weights into ``nets`` (any dtype) if newer than ``have``; the version now held."""
        if self.version.value == have:
            return have
        with self.lock:
            for flat, net in zip(self.flat, nets):
                copy_flat_into(flat, net)
            return self.version.value


@torch.no_grad()
def copy_flat_into(flat: torch.Tensor, net: torch.nn.Module) -> None:
    at = 0
    for p in net.parameters():
        n = p.numel()
        p.copy_(flat[at:at + n].view_as(p))
        at += n


def inference_copies(nets: Sequence[QNet], dtype: torch.dtype) -> list[QNet]:
    """Acting copies of the learner's networks, in ``dtype`` and eval mode."""
    out = []
    for net in nets:
        twin = QNet(net.config).to(dtype).eval()
        twin.load_state_dict(net.state_dict())
        out.append(twin)
    return out


# ---- actor processes ----------------------------------------------------------------
@dataclass(frozen=True)
class ActorSettings:
    """Everything an actor process needs, picklable (a Ray actor would take the same)."""

    game_name: str
    game_options: dict
    net_configs: tuple[NetConfig, ...]
    num_envs: int
    epsilon: float
    objective: str
    dtype: str
    send_frames: int  # frames per Trajectory message


def actor_main(actor_id: int, seed: int, settings: ActorSettings, weights: SharedWeights, out_queue, stop) -> None:
    """Entry point of one actor process: play, send trajectories, refresh weights, until ``stop``."""
    torch.set_num_threads(1)
    try:
        game = make(settings.game_name, **settings.game_options)
        nets = [QNet(cfg).to(DTYPES[settings.dtype]).eval() for cfg in settings.net_configs]
        actor = VectorActor(game, encoder_for(game), nets, num_envs=settings.num_envs, epsilon=settings.epsilon,
                            seed=seed, objective=settings.objective, actor_id=actor_id)
        have = -1
        parent = os.getppid()
        running = lambda: not stop.is_set() and os.getppid() == parent  # noqa: E731 (a killed learner ends us too)
        while running():
            have = actor.weights_version = weights.pull(nets, have)
            traj = actor.collect(settings.send_frames)
            while running():
                try:
                    out_queue.put(traj, timeout=0.2)
                    break
                except queue_module.Full:
                    pass
    except KeyboardInterrupt:
        pass
    finally:
        out_queue.cancel_join_thread()  # never hang at exit on unsent data


class ActorError(RuntimeError):
    """An actor process died."""


class ActorPool:
    """K local actor processes and their channels.

    On Linux the actors are forked (fast to start; no ``if __name__ ==
    "__main__"`` guard needed in scripts) and set torch to one thread before any
    torch work, which keeps the parent's OpenMP pool out of them; elsewhere
    they are spawned."""

    def __init__(self, num_actors: int, seeds: Sequence[int], settings: ActorSettings, nets: Sequence[QNet],
                 max_queued: int = 16) -> None:
        ctx = torch.multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        self.weights = SharedWeights(nets, ctx)
        self.queue = ctx.Queue(maxsize=max_queued)
        self.stop = ctx.Event()
        self.procs = []
        env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # the children's torch starts with one thread
        try:
            for i in range(num_actors):
                p = ctx.Process(target=actor_main, args=(i, int(seeds[i]), settings, self.weights, self.queue, self.stop),
                                daemon=True, name=f"selfplay-actor-{i}")
                p.start()
                self.procs.append(p)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def publish(self, nets: Sequence[QNet], groups: Sequence[int] | None = None) -> None:
        self.weights.publish(nets, groups)

    def get(self, timeout: float) -> Trajectory | None:
        """The next trajectory, or None after ``timeout`` seconds; ActorError if an actor died."""
        try:
            return self.queue.get(timeout=timeout)
        except queue_module.Empty:
            for p in self.procs:
                if not p.is_alive():
                    raise ActorError(f"actor process {p.name} exited with code {p.exitcode}") from None
            return None

    def close(self) -> None:
        self.stop.set()
        deadline = time.monotonic() + 5.0
        while any(p.is_alive() for p in self.procs) and time.monotonic() < deadline:
            try:
                self.queue.get(timeout=0.05)  # unblock actors waiting to put
            except queue_module.Empty:
                pass
        for p in self.procs:
            if p.is_alive():
                p.kill()
            p.join(timeout=1.0)
        self.queue.cancel_join_thread()
        self.queue.close()
