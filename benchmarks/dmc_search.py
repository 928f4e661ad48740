"""DouDizhu: a DMC checkpoint with playout search (``dmc+search``) against the same checkpoint without.

Both play fixed decks with the roles swapped (each deck once with the searcher
as landlord, once with it as the peasants, as ``selfplay tournament --decks``
does); prints the searcher's WP and ADP with 95% intervals, overall and per
role, and its time per move (every decision with more than one legal move,
measured in the workers).

    .venv/bin/python benchmarks/dmc_search.py --decks 2000 --workers 2
    .venv/bin/python benchmarks/dmc_search.py --decks 200 --k 4 --worlds 8 --json out.json
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from pathlib import Path

import numpy as np

from selfplay import arena
from selfplay.agents import RELEASED_DMC
from selfplay.games import make

ROOT = Path(__file__).resolve().parent.parent


class Timed:
    """Wraps an agent: counts its searched decisions (more than one legal move) and their time."""

    def __init__(self, agent) -> None:
        self.agent, self.name = agent, agent.name
        self.decisions, self.seconds, self.deviations = 0, 0.0, 0

    def reset(self, seed) -> None:
        self.agent.reset(seed)

    def act(self, state) -> int:
        start = time.perf_counter()
        action = self.agent.act(state)
        if len(state.legal_actions()) > 1:
            self.seconds += time.perf_counter() - start
            self.decisions += 1
            self.deviations += bool(self.agent.last_result and self.agent.last_result.deviated)
        return action


def play_chunk(job: tuple[str, int, int, int, float, int, int]):
    import torch

    from selfplay.learners.dmc import load_agent
    from selfplay.search_agents import dmc_search_agent

    torch.set_num_threads(1)
    path, k, worlds, decks, margin, seed, first_deck = job
    game = make("doudizhu")
    searcher = Timed(dmc_search_agent(path, game, k=k, worlds=worlds, margin=margin))
    greedy = load_agent(path, game)
    greedy.name = "dmc"
    result = arena.play(game, [searcher, greedy], decks=decks, seed=seed + first_deck, batch=1)
    return result.records, searcher.decisions, searcher.seconds, searcher.deviations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", default=str(RELEASED_DMC["doudizhu"]))
    parser.add_argument("--decks", type=int, default=200)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--worlds", type=int, default=8)
    parser.add_argument("--margin", type=float, default=0.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=25, help="decks per job (each job its own seed)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    jobs = [(args.checkpoint, args.k, args.worlds, min(args.chunk, args.decks - first), args.margin, args.seed, first)
            for first in range(0, args.decks, args.chunk)]
    records, decisions, seconds, deviations = [], 0, 0.0, 0
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        for i, (recs, n, s, d) in enumerate(pool.imap_unordered(play_chunk, jobs), 1):
            records += recs
            decisions, seconds, deviations = decisions + n, seconds + s, deviations + d
            print(f"  {i}/{len(jobs)} jobs, {len(records)} games, {time.perf_counter() - start:.0f} s", flush=True)
    game = make("doudizhu")
    result = arena.ArenaResult(game.name, ["dmc+search", "dmc"], list(game.info.team_names),
                               list(game.info.teams), records)
    stats = result.stats()["0:dmc+search"]
    print(f"dmc+search (k={args.k}, worlds={args.worlds}, margin={args.margin}) vs the same checkpoint greedy, "
          f"{args.decks} decks x 2 roles, checkpoint {args.checkpoint}")
    for role, s in stats.items():
        print(f"  {role:9s} games {s.games:5d}  WP {s.win_rate:.3f} [{s.win_rate_low:.3f}, {s.win_rate_high:.3f}]"
              f"  ADP {s.score:+.3f} +- {s.score_ci:.3f}")
    per_move = seconds / max(decisions, 1)
    print(f"  time per move (searched decisions): {per_move:.3f} s over {decisions} decisions; "
          f"left the greedy move in {deviations / max(decisions, 1):.1%}; wall {time.perf_counter() - start:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "args": vars(args), "seconds_per_move": per_move, "decisions": decisions, "deviations": deviations,
            "stats": {role: vars(s) for role, s in stats.items()}}, indent=2) + "\n")


if __name__ == "__main__":
    main()
