"""Backends: where actors, tournament chunks and league evaluations run.

A backend is how processes are placed and connected, nothing more: the
learners, the actor loop (``selfplay.actors.VectorActor``, az's ``SelfPlay``),
the arena and the league are the same code on either.

- ``local`` (the default): forked processes on this machine, weights in
  shared memory, trajectories through a multiprocessing queue.
- ``ray``: Ray actors and tasks on a Ray cluster (``selfplay.backends.ray_cluster``),
  weights and trajectories through Ray's object store. ``address=None`` starts
  a Ray on this machine; ``"auto"`` or ``HOST:PORT`` joins a running cluster.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Sequence

from selfplay.actors import ActorPool

NAMES = ("local", "ray")


class BackendError(RuntimeError):
    """A backend that cannot start: Ray not installed, no cluster at the address."""


@dataclass(frozen=True)
class Backend:
    name: str = "local"
    address: str | None = None  # ray: a cluster to join ("auto", "HOST:6379"); None starts one here
    cpus_per_actor: float = 1.0  # ray: CPUs each actor reserves; its torch uses that many threads
    actor_resources: dict = field(default_factory=dict)  # ray: custom resources each actor needs, e.g. {"actors": 1}

    def __post_init__(self) -> None:
        if self.name not in NAMES:
            raise ValueError(f"unknown backend {self.name!r}; choose {' or '.join(NAMES)}")
        if self.name == "local" and (self.address is not None or self.actor_resources or self.cpus_per_actor != 1.0):
            raise ValueError("--address, --cpus-per-actor and --actor-resources are options of --backend ray")
        if self.cpus_per_actor <= 0:
            raise ValueError(f"cpus_per_actor must be positive, not {self.cpus_per_actor}")

    @property
    def is_ray(self) -> bool:
        return self.name == "ray"

    def actor_pool(self, num_actors: int, seeds: Sequence[int], settings, nets, build, max_queued: int = 16):
        """The actors of a learner: ``build(actor_id, seed, settings) -> (actor, nets, send)``
        makes each one wherever it runs; the pool takes ``publish``, ``publish_plan``,
        ``get(timeout)`` and ``close`` (``selfplay.actors.ActorPool``)."""
        if not self.is_ray:
            return ActorPool(num_actors, seeds, settings, nets, build, max_queued)
        from selfplay.backends.ray_cluster import RayActorPool

        return RayActorPool(num_actors, seeds, settings, nets, build, self)

    @contextmanager
    def session(self) -> Iterator["Backend"]:
        """Start (or join) the backend for a command and stop what it started at the end."""
        if not self.is_ray:
            yield self
            return
        from selfplay.backends import ray_cluster

        started = ray_cluster.connect(self)
        try:
            yield self
        finally:
            if started:
                ray_cluster.ray_module().shutdown()


LOCAL = Backend()
