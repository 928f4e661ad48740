"""MCTS simulations per second on Connect Four, ours beside OpenSpiel's.

Every engine runs plain UCT from the opening position with one uniformly
random rollout per leaf, the same exploration constant, and no solver
(OpenSpiel's ``solve=False``: its MCTS-Solver bookkeeping is extra work ours
does not do). Each repetition times one full move decision (search + choice)
per engine, interleaved so machine noise hits all alike; the table reports
the median rate.

- ours: ``selfplay.search.MCTS`` + ``RandomRollout`` on ``selfplay.games`` connect4
- peer: ``open_spiel.python.algorithms.mcts.MCTSBot`` + ``RandomRolloutEvaluator(n_rollouts=1)``
  on pyspiel's ``connect_four`` (Python search over the C++ game)
- anchor: ``pyspiel.MCTSBot`` + ``pyspiel.RandomRolloutEvaluator`` (all C++)

Run: ``.venv/bin/python benchmarks/mcts.py [--simulations 1000] [--repeats 30]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from typing import Callable

import numpy as np

from selfplay.games import make
from selfplay.search import MCTS, RandomRollout


def time_one(decide: Callable[[], object]) -> float:
    start = time.perf_counter()
    decide()
    return time.perf_counter() - start


def ours(simulations: int, c: float, seed: int) -> Callable[[], object]:
    state = make("connect4").new_initial_state()
    search = MCTS(RandomRollout(seed), simulations=simulations, c=c, rng=seed + 1)

    def decide() -> object:
        result = search.search(state)
        assert result.root.visits == simulations
        return result.action

    return decide


def openspiel_python(simulations: int, c: float, seed: int) -> Callable[[], object] | None:
    try:
        import pyspiel
        from open_spiel.python.algorithms import mcts
    except ImportError:
        return None
    game = pyspiel.load_game("connect_four")
    state = game.new_initial_state()
    evaluator = mcts.RandomRolloutEvaluator(n_rollouts=1, random_state=np.random.RandomState(seed))
    bot = mcts.MCTSBot(game, c, simulations, evaluator, solve=False, random_state=np.random.RandomState(seed + 1))
    return lambda: bot.step(state)


def openspiel_cpp(simulations: int, c: float, seed: int) -> Callable[[], object] | None:
    try:
        import pyspiel
    except ImportError:
        return None
    if not hasattr(pyspiel, "MCTSBot"):
        return None
    game = pyspiel.load_game("connect_four")
    state = game.new_initial_state()
    evaluator = pyspiel.RandomRolloutEvaluator(1, seed)
    bot = pyspiel.MCTSBot(game, evaluator, c, simulations, 1000, False, seed + 1, False)
    return lambda: bot.step(state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=1000, help="simulations per search (default 1000)")
    parser.add_argument("--repeats", type=int, default=30, help="timed searches per engine; the median is reported (default 30)")
    parser.add_argument("--c", type=float, default=1.4, help="UCT exploration constant, the same for every engine (default 1.4)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    engines = {
        "ours (selfplay.search, Python)": ours(args.simulations, args.c, args.seed),
        "OpenSpiel Python MCTSBot": openspiel_python(args.simulations, args.c, args.seed),
        "OpenSpiel C++ MCTSBot": openspiel_cpp(args.simulations, args.c, args.seed),
    }
    engines = {name: decide for name, decide in engines.items() if decide is not None}
    for decide in engines.values():  # warm-up: imports, caches, first allocations
        decide()
    seconds: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(args.repeats):
        for name, decide in engines.items():
            seconds[name].append(time_one(decide))

    rate = {name: args.simulations / statistics.median(times) for name, times in seconds.items()}
    spread = {name: (args.simulations / max(times), args.simulations / min(times)) for name, times in seconds.items()}
    mine = rate["ours (selfplay.search, Python)"]

    print(f"MCTS on connect4, opening position: UCT c={args.c}, 1 random rollout per leaf, no solver")
    print(f"{args.simulations} simulations per search, median of {args.repeats} searches per engine, "
          f"Python {platform.python_version()}, {platform.machine()}")
    print()
    header = f"{'engine':<32} {'sims/s (median)':>16} {'min..max':>19} {'ours / this':>12}"
    print(header)
    print("-" * len(header))
    for name in engines:
        lo, hi = spread[name]
        print(f"{name:<32} {rate[name]:>16,.0f} {f'{lo:,.0f}..{hi:,.0f}':>19} {mine / rate[name]:>11.2f}x")
    if "OpenSpiel Python MCTSBot" in rate:
        print()
        print(f"ours vs OpenSpiel Python MCTS: {mine / rate['OpenSpiel Python MCTSBot']:.2f}x (goal: >= 2x)")
    else:
        print("\nopen_spiel is not installed: no peer to compare (pip install open_spiel)")


if __name__ == "__main__":
    main()
