"""The Ray backend beside the local one, same machine, same run: DMC training and tournaments.

- **Training**: ``selfplay train doudizhu --learner dmc`` (DouZero's network and
  settings, ``DMCConfig()``) for ``--warmup + --seconds`` on each backend, K actors;
  the figure is frames trained per second over the last ``--seconds`` (the learner's
  own ``charts/frames`` in its metrics, so actor start-up is not counted).
- **Tournament**: the released DMC model against ``rlcard-rule`` on ``--decks`` deals
  (both roles), ``--workers`` at a time: local worker processes, or Ray tasks.

The Ray side starts a Ray on this machine as ``--backend ray`` does. Ray opens sockets,
so this script runs itself inside a network namespace that holds only loopback
(``unshare -n``) when it is not in one already.

Usage: ``python benchmarks/ray_throughput.py [--seconds 60] [--warmup 20] [--actors K] [--decks 2000] [--workers 2]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
import time


def loopback_only() -> bool:
    return [name for _, name in socket.if_nameindex()] == ["lo"]


def hermetic() -> None:
    """Run this script again inside a loopback-only network namespace, unless it is in one."""
    if loopback_only():
        return
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        sys.exit("ray_throughput: needs unshare and ip for a loopback-only network namespace")
    for flags in ("-n", "-rn"):
        if os.system(f"unshare {flags} true 2>/dev/null") == 0:
            os.execvp("unshare", ["unshare", flags, "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
                                  sys.executable, *sys.argv])
    sys.exit("ray_throughput: no network namespace can be made here (unshare -n and -rn refused)")


def training_rate(backend, actors: int, warmup: float, seconds: float) -> tuple[float, int]:
    """(frames trained per second after ``warmup``, frames in all) of a DMC run on DouDizhu."""
    from selfplay.learners.dmc import DMCConfig, train

    rows = []
    out = tempfile.mkdtemp(prefix=f"ray-bench-{backend.name}-")
    try:
        config = DMCConfig(log_interval_seconds=1.0)
        train(config, "doudizhu", out, minutes=(warmup + seconds) / 60, actors=actors, seed=0, backend=backend,
              on_metrics=rows.append)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    first = next(r for r in rows if r["time"] >= warmup)
    last = rows[-1]
    return (last["frames"] - first["frames"]) / max(last["time"] - first["time"], 1e-9), last["frames"]


def tournament_rate(backend, decks: int, workers: int) -> float:
    from selfplay import arena
    from selfplay.agents import RELEASED_DMC, load
    from selfplay.games import make

    game = make("doudizhu")
    agents = [load(str(RELEASED_DMC["doudizhu"]), game), load("rlcard-rule", game)]
    start = time.monotonic()
    result = arena.play(game, agents, decks=decks, seed=0, workers=workers, backend=backend)
    return len(result.records) / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="counting time of each training run")
    parser.add_argument("--warmup", type=float, default=20.0, help="training seconds before counting starts")
    parser.add_argument("--actors", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="actors (default: one per core but one, as train)")
    parser.add_argument("--decks", type=int, default=2000, help="tournament deals (each played in both roles; 2,000 as the evaluations here)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="tournament workers / tasks at once")
    args = parser.parse_args()
    hermetic()
    from selfplay.backends import Backend, ray_cluster

    local, ray = Backend(), Backend("ray")
    print(f"DMC training on DouDizhu (DouZero's network and settings), {args.actors} actor(s) + the learner, "
          f"{os.cpu_count()} cores; frames trained per second over {args.seconds:.0f} s after {args.warmup:.0f} s")
    fps_local, n_local = training_rate(local, args.actors, args.warmup, args.seconds)
    print(f"  local  {fps_local:9,.0f} frames/s  ({n_local:,} frames)", flush=True)
    ray_cluster.connect(ray)
    try:
        fps_ray, n_ray = training_rate(ray, args.actors, args.warmup, args.seconds)
        print(f"  ray    {fps_ray:9,.0f} frames/s  ({n_ray:,} frames)")
        print(f"  ratio ray / local: {fps_ray / fps_local:.2f}")
        print(f"Tournament: released DMC model vs rlcard-rule, {args.decks} decks x 2 roles, {args.workers} workers")
        games_local = tournament_rate(local, args.decks, args.workers)
        print(f"  local  {games_local:9,.1f} games/s", flush=True)
        games_ray = tournament_rate(ray, args.decks, args.workers)
        print(f"  ray    {games_ray:9,.1f} games/s")
        print(f"  ratio ray / local: {games_ray / games_local:.2f}")
    finally:
        ray_cluster.ray_module().shutdown()


if __name__ == "__main__":
    main()
