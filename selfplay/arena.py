"""Play agents against each other and say who is better, with confidence.

Agents are seated by *team slots* (``game.info.teams``: every seat alone in
most games; DouDizhu's landlord vs the two peasants). With k agents and T slots,
rotation r gives slot t to agent ``(t + r) % k``; a seat plan of every seat
follows. Two ways to spend games:

- ``games=N``: game i is a fresh deal (its own seed) with rotation ``i % T``;
- ``decks=N``: each deal is played T times, once per rotation, so every agent
  plays every slot of the same cards and the luck of the deal cancels (the
  evaluation protocol of DouZero's paper).

Every game's seed and every agent's reset seed derive from ``seed`` and the
game's index, so results are identical for any number of worker processes.
"""

from __future__ import annotations

import math
import multiprocessing
import sys
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Sequence

import numpy as np

from selfplay.agents import Agent
from selfplay.games import Game

Z95 = 1.959963984540054


@dataclass(frozen=True)
class GameRecord:
    index: int
    deck: int
    seed: int
    slots: tuple[int, ...]  # agent index holding each team slot
    returns: tuple[float, ...]  # per seat
    moves: int


@dataclass(frozen=True)
class Stats:
    """Results of one agent (overall or in one slot): score is the mean return."""

    games: int
    wins: int
    draws: int
    losses: int
    score: float
    score_ci: float  # half-width of the 95% interval of the mean return
    win_rate: float
    win_rate_low: float  # Wilson 95% interval
    win_rate_high: float

    @classmethod
    def of(cls, scores: Sequence[float]) -> "Stats":
        n = len(scores)
        if n == 0:
            return cls(0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0)
        arr = np.asarray(scores, dtype=float)
        wins, draws = int((arr > 0).sum()), int((arr == 0).sum())
        half = Z95 * arr.std(ddof=1) / math.sqrt(n) if n > 1 else math.inf
        low, high = wilson(wins, n)
        return cls(n, wins, draws, n - wins - draws, float(arr.mean()), float(half), wins / n, low, high)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class ArenaResult:
    game: str
    agents: list[str]
    slot_names: list[str]
    teams: list[tuple[int, ...]]  # seats of each slot
    records: list[GameRecord]

    def slot_score(self, record: GameRecord, slot: int) -> float:
        """A slot's result: the mean return of its seats (teammates share it)."""
        return float(np.mean([record.returns[s] for s in self.teams[slot]]))

    def stats(self) -> dict[str, dict[str, Stats]]:
        """Per agent: ``"all"`` and one entry per slot name."""
        out: dict[str, dict[str, Stats]] = {}
        for a, name in enumerate(self.agents):
            overall: list[float] = []
            per_slot: dict[str, list[float]] = {s: [] for s in self.slot_names}
            for rec in self.records:
                mine = [t for t, holder in enumerate(rec.slots) if holder == a]
                if not mine:
                    continue
                scores = [self.slot_score(rec, t) for t in mine]
                overall.append(float(np.mean(scores)))
                for t, sc in zip(mine, scores):
                    per_slot[self.slot_names[t]].append(sc)
            out[f"{a}:{name}"] = {"all": Stats.of(overall), **{k: Stats.of(v) for k, v in per_slot.items()}}
        return out

    def to_json(self) -> dict:
        return {
            "game": self.game,
            "agents": self.agents,
            "slots": self.slot_names,
            "stats": {k: {s: asdict(v) for s, v in d.items()} for k, d in self.stats().items()},
            "games": [asdict(r) for r in self.records],
        }


def derive_seed(*parts: int) -> int:
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1, dtype=np.uint64)[0] >> 1)


def slot_plan(num_slots: int, num_agents: int, rotation: int) -> tuple[int, ...]:
    return tuple((t + rotation) % num_agents for t in range(num_slots))


def play_game(game: Game, agents: Sequence[Agent], slots: Sequence[int], seed: int, agent_seed: int) -> GameRecord:
    """One game; ``slots[t]`` is the index in ``agents`` of team slot t's agent."""
    seat_agent = {}
    for t, team in enumerate(game.info.teams):
        for seat in team:
            seat_agent[seat] = agents[slots[t]]
    for i, agent in enumerate(agents):
        agent.reset(derive_seed(agent_seed, i))
    state = game.new_initial_state(seed=seed)
    moves = 0
    while not state.is_terminal():
        state.apply(seat_agent[state.current_player].act(state))
        moves += 1
    return GameRecord(-1, -1, seed, tuple(slots), tuple(state.returns()), moves)


def schedule(num_slots: int, games: int | None, decks: int | None) -> list[tuple[int, int, int]]:
    """(game index, deck, rotation) for every game to play."""
    if (games is None) == (decks is None):
        raise ValueError("give exactly one of games or decks")
    if games is not None:
        if games < 1:
            raise ValueError("games must be at least 1")
        return [(i, i, i % num_slots) for i in range(games)]
    if decks < 1:
        raise ValueError("decks must be at least 1")
    return [(d * num_slots + r, d, r) for d in range(decks) for r in range(num_slots)]


# Worker processes inherit the game and agents by fork; nothing is pickled.
_WORKER: dict = {}


def _init_worker() -> None:
    # One thread per worker: the workers already fill the cores, and OpenMP
    # pools inherited through fork would oversubscribe them (or stall).
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def _play_job(job: tuple[int, int, int]) -> GameRecord:
    index, deck, rotation = job
    game, agents, seed = _WORKER["game"], _WORKER["agents"], _WORKER["seed"]
    plan = slot_plan(len(game.info.teams), len(agents), rotation)
    rec = play_game(game, agents, plan, seed=derive_seed(seed, deck), agent_seed=derive_seed(seed, deck, index, 1))
    return GameRecord(index, deck, rec.seed, rec.slots, rec.returns, rec.moves)


def play(
    game: Game,
    agents: Sequence[Agent],
    *,
    games: int | None = None,
    decks: int | None = None,
    seed: int = 0,
    workers: int = 1,
    on_result: Callable[[GameRecord], None] | None = None,
) -> ArenaResult:
    """Play a match; see the module docstring for seating and seeds."""
    num_slots = len(game.info.teams)
    if not 1 <= len(agents) <= num_slots:
        raise ValueError(f"{game.name} seats 1 to {num_slots} agents ({', '.join(game.info.team_names)}), not {len(agents)}")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    jobs = schedule(num_slots, games, decks)
    _WORKER.update(game=game, agents=list(agents), seed=seed)
    records: list[GameRecord] = []

    def collect(results: Iterable[GameRecord]) -> None:
        for rec in results:
            records.append(rec)
            if on_result is not None:
                on_result(rec)

    try:
        if workers == 1 or len(jobs) == 1:
            collect(map(_play_job, jobs))
        else:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(min(workers, len(jobs)), initializer=_init_worker) as pool:
                collect(pool.imap_unordered(_play_job, jobs, chunksize=max(1, len(jobs) // (workers * 8))))
    finally:
        _WORKER.clear()
    records.sort(key=lambda r: r.index)
    return ArenaResult(game.name, [a.name for a in agents], list(game.info.team_names), list(game.info.teams), records)
