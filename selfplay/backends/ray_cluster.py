"""The Ray backend (Ray Core, no RLlib): actors, tournament chunks and league evaluation on a cluster.

- **Actors** (``RayActorPool``): one Ray actor per actor, each running the same
  loop as a local actor process (``build`` makes it; no multiprocessing inside),
  torch on as many threads as it reserves CPUs. A call ``collect`` returns one
  message (a DMC ``Trajectory``, az ``Decisions``) through the object store; each
  actor has ``IN_FLIGHT`` calls queued, so it never waits for the learner. The
  weights go out as one ``ray.put`` per version, made when an actor is next
  asked for work after the learner published; an actor fetches a version only
  when it is newer than its own. Opponents of a league's plan are loaded by the
  driver and shipped as objects: no worker reads a file of the head's disk. An
  actor that dies is replaced (a new seed) and its unfinished messages dropped.
- **Tournament chunks** (``play_chunks``) and **evaluation matches**
  (``evaluate``): Ray tasks, a bounded number in flight, the agents shipped once
  per match. A task lost with its worker is retried by Ray (``max_retries``) or,
  for an evaluation, dropped; a result is taken once, when its task finishes,
  so no game is ever counted twice.
- **The league** stays with the driver: ``league.evaluation.evaluate_on_ray``
  runs in a thread of the driver process, the only one that opens the league's
  database, and plays its rounds with ``match_task``.
"""

from __future__ import annotations

import copy
import logging
import os
import uuid
from typing import Iterable, Iterator, Sequence

import numpy as np
import torch

from selfplay.actors import ActorError, OpponentPlan, copy_flat_into
from selfplay.backends import Backend, BackendError

log = logging.getLogger("selfplay")
IN_FLIGHT = 2  # collect calls queued per actor
MAX_FAILED_STARTS = 3  # an actor slot that dies this many times in a row without a message is an error


def ray_module():
    try:
        import ray
    except ImportError:
        raise BackendError("--backend ray needs Ray: pip install 'selfplay[ray]'") from None
    return ray


def connect(backend: Backend) -> bool:
    """Join ``backend.address``, or start a Ray on this machine (``None``), unless this
    process is connected already; whether this call started one. A local start binds
    127.0.0.1 only, without the dashboard, and reports no usage statistics."""
    ray = ray_module()
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        if backend.address is None:
            ray.init(num_cpus=os.cpu_count(), include_dashboard=False, _node_ip_address="127.0.0.1",
                     log_to_driver=True, configure_logging=False)
        else:
            ray.init(address=backend.address, log_to_driver=True, configure_logging=False)
    except ConnectionError as err:
        raise BackendError(f"--address {backend.address}: no Ray cluster there ({err})") from None
    return True


# ---- actors ---------------------------------------------------------------------------------
class ActorWorker:
    """The body of one Ray actor: an actor loop built by ``build``, fed weights, plans and
    opponents by ``collect``'s arguments (object references, fetched only when new)."""

    def __init__(self, build, actor_id: int, seed: int, settings, threads: int) -> None:
        torch.set_num_threads(max(1, threads))
        self.actor, self.nets, self.send = build(actor_id, seed, settings)
        self.actor.seating.loader = self._opponent
        self.version = -1
        self.plan_version = -1
        self.opponents: dict[str, object] = {}  # spec -> reference of the agent the driver loaded

    def _opponent(self, spec: str):
        return ray_module().get(self.opponents[spec])

    def collect(self, version: int, weights: list, plan_version: int, plan: list, opponents: dict):
        """One message of at least ``send`` decisions, played with weights ``version``
        (``weights[0]``: one flat vector per network) and opponent plan ``plan_version``."""
        ray = ray_module()
        if version != self.version:
            for flat, net in zip(ray.get(weights[0]), self.nets):
                copy_flat_into(torch.from_numpy(np.array(flat)), net)
            self.version = self.actor.weights_version = version
        if plan_version != self.plan_version and plan:
            seating = self.actor.seating
            in_play = {seating.specs[k] for t in self.actor.tables if t is not None for k in t if k is not None}
            self.opponents = {s: r for s, r in self.opponents.items() if s in in_play} | opponents
            self.actor.set_plan(ray.get(plan[0]))
            self.plan_version = plan_version
        return self.actor.collect(self.send)


def _flat(nets) -> list[np.ndarray]:
    return [torch.nn.utils.parameters_to_vector(n.parameters()).detach().to("cpu", torch.float32).numpy()
            for n in nets]


class RayActorPool:
    """``num_actors`` Ray actors behind the interface of ``selfplay.actors.ActorPool``."""

    def __init__(self, num_actors: int, seeds: Sequence[int], settings, nets, build, backend: Backend) -> None:
        from selfplay.games import make

        self.ray = ray_module()
        connect(backend)
        self.settings, self.build, self.backend = settings, build, backend
        self._check_placement()
        self.game = make(settings.game_name, **settings.game_options)  # the driver loads the opponents
        self.run = uuid.uuid4().hex[:8]  # actor names: selfplay-<run>-<slot>-<start>
        self.seeds = [int(s) for s in seeds]
        self.starts = [0] * num_actors
        self.failed = [0] * num_actors  # deaths in a row without a message
        self.replaced = 0
        self.nets, self.dirty = list(nets), True
        self.version, self.weights = 0, None
        self.plan_version, self.plan, self.shipped = -1, [], {}
        self.pending: dict = {}  # object reference -> actor slot
        self.actor_class = self.ray.remote(ActorWorker)
        self.workers = [self._start(i) for i in range(num_actors)]
        for i in range(num_actors):
            self._fill(i)

    def _check_placement(self) -> None:
        """BackendError now, rather than actors waiting for good, when no live node of the
        cluster has what one actor asks for (its CPUs and custom resources)."""
        need = {"CPU": self.backend.cpus_per_actor, **self.backend.actor_resources}
        nodes = [n.get("Resources", {}) for n in self.ray.nodes() if n.get("Alive")]
        if not any(all(have.get(k, 0) >= v for k, v in need.items()) for have in nodes):
            offered = "; ".join(", ".join(f"{k} {v:g}" for k, v in sorted(have.items())
                                          if k == "CPU" or not k.startswith(("node:", "memory", "object_store")))
                                for have in nodes)
            raise BackendError(f"no node of the Ray cluster has what an actor needs ({', '.join(f'{k} {v:g}' for k, v in need.items())}); "
                               f"its nodes have: {offered or 'none'} (`ray status`)")

    def _start(self, slot: int):
        from selfplay.arena import derive_seed

        seed = self.seeds[slot] if self.starts[slot] == 0 else derive_seed(self.seeds[slot], self.starts[slot])
        options = {"num_cpus": self.backend.cpus_per_actor, "max_restarts": 0,
                   "name": f"selfplay-{self.run}-{slot}-{self.starts[slot]}"}
        if self.backend.actor_resources:
            options["resources"] = dict(self.backend.actor_resources)
        self.starts[slot] += 1
        return self.actor_class.options(**options).remote(
            self.build, slot, seed, self.settings, int(self.backend.cpus_per_actor))

    def _fill(self, slot: int) -> None:
        if self.dirty:  # one ray.put per version of the weights, when an actor next asks
            self.version += 1
            self.weights = self.ray.put(_flat(self.nets))
            self.dirty = False
        while sum(1 for s in self.pending.values() if s == slot) < IN_FLIGHT:
            ref = self.workers[slot].collect.remote(self.version, [self.weights], self.plan_version, self.plan,
                                                    self.shipped)
            self.pending[ref] = slot

    def publish(self, nets, groups=None) -> None:
        self.nets, self.dirty = list(nets), True

    def publish_plan(self, plan: OpponentPlan) -> None:
        from selfplay.agents import load

        specs = set(plan.specs.values())
        self.shipped = {s: self.shipped[s] if s in self.shipped else self.ray.put(load(s, self.game)) for s in specs}
        self.plan_version += 1
        self.plan = [self.ray.put(plan)]

    def get(self, timeout: float):
        """The next message, or None after ``timeout`` seconds (or when an actor died and was
        replaced); ActorError when an actor's code failed or a slot cannot start."""
        ready, _ = self.ray.wait(list(self.pending), num_returns=1, timeout=timeout)
        if not ready:
            return None
        slot = self.pending.pop(ready[0])
        try:
            message = self.ray.get(ready[0])
        except self.ray.exceptions.RayActorError as err:
            self._replace(slot, err)
            return None
        except self.ray.exceptions.RayTaskError as err:
            raise ActorError(f"actor {slot} failed: {err}") from None
        self.failed[slot] = 0
        self._fill(slot)
        # Arrays from the object store are read-only views that pin their object while any
        # of them lives; a replay buffer keeps rows for long, so the learner gets its own copy.
        return copy.deepcopy(message)

    def _replace(self, slot: int, err: Exception) -> None:
        self.failed[slot] += 1
        if self.failed[slot] >= MAX_FAILED_STARTS:
            raise ActorError(f"actor {slot} died {self.failed[slot]} times without playing: {err}")
        log.warning("selfplay: actor %d died (%s); starting a new one", slot, type(err).__name__)
        self.pending = {r: s for r, s in self.pending.items() if s != slot}  # its unfinished work is dropped
        self.ray.kill(self.workers[slot], no_restart=True)
        self.workers[slot] = self._start(slot)
        self.replaced += 1
        self._fill(slot)

    def close(self) -> None:
        """Let each actor finish its queued calls and exit (a kill would print its stack)."""
        for worker in self.workers:
            worker.__ray_terminate__.remote()
        self.pending.clear()


# ---- tasks: tournament chunks and evaluation matches ----------------------------------------
_MATCH: dict = {}  # in a worker process: the match it played last, its agents and lanes kept


def _chunk_task(shared: list, jobs) -> list:
    """Arena jobs in a worker; the match's context (``shared[0]``) is fetched and its lanes
    built once per worker and match, as a local worker process keeps them between chunks."""
    from selfplay import arena

    key = shared[0].hex()
    if _MATCH.get("key") != key:
        _MATCH.clear()
        _MATCH.update(key=key, worker=dict(ray_module().get(shared[0])))
    arena._WORKER.clear()
    arena._WORKER.update(_MATCH["worker"])
    try:
        with arena._one_thread():
            return arena._play_chunk(jobs)
    finally:
        _MATCH["worker"] = dict(arena._WORKER)  # with the lanes the chunk made
        arena._WORKER.clear()


def play_chunks(context: dict, chunks: Iterable[Sequence], in_flight: int) -> Iterator[list]:
    """Each chunk of arena jobs as a task (``context``: the arena's game, agents, seed, batch
    and openings, shipped once), at most ``in_flight`` at a time; yields each chunk's records
    as it finishes."""
    ray = ray_module()
    task = ray.remote(num_cpus=1, max_retries=3)(_chunk_task)
    shared = [ray.put(context)]  # in a list: the workers fetch it once each, not once per chunk
    todo, pending = iter(chunks), set()
    while True:
        for chunk in todo:
            pending.add(task.remote(shared, chunk))
            if len(pending) >= in_flight:
                break
        if not pending:
            return
        ready, _ = ray.wait(list(pending), num_returns=1)
        pending.difference_update(ready)
        for ref in ready:
            yield ray.get(ref)


_NICED = False


def match_task(game, decks: int, seed: int, openings: int, nice: int, *agents) -> list:
    """One evaluation round, in a worker at a lower priority (as the local evaluation process)."""
    global _NICED
    from selfplay import arena

    if not _NICED:
        try:
            os.nice(nice)
        except OSError:
            pass
        _NICED = True
    with arena._one_thread():
        return arena.play(game, list(agents), decks=decks, seed=seed, openings=openings).records
