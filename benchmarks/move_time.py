"""Seconds per move of DouDizhu agents, each deciding the same positions one at a time.

Positions come from games of the released DMC model against itself (every decision with
more than one legal move, every ``--every``-th kept); each agent given by ``--agent SPEC``
decides each position alone (no batching across games, one torch thread), as a player at
a table would. Prints the mean and the 95th percentile per agent: what "at most 1 s a
move" is checked against (docs/az.md).

    .venv/bin/python benchmarks/move_time.py --agent az:path=runs/ddz-az-play/checkpoint.pt \\
        --agent dmc+search:k=4,worlds=8 --positions 100
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from selfplay.agents import RELEASED_DMC, load
from selfplay.games import make


def positions(game, count: int, every: int, seed: int) -> list:
    blueprint = load(str(RELEASED_DMC["doudizhu"]), game)
    rng = np.random.default_rng(seed)
    found, step = [], 0
    while len(found) < count:
        state = game.new_initial_state(seed=int(rng.integers(1 << 30)))
        while not state.is_terminal() and len(found) < count:
            if len(state.legal_actions()) > 1:
                step += 1
                if step % every == 0:
                    found.append(state.clone())
            state.apply(blueprint.act(state))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agent", action="append", required=True, help="an agent spec (repeatable)")
    parser.add_argument("--positions", type=int, default=100)
    parser.add_argument("--every", type=int, default=3, help="keep every N-th decision of the games")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    game = make("doudizhu")
    found = positions(game, args.positions, args.every, args.seed)
    print(f"{len(found)} DouDizhu positions (more than one legal move), one torch thread")
    for spec in args.agent:
        agent = load(spec, game)
        agent.reset(args.seed)
        seconds = []
        for state in found:
            start = time.perf_counter()
            agent.act(state)
            seconds.append(time.perf_counter() - start)
        print(f"  {spec}: {np.mean(seconds):.3f} s per move (95th percentile {np.percentile(seconds, 95):.3f} s, "
              f"longest {max(seconds):.3f} s)")


if __name__ == "__main__":
    main()
