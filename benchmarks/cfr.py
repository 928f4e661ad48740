"""Tabular CFR+ iterations per second and exploitability, ours beside OpenSpiel's.

Every solver runs the same variant of CFR+ (regret matching+, alternating
updates, linear averaging from iteration 1) for the same number of iterations
on the same game, in the same run, one after the other; then the exploitability
of each one's average policy is measured by its own tool (the same algorithm
gives the same figure to rounding, which the table shows).

- ours: ``selfplay.search.cfr.CFRPlus`` on ``selfplay.games`` kuhn / leduc
  (numpy passes over the tree enumerated once: ``search.exploitability.GameTree``)
- peer: ``open_spiel.python.algorithms.cfr.CFRPlusSolver`` (Python recursion over
  pyspiel's C++ game), exploitability by ``open_spiel.python.algorithms.exploitability``
- anchor: ``pyspiel.CFRPlusSolver`` (all C++), exploitability by ``pyspiel.exploitability``

Setup (building the tree or the information-state table) is timed apart from
the iterations.

Run: ``.venv/bin/python benchmarks/cfr.py [--game all|kuhn|leduc] [--iterations 200]``.
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Callable, NamedTuple

OPENSPIEL_NAME = {"kuhn": "kuhn_poker", "leduc": "leduc_poker"}


class Solver(NamedTuple):
    setup: Callable[[], object]  # -> solver
    iterate: Callable[[object, int], None]
    exploitability: Callable[[object], float]


def ours(game_name: str) -> Solver:
    from selfplay.games import make
    from selfplay.search import exploitability as exact
    from selfplay.search.cfr import CFRPlus

    def setup() -> object:
        exact._TREES.clear()  # time the enumeration too, as OpenSpiel's solvers build theirs
        return CFRPlus(make(game_name))

    return Solver(setup, lambda s, n: s.iterate(n), lambda s: s.exploitability())


def openspiel_python(game_name: str) -> Solver | None:
    try:
        import pyspiel
        from open_spiel.python.algorithms import cfr, exploitability
    except ImportError:
        return None
    game = pyspiel.load_game(OPENSPIEL_NAME[game_name])

    def iterate(solver, n: int) -> None:
        for _ in range(n):
            solver.evaluate_and_update_policy()

    return Solver(lambda: cfr.CFRPlusSolver(game), iterate,
                  lambda s: exploitability.exploitability(game, s.average_policy()))


def openspiel_cpp(game_name: str) -> Solver | None:
    try:
        import pyspiel
    except ImportError:
        return None
    if not hasattr(pyspiel, "CFRPlusSolver"):
        return None
    game = pyspiel.load_game(OPENSPIEL_NAME[game_name])

    def iterate(solver, n: int) -> None:
        for _ in range(n):
            solver.evaluate_and_update_policy()

    return Solver(lambda: pyspiel.CFRPlusSolver(game), iterate,
                  lambda s: pyspiel.exploitability(game, s.average_policy()))


class Row(NamedTuple):
    engine: str
    setup_s: float
    rate: float
    exploitability: float


def run(solver: Solver, iterations: int) -> tuple[float, float, float]:
    start = time.perf_counter()
    s = solver.setup()
    setup_s = time.perf_counter() - start
    start = time.perf_counter()
    solver.iterate(s, iterations)
    seconds = time.perf_counter() - start
    return setup_s, iterations / seconds, solver.exploitability(s)


def benchmark(game_name: str, iterations: int) -> None:
    engines = {
        "ours (selfplay.search.cfr)": ours(game_name),
        "OpenSpiel Python CFRPlusSolver": openspiel_python(game_name),
        "OpenSpiel C++ CFRPlusSolver": openspiel_cpp(game_name),
    }
    rows = [Row(name, *run(solver, iterations)) for name, solver in engines.items() if solver is not None]
    mine = rows[0]
    print(f"CFR+ on {game_name}: {iterations} iterations per solver, Python {platform.python_version()}, "
          f"{platform.machine()}")
    print()
    header = f"{'engine':<32} {'setup s':>8} {'iterations/s':>13} {'exploitability':>15} {'ours / this':>12}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row.engine:<32} {row.setup_s:>8.3f} {row.rate:>13,.1f} {row.exploitability:>15.6g} "
              f"{mine.rate / row.rate:>11.2f}x")
    peers = {row.engine: row for row in rows}
    if "OpenSpiel Python CFRPlusSolver" in peers:
        peer = peers["OpenSpiel Python CFRPlusSolver"]
        print()
        print(f"ours vs OpenSpiel Python CFR+: {mine.rate / peer.rate:.1f}x the iterations per second; "
              f"exploitability differs by {abs(mine.exploitability - peer.exploitability):.1e}")
    else:
        print("\nopen_spiel is not installed: no peer to compare (pip install open_spiel)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--game", choices=("all", "kuhn", "leduc"), default="all")
    parser.add_argument("--iterations", type=int, default=200, help="CFR+ iterations per solver (default 200)")
    args = parser.parse_args()
    games = ("kuhn", "leduc") if args.game == "all" else (args.game,)
    for i, game_name in enumerate(games):
        if i:
            print()
        benchmark(game_name, args.iterations)


if __name__ == "__main__":
    main()
