"""az self-play on DouDizhu: decisions per second, and where the time goes; DMC's frames per second beside it.

- **Decisions per second**: ``selfplay.learners.az`` actor processes (K, default one
  per core) self-play DouDizhu with the move network (``MoveModel``: DMC's
  Q-network shape, a row per legal move) under the settings of ``selfplay train
  doudizhu --learner az`` (``--set`` changes them), counted as they reach the
  learner's side for a fixed wall time after a warm-up, as
  ``benchmarks/dmc_throughput.py`` counts DMC's frames. Nothing is trained.
- **Inside one actor** (inline, one process, one torch thread): simulations per
  decision (the root's visits), leaves per network call (states per
  ``evaluate_batch``), and the share of time in the search (``selfplay/search``),
  the network (torch, and the features it reads: ``selfplay/nets.py``,
  ``encoders.py``, ``az_models.py``, ``games/doudizhu/features.py``) and the engine
  (the rest of ``selfplay/games``: moves, legality, cloning, resampling), from
  cProfile's own time per function grouped by file; ``other`` is the rest
  (numpy, the actor's own loop). The profiler's overhead is in every share.
- **DMC beside it**: the frames per second of DMC's actors (``dmc_throughput``'s
  measurement, float32), same machine, same run. A DMC frame is one decision, so
  the ratio is what a search of each decision costs.

Usage: ``python benchmarks/az_throughput.py [--seconds 30] [--warmup 10] [--actors K]
[--profile-decisions 300] [--set KEY=VALUE ...]``
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

def az_config(settings: list[str]):
    """``selfplay train doudizhu --learner az``'s settings (``az.resolved``), with ``--set``'s."""
    from selfplay.games import make
    from selfplay.learners.az import AZConfig, resolved

    config = resolved(AZConfig(), make("doudizhu"))
    for item in settings:
        key, _, value = item.partition("=")
        kind = type(getattr(config, key))
        config = replace(config, **{key: tuple(int(v) for v in value.split("x")) if kind is tuple else kind(value)})
    return config


def measure_decisions(config, actors: int, seconds: float, warmup: float) -> float:
    from selfplay.actors import ActorPool
    from selfplay.games import make
    from selfplay.learners.az import AZActorSettings, build_az_actor, new_model, resolved

    game = make("doudizhu")
    config = resolved(config, game)
    model = new_model(game, config)
    settings = AZActorSettings("doudizhu", dict(game.info.options), [n.config for n in model.nets], config)
    pool = ActorPool(actors, [1000 + i for i in range(actors)], settings, model.nets, build_az_actor)
    try:
        pool.publish(model.nets)
        end_warmup = time.monotonic() + warmup
        while time.monotonic() < end_warmup:
            pool.get(timeout=0.1)
        decisions, start = 0, time.monotonic()
        while time.monotonic() - start < seconds:
            batch = pool.get(timeout=0.1)
            if batch is not None:
                decisions += len(batch)
        return decisions / (time.monotonic() - start)
    finally:
        pool.close()


def profile_one_actor(config, decisions: int) -> dict:
    from selfplay.games import make
    from selfplay.learners import az
    from selfplay.learners.az import SelfPlay, new_model, resolved

    game = make("doudizhu")
    config = resolved(config, game)
    torch.manual_seed(0)
    model = new_model(game, config)
    for net in model.nets:
        net.eval()
    actor = SelfPlay(game, model, config, seed=0)
    calls = {"calls": 0, "states": 0}
    evaluate = model.evaluate_batch

    def counted(states):
        calls["calls"] += 1
        calls["states"] += len(states)
        return evaluate(states)

    model.evaluate_batch = counted
    actor.evaluator = model
    for search in actor.searches:
        search.evaluator = model
    visits = {"decisions": 0, "simulations": 0}
    batched = az.search_batched

    def counting_search(searches, states, simulations=None):
        results = batched(searches, states, simulations)
        visits["decisions"] += len(results)
        visits["simulations"] += sum(sum(r.counts.values()) for r in results)
        return results

    az.search_batched = counting_search
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    profiler = cProfile.Profile()
    try:
        actor.collect(32)  # warm-up: the first trees, torch's first calls
        calls.update(calls=0, states=0)
        visits.update(decisions=0, simulations=0)
        start = time.perf_counter()
        profiler.enable()
        actor.collect(decisions)
        profiler.disable()
        wall = time.perf_counter() - start
    finally:
        az.search_batched = batched
        torch.set_num_threads(threads)
    import selfplay.encoders
    import selfplay.games
    import selfplay.games.doudizhu.features
    import selfplay.learners.az_models
    import selfplay.nets
    import selfplay.search

    network_files = {str(Path(m.__file__).resolve()) for m in (
        selfplay.nets, selfplay.encoders, selfplay.learners.az_models, selfplay.games.doudizhu.features)}
    search_dir, games_dir = (str(Path(m.__file__).resolve().parent) for m in (selfplay.search, selfplay.games))
    shares = {"search": 0.0, "network": 0.0, "engine": 0.0, "other": 0.0}
    for (filename, _, function), (_, _, own, _, _) in pstats.Stats(profiler).stats.items():
        path = str(Path(filename).resolve()) if filename.startswith("/") else filename
        if path in network_files or "torch" in filename or "torch" in function:
            shares["network"] += own
        elif path.startswith(search_dir):
            shares["search"] += own
        elif path.startswith(games_dir):
            shares["engine"] += own
        else:
            shares["other"] += own
    total = sum(shares.values())
    return {"decisions": visits["decisions"], "wall": wall,
            "simulations_per_decision": visits["simulations"] / max(1, visits["decisions"]),
            "leaves_per_call": calls["states"] / max(1, calls["calls"]),
            "shares": {k: v / total for k, v in shares.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="counting time per measurement")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before counting starts")
    parser.add_argument("--actors", type=int, default=os.cpu_count() or 1, help="actor processes (default: one per core)")
    parser.add_argument("--profile-decisions", type=int, default=300, help="decisions profiled inside one actor")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                        help="an az setting over the DouDizhu recipe (repeatable)")
    args = parser.parse_args()
    from dmc_throughput import measure_ours

    config = az_config(args.settings)
    print(f"DouDizhu self-play, {args.actors} actor process(es), {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, torch {torch.__version__}")
    print(f"az settings: simulations {config.simulations} (cheap {config.cheap_simulations} on "
          f"{1 - config.full_search_fraction:.0%} of moves), root {config.root}, k {config.k}, "
          f"games per actor {config.games_per_actor}, search batch {config.search_batch}")
    profile = profile_one_actor(config, args.profile_decisions)
    print(f"inside one actor ({profile['decisions']} decisions, {profile['decisions'] / profile['wall']:.1f}/s "
          f"under the profiler): {profile['simulations_per_decision']:.1f} simulations per decision, "
          f"{profile['leaves_per_call']:.1f} leaves per network call")
    print("  time: " + ", ".join(f"{k} {v:.0%}" for k, v in profile["shares"].items()))
    ours = measure_decisions(config, args.actors, args.seconds, args.warmup)
    print(f"az self-play: {ours:,.1f} decisions/s")
    theirs = measure_ours(args.actors, args.seconds, args.warmup, "float32")
    print(f"DMC actors (float32): {theirs:,.0f} frames/s")
    print(f"ratio: DMC decides {theirs / ours:,.0f}x as many moves per second (each az decision is a search)")


if __name__ == "__main__":
    main()
