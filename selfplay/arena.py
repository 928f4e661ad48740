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

Lockstep play (``batch=B``): each worker keeps up to B games going at once.
Every round it takes the pending decision of each unfinished game, hands all
the decisions of an agent that defines ``act_batch(states) -> actions`` to
one call (a network scores them in one forward pass), and asks the others
with ``act(state)``; a finished game's place goes to the next one. Games
must not see each other, so:

- an agent with ``act_batch`` is a pure function of the state (the greedy
  DMC agent): one instance serves every concurrent game and is never reset;
- any other agent (random, MCTS, the rule model: they keep an rng) plays
  each concurrent game on its own instance, ``reset(seed)`` at the start of
  every game as in one-at-a-time play. Place 0 plays the caller's instances,
  the other B - 1 places ``copy.deepcopy`` copies of the agent list (made
  once per worker; an agent holding something heavy and read-only can share
  it by defining ``__deepcopy__``).

Openings (``openings=k``): each deal starts with k uniformly random moves,
drawn from the deal's seed, so every rotation of a deck starts from the same
position. A game without chance (tictactoe, connect4) gives deterministic
agents a single game per pairing otherwise; a few random opening moves make
its decks differ as card deals do.

So every game is the game that one-at-a-time play gives, for any ``batch``
and any ``workers``. For network agents that takes care with rounding: torch
runs on one thread in every process that plays, and the DMC agent scores a
decision to the same bits in any batch (``selfplay.nets.MIN_ROWS``).
"""

from __future__ import annotations

import copy
import math
import multiprocessing
import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from selfplay.agents import Agent
from selfplay.games import Game, State

Z95 = 1.959963984540054
DEFAULT_BATCH = 256  # games a worker plays at once when an agent has act_batch (DMC: 128 is 15% slower)


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


def can_batch(agent: Agent) -> bool:
    """Whether the agent takes many states in one ``act_batch`` call (and is a pure function of the state)."""
    return callable(getattr(agent, "act_batch", None))


def lane_agents(agents: Sequence[Agent], lanes: int) -> list[list[Agent]]:
    """The agents of each of ``lanes`` concurrent games: lane 0 the given instances, the
    others deep copies of the list (aliases kept) that share the agents with ``act_batch``."""
    shared = {id(a): a for a in agents if can_batch(a)}
    return [list(agents)] + [copy.deepcopy(list(agents), dict(shared)) for _ in range(lanes - 1)]


# a game to play: (index, deck, slots, deal seed, agent seed)
Table = tuple[int, int, tuple[int, ...], int, int]


@dataclass
class _Live:
    """A game in progress in one lane."""

    table: Table
    state: State
    moves: int = 0


def opening_position(game: Game, seed: int, openings: int) -> State:
    """The deal of ``seed`` after ``openings`` random moves (fewer if the game ends first)."""
    state = game.new_initial_state(seed=seed)
    rng = np.random.default_rng(derive_seed(seed, 2))
    for _ in range(openings):
        legal = state.legal_actions()
        if state.is_terminal() or len(legal) == 0:
            break
        state.apply(legal[int(rng.integers(len(legal)))])
    if state.is_terminal():  # an opening must leave the agents something to play
        return game.new_initial_state(seed=seed)
    return state


def play_lockstep(game: Game, lanes: Sequence[Sequence[Agent]], tables: Iterable[Table],
                  openings: int = 0) -> Iterator[GameRecord]:
    """Play ``tables`` with ``len(lanes)`` games at a time (see the module docstring);
    yields each game's record as it ends."""
    agents = lanes[0]
    batching = [can_batch(a) for a in agents]
    slot_of_seat = {seat: t for t, team in enumerate(game.info.teams) for seat in team}
    todo = iter(tables)
    live: list[_Live | None] = [None] * len(lanes)

    def start(lane: int) -> None:
        table = next(todo, None)
        if table is not None:
            for i, agent in enumerate(lanes[lane]):
                if not batching[i]:
                    agent.reset(derive_seed(table[4], i))
            live[lane] = _Live(table, opening_position(game, table[3], openings))
        else:
            live[lane] = None

    for lane in range(len(lanes)):
        start(lane)
    while any(live):
        actions: dict[int, int] = {}
        batches: dict[int, tuple[Agent, list[int]]] = {}  # by agent object: all its seats in one call
        for lane, g in enumerate(live):
            if g is None:
                continue
            a = g.table[2][slot_of_seat[g.state.current_player]]
            if batching[a]:
                batches.setdefault(id(agents[a]), (agents[a], []))[1].append(lane)
            else:
                actions[lane] = lanes[lane][a].act(g.state)
        for agent, group in batches.values():
            chosen = agent.act_batch([live[k].state for k in group])
            if len(chosen) != len(group):
                raise ValueError(f"{agent.name}: act_batch gave {len(chosen)} actions for {len(group)} states")
            actions.update(zip(group, chosen))
        for lane, action in actions.items():
            g = live[lane]
            g.state.apply(action)
            g.moves += 1
            if g.state.is_terminal():
                index, deck, slots, seed, _ = g.table
                yield GameRecord(index, deck, seed, tuple(slots), tuple(g.state.returns()), g.moves)
                start(lane)


def play_game(game: Game, agents: Sequence[Agent], slots: Sequence[int], seed: int, agent_seed: int) -> GameRecord:
    """One game; ``slots[t]`` is the index in ``agents`` of team slot t's agent."""
    return next(play_lockstep(game, [agents], [(-1, -1, tuple(slots), seed, agent_seed)]))


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


@contextmanager
def _one_thread() -> Iterator[None]:
    """Torch on one thread in this process too, as in the workers: a batched matrix product
    then rounds each row alike whatever the batch (a multi-threaded one splits the work by
    the shape), so ``workers`` and ``batch`` leave the games as they are."""
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    _init_worker()
    try:
        yield
    finally:
        if before is not None:
            torch.set_num_threads(before)


def _tables(jobs: Iterable[tuple[int, int, int]]) -> Iterator[Table]:
    game, agents, seed = _WORKER["game"], _WORKER["agents"], _WORKER["seed"]
    for index, deck, rotation in jobs:
        plan = slot_plan(len(game.info.teams), len(agents), rotation)
        yield index, deck, plan, derive_seed(seed, deck), derive_seed(seed, deck, index, 1)


def _play_jobs(jobs: Sequence[tuple[int, int, int]]) -> Iterator[GameRecord]:
    """Lockstep play of ``jobs`` with this process's lanes (copied on first use, then kept)."""
    if "lanes" not in _WORKER:
        _WORKER["lanes"] = lane_agents(_WORKER["agents"], _WORKER["batch"])
    return play_lockstep(_WORKER["game"], _WORKER["lanes"][:len(jobs)], _tables(jobs), _WORKER["openings"])


def _play_chunk(jobs: Sequence[tuple[int, int, int]]) -> list[GameRecord]:
    return list(_play_jobs(jobs))


def play(
    game: Game,
    agents: Sequence[Agent],
    *,
    games: int | None = None,
    decks: int | None = None,
    seed: int = 0,
    workers: int = 1,
    batch: int | None = None,
    on_result: Callable[[GameRecord], None] | None = None,
    openings: int = 0,
    backend=None,
) -> ArenaResult:
    """Play a match; see the module docstring for seating, seeds and lockstep play.

    ``batch``: games each worker plays at once (default ``DEFAULT_BATCH`` when an agent
    has ``act_batch``, else 1). ``on_result`` sees each record as its game ends (in any
    order); the result holds them in game order. ``openings``: random moves that start
    every deal. ``backend``: a ``selfplay.backends.Backend``; on Ray the chunks are tasks,
    ``workers`` of them at a time, and the games are the same as here."""
    num_slots = len(game.info.teams)
    if not 1 <= len(agents) <= num_slots:
        raise ValueError(f"{game.name} seats 1 to {num_slots} agents ({', '.join(game.info.team_names)}), not {len(agents)}")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if batch is None:
        batch = DEFAULT_BATCH if any(can_batch(a) for a in agents) else 1
    if batch < 1:
        raise ValueError("batch must be at least 1")
    jobs = schedule(num_slots, games, decks)
    workers = min(workers, len(jobs))
    # several chunks per worker (balance, progress), each long enough to keep `batch` games going
    size = len(jobs) if workers == 1 else max(len(jobs) // (workers * 8), min(batch, -(-len(jobs) // workers)))
    if openings < 0:
        raise ValueError("openings must be at least 0")
    _WORKER.update(game=game, agents=list(agents), seed=seed, batch=min(batch, size), openings=openings)
    records: list[GameRecord] = []

    def collect(results: Iterable[GameRecord]) -> None:
        for rec in results:
            records.append(rec)
            if on_result is not None:
                on_result(rec)

    chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    try:
        if backend is not None and backend.is_ray:
            from selfplay.backends.ray_cluster import play_chunks

            for chunk in play_chunks(dict(_WORKER), chunks, workers):
                collect(chunk)
        elif workers == 1:
            with _one_thread():
                collect(_play_jobs(jobs))
        else:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(workers, initializer=_init_worker) as pool:
                for chunk in pool.imap_unordered(_play_chunk, chunks):
                    collect(chunk)
    finally:
        _WORKER.clear()
    records.sort(key=lambda r: r.index)
    return ArenaResult(game.name, [a.name for a in agents], list(game.info.team_names), list(game.info.teams), records)
