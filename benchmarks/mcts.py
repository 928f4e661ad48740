"""MCTS simulations per second: UCT on Connect Four beside OpenSpiel's, and
network-evaluated sampled PUCT with and without batching.

Part 1 (``--part uct``). Every engine runs plain UCT from the opening
position with one uniformly random rollout per leaf, the same exploration
constant, and no solver (OpenSpiel's ``solve=False``: its MCTS-Solver
bookkeeping is extra work ours does not do). Each repetition times one full
move decision (search + choice) per engine, interleaved so machine noise hits
all alike; the table reports the median rate.

- ours: ``selfplay.search.MCTS`` + ``RandomRollout`` on ``selfplay.games`` connect4
- peer: ``open_spiel.python.algorithms.mcts.MCTSBot`` + ``RandomRolloutEvaluator(n_rollouts=1)``
  on pyspiel's ``connect_four`` (Python search over the C++ game)
- anchor: ``pyspiel.MCTSBot`` + ``pyspiel.RandomRolloutEvaluator`` (all C++)

Part 2 (``--part network``). Sampled PUCT (``selfplay.search.PUCT``, K = 8)
with DMC Q-networks at the leaves (``selfplay.search_agents.DMCEvaluator``:
softmax-Q prior, max-Q value), on connect4 (two small MLP Q-networks, seat
groups, random weights) and DouDizhu (the released ``models/doudizhu-dmc.pt``,
DouZero-sized: LSTM + 5 x 512 MLP per role; ISMCTS, a new world per
simulation). The same 16 positions are searched two ways: one at a time with
one leaf per network call (``batch=1``), and all 16 games at once with 8
leaves each under virtual loss (``search_batched``: up to 128 leaves per
call). torch runs on one thread, as the arena's and actors' workers do.

Run: ``.venv/bin/python benchmarks/mcts.py [--part all|uct|network] [--simulations 1000] [--repeats 30]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path
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
    parser.add_argument("--part", choices=("all", "uct", "network"), default="all")
    parser.add_argument("--games", type=int, default=16, help="network part: concurrent games (default 16)")
    parser.add_argument("--leaves", type=int, default=8, help="network part: leaves per game per call (default 8)")
    args = parser.parse_args()
    if args.part in ("all", "uct"):
        uct_benchmark(args)
    if args.part in ("all", "network"):
        if args.part == "all":
            print()
        network_benchmark(args.games, args.leaves, args.seed)


def uct_benchmark(args: argparse.Namespace) -> None:

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



# ---- part 2: network-evaluated PUCT, batched vs one leaf at a time --------------------------------
NETWORK_SIMS = {"connect4": 200, "doudizhu": 48}


def network_positions(game_name: str, count: int, seed: int) -> list:
    """``count`` positions a few random moves into games (DouDizhu: every seat to move)."""
    game = make(game_name)
    rng = np.random.default_rng(seed)
    positions = []
    while len(positions) < count:
        state = game.new_initial_state(seed=int(rng.integers(1 << 30)))
        for _ in range(int(rng.integers(0, 9))):
            if state.is_terminal():
                break
            legal = state.legal_actions()
            state.apply(legal[int(rng.integers(len(legal)))])
        if not state.is_terminal() and len(state.legal_actions()) > 1:
            positions.append(state)
    return positions


def network_evaluator(game_name: str):
    """(evaluator, description) for the game: DMC Q-networks via ``DMCEvaluator``."""
    import torch

    from selfplay.encoders import encoder_for
    from selfplay.nets import NetConfig, QNet
    from selfplay.search_agents import DMCEvaluator

    game = make(game_name)
    released = Path(__file__).resolve().parents[1] / "models" / "doudizhu-dmc.pt"
    if game_name == "doudizhu" and released.is_file():
        return DMCEvaluator.from_checkpoint(released, game), "models/doudizhu-dmc.pt (LSTM 128 + 5 x 512 per role)"
    torch.manual_seed(0)
    encoder = encoder_for(game)
    spec = encoder.spec
    mlp = (256, 256, 256) if game_name != "doudizhu" else (512,) * 5
    config = NetConfig(state_dim=spec.state_dim, move_dim=spec.move_dim, history_dim=spec.history_dim, mlp=mlp)
    nets = [QNet(config) for _ in spec.groups]
    return DMCEvaluator(nets, encoder, game), f"random-weight DMC QNet, MLP {'x'.join(map(str, mlp))} per group"


def timed_searches(evaluator, positions: list, simulations: int, games: int, leaves: int,
                   seed: int) -> tuple[float, int]:
    """Seconds for all positions' searches, and the evaluator calls; ``games`` at once."""
    from selfplay.search import PUCT, PUCTConfig, search_batched

    config = PUCTConfig(simulations=simulations, k=8, batch=leaves)
    calls_before = evaluator.calls
    start = time.perf_counter()
    for at in range(0, len(positions), games):
        chunk = positions[at:at + games]
        searches = [PUCT(evaluator, config, rng=seed + at + i) for i in range(len(chunk))]
        results = search_batched(searches, chunk)
        assert all(r.root.visits == simulations for r in results)
    return time.perf_counter() - start, evaluator.calls - calls_before


def network_benchmark(games: int, leaves: int, seed: int, repeats: int = 3) -> None:
    import torch

    torch.set_num_threads(1)
    print(f"Sampled PUCT (K=8) with DMC Q-network leaves: {games} positions per game, median of {repeats} runs, "
          f"torch {torch.__version__} on 1 thread, Python {platform.python_version()}")
    print(f"unbatched: one search at a time, 1 leaf per network call; "
          f"batched: {games} games at once x {leaves} leaves (virtual loss)")
    print()
    header = (f"{'game':<10} {'sims/search':>11} {'unbatched sims/s':>17} {'batched sims/s':>15} "
              f"{'speed-up':>9} {'leaves/call':>12}")
    rows = []
    for game_name in ("connect4", "doudizhu"):
        evaluator, what = network_evaluator(game_name)
        positions = network_positions(game_name, games, seed)
        sims = NETWORK_SIMS[game_name]
        timed_searches(evaluator, positions[:2], 8, games, leaves, seed)  # warm-up
        ones, manys = [], []
        for _ in range(repeats):  # interleaved, so machine noise hits both alike
            ones.append(timed_searches(evaluator, positions, sims, 1, 1, seed)[0])
            many_s, calls = timed_searches(evaluator, positions, sims, games, leaves, seed)
            manys.append(many_s)
        one_s, many_s = statistics.median(ones), statistics.median(manys)
        total = sims * len(positions)
        rows.append((game_name, sims, total / one_s, total / many_s, one_s / many_s, total / calls, what))
    print(header)
    print("-" * len(header))
    for game_name, sims, one, many, ratio, per_call, _ in rows:
        print(f"{game_name:<10} {sims:>11} {one:>17,.0f} {many:>15,.0f} {ratio:>8.1f}x {per_call:>12.1f}")
    print()
    for game_name, *_, what in rows:
        print(f"{game_name}: {what}")


if __name__ == "__main__":
    main()
