"""Self-play actors: many games at once, one batched forward per network per step.

The boundary between actors and the learner is two plain channels, so a later
version can put actors on Ray without touching either side's logic:

- ``Trajectory`` (actor -> learner): finished samples, numpy arrays per
  network group: state, history, chosen-move features, and the target (the
  episode's final return of the player who chose, as DMC wants);
- ``SharedWeights`` (learner -> actors): each network's parameters as one
  flat float32 vector in shared memory, and a version counter the actors poll.

- ``OpponentPlan`` (learner side -> actors, optional): who sits where in the
  next games. Without one every seat plays the learner's networks (pure
  self-play, as DouZero trains); a league publishes plans from its
  matchmaking, and then some seats play frozen opponents (any agent spec:
  past snapshots, baselines). Only the learner's own decisions become
  samples; each finished game with an opponent is reported back as an
  outcome (opponent, learner seats, returns) for the matchmaking.

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


#: A game with an opponent, as reported back: (opponent key, learner seats, returns per seat).
Outcome = tuple[str, tuple[int, ...], tuple[float, ...]]


@dataclass
class Trajectory:
    """What an actor sends: samples per group, and episode counts for metrics."""

    actor: int
    samples: dict[int, Samples]
    episodes: int
    return_sum: dict[int, float] = field(default_factory=dict)  # per group: one return per seat and episode
    return_count: dict[int, int] = field(default_factory=dict)
    weights_version: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def frames(self) -> int:
        return sum(len(s) for s in self.samples.values())


@dataclass(frozen=True)
class OpponentPlan:
    """Seatings for the actors' next games. ``tables``: one entry per seat, ``None``
    for the learner, else an opponent key; a new game draws a table uniformly
    (a matchmaker samples the tables, so their frequencies are its choices).
    ``specs``: the agent spec of each opponent key. A game keeps the table it
    started with when a new plan arrives."""

    tables: tuple[tuple[str | None, ...], ...]
    specs: dict[str, str]
    version: int = 0

    def __post_init__(self) -> None:
        if not self.tables:
            raise ValueError("an opponent plan needs at least one table")
        for table in self.tables:
            if None not in table:
                raise ValueError(f"table {table}: the learner must hold a seat")
            missing = {k for k in table if k is not None} - set(self.specs)
            if missing:
                raise ValueError(f"table {table}: no agent spec for {', '.join(sorted(missing))}")


class Seating:
    """Who sits where in an actor's next games: the latest ``OpponentPlan`` (none: pure
    self-play) and its opponents' agents, loaded on first use and kept while a plan or
    a game under way names them (their networks in ``dtype``, when given). ``loader``
    turns a spec into an agent: ``agents.load`` here; a Ray actor's takes the agent
    the driver loaded and shipped, so no worker reads a file of the head's disk."""

    def __init__(self, game, rng: np.random.Generator, dtype=None) -> None:
        self.game, self.rng, self.dtype = game, rng, dtype
        self.loader = None  # spec -> agent; None: selfplay.agents.load
        self.plan: OpponentPlan | None = None
        self.specs: dict[str, str] = {}  # every opponent key seen: games under an old plan may still need it
        self.opponents: dict[str, object] = {}  # opponent key -> loaded agent

    def set_plan(self, plan: OpponentPlan, tables_in_play: Sequence[tuple | None]) -> None:
        self.plan = plan
        self.specs.update(plan.specs)
        keep = set(plan.specs) | {k for t in tables_in_play if t is not None for k in t if k is not None}
        self.opponents = {k: a for k, a in self.opponents.items() if k in keep}

    def draw(self) -> tuple[str | None, ...] | None:
        """A new game's table (one entry per seat, None for the learner), or None: self-play."""
        if self.plan is None:
            return None
        return self.plan.tables[int(self.rng.integers(len(self.plan.tables)))]

    def agent(self, key: str):
        agent = self.opponents.get(key)
        if agent is None:
            from selfplay.agents import load

            spec = self.specs[key]
            agent = self.loader(spec) if self.loader is not None else load(spec, self.game)
            if self.dtype is not None:
                for net in getattr(agent, "nets", ()):
                    net.to(self.dtype)
            agent.reset(int(self.rng.integers(1 << 62)))
            self.opponents[key] = agent
        return agent

    @staticmethod
    def outcome(table: tuple[str | None, ...] | None, returns: Sequence[float]) -> Outcome | None:
        """The matchmaker's record of a finished game that had an opponent."""
        opponent = next((k for k in table if k is not None), None) if table is not None else None
        if opponent is None:
            return None
        learner_seats = tuple(s for s, k in enumerate(table) if k is None)
        return opponent, learner_seats, tuple(float(r) for r in returns)


class PlanRelay:
    """Hands a league's newest ``OpponentPlan`` (``league.plan()``) to the actors
    (``source.publish_plan``), once per new plan; without a league, nothing."""

    def __init__(self, league, source) -> None:
        self.league, self.source, self.plan = league, source, None

    def refresh(self) -> None:
        new = self.league.plan() if self.league is not None else None
        if new is not None and new is not self.plan:
            self.source.publish_plan(new)
            self.plan = new


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
        self.seating = Seating(game, self.rng, self.dtype)
        self.tables: list[tuple[str | None, ...] | None] = [None] * num_envs  # None: pure self-play
        self.states = [self._new_game(e) for e in range(num_envs)]
        # per game: (player, group, state, history, move) of every learner decision so far
        self.records: list[list[tuple]] = [[] for _ in range(num_envs)]
        self._reset_output()
        self.weights_version = 0

    def _new_game(self, e: int):
        self.tables[e] = self.seating.draw()
        return self.game.new_initial_state(seed=int(self.rng.integers(1 << 62)))

    def set_plan(self, plan: OpponentPlan) -> None:
        """Seat the next games by ``plan``; games under way finish as they are."""
        self.seating.set_plan(plan, self.tables)

    def _reset_output(self) -> None:
        self.out: dict[int, list[list]] = {}
        self.out_frames = 0
        self.episodes = 0
        self.return_sum: dict[int, float] = {}
        self.return_count: dict[int, int] = {}
        self.outcomes: list[Outcome] = []

    @torch.inference_mode()
    def step(self) -> None:
        """One decision in every game."""
        chosen = [0] * len(self.states)  # the learner's: index into its legal moves
        opponent_actions: dict[int, int] = {}
        pending: dict[int, list] = {}
        waiting: dict[str, list[int]] = {}  # opponent key -> games where it is to move
        encoded: list[tuple | None] = []
        for e, state in enumerate(self.states):
            player = state.current_player
            table = self.tables[e]
            if table is not None and table[player] is not None:
                waiting.setdefault(table[player], []).append(e)
                encoded.append(None)
                continue
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
        for key, games in waiting.items():
            agent = self.seating.agent(key)
            states = [self.states[e] for e in games]
            batch = getattr(agent, "act_batch", None)
            opponent_actions.update(zip(games, batch(states) if batch else [agent.act(s) for s in states]))
        for e, state in enumerate(self.states):
            if encoded[e] is None:
                state.apply(opponent_actions[e])
            else:
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
        outcome = Seating.outcome(self.tables[e], returns)
        if outcome is not None:
            self.outcomes.append(outcome)
        self.out_frames += len(self.records[e])
        self.episodes += 1
        self.records[e] = []
        self.tables[e] = None
        self.states[e] = self._new_game(e)

    def collect(self, min_frames: int) -> Trajectory:
        """Step until at least ``min_frames`` finished frames wait, and hand them over."""
        while self.out_frames < min_frames:
            self.step()
        samples = {}
        for group, (s, h, m, t) in sorted(self.out.items()):
            samples[group] = Samples(state=np.stack(s), history=np.stack(h) if self.spec.history_len else None,
                                     move=np.stack(m), target=np.asarray(t, dtype=np.float32))
        traj = Trajectory(self.actor_id, samples, self.episodes, self.return_sum, self.return_count,
                          self.weights_version, self.outcomes)
        self._reset_output()
        return traj


# ---- learner -> actors: weights ------------------------------------------------
class SharedWeights:
    """Flat float32 parameter vectors in shared memory plus a version counter.

    The learner ``publish``es; an actor ``pull``s when the version moved. A lock
    keeps an actor from reading a half-written vector."""

    def __init__(self, nets: Sequence[QNet], ctx) -> None:
        self.flat = [torch.nn.utils.parameters_to_vector(n.parameters()).detach().to("cpu", copy=True).share_memory_()
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


def build_dmc_actor(actor_id: int, seed: int, settings: ActorSettings):
    """A DMC actor from its settings: (the loop, its networks, frames per message).
    Every backend builds its actors with a function of this shape (az: ``build_az_actor``)."""
    game = make(settings.game_name, **settings.game_options)
    nets = [QNet(cfg).to(DTYPES[settings.dtype]).eval() for cfg in settings.net_configs]
    actor = VectorActor(game, encoder_for(game), nets, num_envs=settings.num_envs, epsilon=settings.epsilon,
                        seed=seed, objective=settings.objective, actor_id=actor_id)
    return actor, nets, settings.send_frames


def actor_main(actor_id: int, seed: int, settings, build, weights: SharedWeights, out_queue, stop, plans) -> None:
    """Entry point of one local actor process: ``build`` its actor, then ``serve``."""
    torch.set_num_threads(1)
    try:
        actor, nets, send = build(actor_id, seed, settings)
    except KeyboardInterrupt:
        out_queue.cancel_join_thread()
        return
    serve(actor, nets, send, weights, out_queue, stop, plans)


def serve(actor, nets, send: int, weights: SharedWeights, out_queue, stop, plans) -> None:
    """An actor process's loop: pull new weights and the newest opponent plan, play until
    ``send`` decisions are done (``actor.collect``), send them; until ``stop`` or the
    learner is gone. Any learner's actors (DMC, az) run it."""
    try:
        have = -1
        parent = os.getppid()
        running = lambda: not stop.is_set() and os.getppid() == parent  # noqa: E731 (a killed learner ends us too)
        while running():
            have = actor.weights_version = weights.pull(nets, have)
            plan = _latest(plans)
            if plan is not None:
                actor.set_plan(plan)
            batch = actor.collect(send)
            while running():
                try:
                    out_queue.put(batch, timeout=0.2)
                    break
                except queue_module.Full:
                    pass
    except KeyboardInterrupt:
        pass
    finally:
        out_queue.cancel_join_thread()  # never hang at exit on unsent data


def _latest(channel):
    """The newest message waiting in ``channel``, or None."""
    latest = None
    while True:
        try:
            latest = channel.get_nowait()
        except queue_module.Empty:
            return latest


class ActorError(RuntimeError):
    """An actor process died."""


class ActorPool:
    """K local actor processes and their channels (the local backend). ``build`` makes
    each process's actor from ``settings`` (``build_dmc_actor``; az: ``build_az_actor``).

    On Linux the actors are forked (fast to start; no ``if __name__ ==
    "__main__"`` guard needed in scripts) and set torch to one thread before any
    torch work, which keeps the parent's OpenMP pool out of them; elsewhere
    they are spawned."""

    def __init__(self, num_actors: int, seeds: Sequence[int], settings, nets: Sequence[torch.nn.Module],
                 build=build_dmc_actor, max_queued: int = 16) -> None:
        ctx = torch.multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
        self.weights = SharedWeights(nets, ctx)
        self.queue = ctx.Queue(maxsize=max_queued)
        self.stop = ctx.Event()
        self.plans = [ctx.Queue() for _ in range(num_actors)]  # learner -> each actor: OpponentPlan
        self.procs = []
        env = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)  # the children's torch starts with one thread
        try:
            for i in range(num_actors):
                p = ctx.Process(target=actor_main, args=(i, int(seeds[i]), settings, build, self.weights, self.queue,
                                                         self.stop, self.plans[i]),
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

    def publish_plan(self, plan: OpponentPlan) -> None:
        for channel in self.plans:
            channel.put(plan)

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
        """Stop the actors (killed after 5 s). The queue is not drained: an actor stopped
        mid-message (Ctrl-C reaches the whole process group) can leave half a message in
        the pipe, and reading it would block for good. Actors never block on it: they put
        with a timeout and look at ``stop`` in between."""
        self.stop.set()
        deadline = time.monotonic() + 5.0
        while any(p.is_alive() for p in self.procs) and time.monotonic() < deadline:
            time.sleep(0.05)
        for p in self.procs:
            if p.is_alive():
                p.kill()
            p.join(timeout=1.0)
        for channel in (self.queue, *self.plans):
            channel.cancel_join_thread()
            channel.close()
