"""Play agents against each other and say who is better, with confidence.

Agents are seated by *team slots* (``game.info.teams``: every seat alone in
most games; DouDizhu's landlord vs the two peasants). With k agents and T slots,
rotation r gives slot t to agent ``(t + r) % k`` when k divides T; otherwise
the rotations are every seating that gives each agent a slot (two agents in
DouDizhu with bidding, three seats: each agent alone at each seat, 6
rotations), so every agent holds every slot equally often (``slot_plans``).
R is the number of rotations. Two ways to spend games:

- ``games=N``: game i is a fresh deal (its own seed) with rotation ``i % R``;
- ``decks=N``: each deal is played R times, once per rotation, so every agent
  plays every slot of the same cards and the luck of the deal cancels (the
  evaluation protocol of DouZero's paper).

In games with bidding the landlord is decided by the bids, so the statistics
also say how each agent did in the role it ended up in, how often it became
landlord, what it bid and how many deals were redealt (``ArenaResult.bidding``).

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
import itertools
import math
import multiprocessing
import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
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
    details: dict = field(default_factory=dict)  # the finished state's details() (DouDizhu bidding: landlord, bids)


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


@dataclass(frozen=True)
class Rate:
    """``count`` of ``n`` with its Wilson 95% interval."""

    count: int
    n: int
    rate: float
    low: float
    high: float

    @classmethod
    def of(cls, count: int, n: int) -> "Rate":
        low, high = wilson(count, n)
        return cls(count, n, count / n if n else 0.0, low, high)


ROLES = ("landlord", "peasants")  # the roles a bidding game's seats end up in


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

    @property
    def has_bidding(self) -> bool:
        return any("landlord" in r.details for r in self.records)

    def seats_of(self, record: GameRecord, agent: int) -> list[int]:
        return [s for t, holder in enumerate(record.slots) if holder == agent for s in self.teams[t]]

    def stats(self) -> dict[str, dict[str, Stats]]:
        """Per agent: ``"all"`` and one entry per slot name; with bidding also per role the
        agent ended up in (``landlord``, ``peasants``: the mean return of its seats in that
        role; games that ended without a landlord count in ``all`` only)."""
        bidding = self.has_bidding
        out: dict[str, dict[str, Stats]] = {}
        for a, name in enumerate(self.agents):
            overall: list[float] = []
            per_slot: dict[str, list[float]] = {s: [] for s in self.slot_names}
            per_role: dict[str, list[float]] = {r: [] for r in ROLES} if bidding else {}
            for rec in self.records:
                mine = [t for t, holder in enumerate(rec.slots) if holder == a]
                if not mine:
                    continue
                scores = [self.slot_score(rec, t) for t in mine]
                overall.append(float(np.mean(scores)))
                for t, sc in zip(mine, scores):
                    per_slot[self.slot_names[t]].append(sc)
                landlord = rec.details.get("landlord")
                if bidding and landlord is not None:
                    seats = self.seats_of(rec, a)
                    if landlord in seats:
                        per_role["landlord"].append(rec.returns[landlord])
                    if peasants := [rec.returns[s] for s in seats if s != landlord]:
                        per_role["peasants"].append(float(np.mean(peasants)))
            out[f"{a}:{name}"] = {"all": Stats.of(overall), **{k: Stats.of(v) for k, v in per_slot.items()},
                                  **{k: Stats.of(v) for k, v in per_role.items()}}
        return out

    def bidding(self) -> dict | None:
        """Games with bidding (None without): per agent, how often it became landlord (the
        share of its seats that did) and what it bid (over all its bidding turns, the passes
        of redealt deals included); for the match, the games that needed an all-pass redeal
        and those that ended scoreless (no bid in any deal). Each with its 95% interval."""
        records = [r for r in self.records if "landlord" in r.details]
        if not records:
            return None
        agents = {}
        for a, name in enumerate(self.agents):
            held = landlord = 0
            bids = [0, 0, 0, 0]
            for rec in records:
                seats = self.seats_of(rec, a)
                held += len(seats)
                landlord += rec.details["landlord"] in seats
                for s in seats:
                    bids[0] += rec.details["deals"] - 1  # its pass in every deal that was redealt
                    if rec.details["bids"][s] is not None:
                        bids[rec.details["bids"][s]] += 1
            agents[f"{a}:{name}"] = {"landlord": Rate.of(landlord, held),
                                     "bids": {b: Rate.of(bids[b], sum(bids)) for b in range(4)}}
        return {"agents": agents, "redealt": Rate.of(sum(r.details["deals"] > 1 for r in records), len(records)),
                "scoreless": Rate.of(sum(r.details["landlord"] is None for r in records), len(records))}

    def to_json(self) -> dict:
        return {
            "game": self.game,
            "agents": self.agents,
            "slots": self.slot_names,
            "stats": {k: {s: asdict(v) for s, v in d.items()} for k, d in self.stats().items()},
            **({"bidding": _plain(bidding)} if (bidding := self.bidding()) is not None else {}),
            "games": [asdict(r) for r in self.records],
        }


def _plain(value):
    """Rates as dicts (JSON)."""
    if isinstance(value, Rate):
        return asdict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def derive_seed(*parts: int) -> int:
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1, dtype=np.uint64)[0] >> 1)


def slot_plans(num_slots: int, num_agents: int) -> list[tuple[int, ...]]:
    """The seatings ("rotations") of a deal: the agent holding each team slot. When the agents
    share the slots evenly, the T cyclic rotations, slot t to agent (t + r) % k; otherwise every
    seating that gives each agent a slot (two agents at three seats: each one alone at each
    seat, six seatings). Either way every agent holds every slot equally often."""
    if num_slots % num_agents == 0:
        return [tuple((t + r) % num_agents for t in range(num_slots)) for r in range(num_slots)]
    return [p for p in itertools.product(range(num_agents), repeat=num_slots) if len(set(p)) == num_agents]


def slot_plan(num_slots: int, num_agents: int, rotation: int) -> tuple[int, ...]:
    return slot_plans(num_slots, num_agents)[rotation]


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
                yield GameRecord(index, deck, seed, tuple(slots), tuple(g.state.returns()), g.moves,
                                 g.state.details())
                start(lane)


def play_game(game: Game, agents: Sequence[Agent], slots: Sequence[int], seed: int, agent_seed: int) -> GameRecord:
    """One game; ``slots[t]`` is the index in ``agents`` of team slot t's agent."""
    return next(play_lockstep(game, [agents], [(-1, -1, tuple(slots), seed, agent_seed)]))


def check_agent_count(game: Game, agents: int) -> None:
    """ValueError unless ``game`` seats that many agents (1 to its number of team slots)."""
    slots = len(game.info.teams)
    if not 1 <= agents <= slots:
        raise ValueError(f"{game.name} seats 1 to {slots} agents ({', '.join(game.info.team_names)}), not {agents}")


def schedule(num_slots: int, games: int | None, decks: int | None, num_agents: int | None = None
             ) -> list[tuple[int, int, int]]:
    """(game index, deck, rotation) for every game to play; ``num_agents`` (default: one per
    slot) decides the rotations (``slot_plans``)."""
    if (games is None) == (decks is None):
        raise ValueError("give exactly one of games or decks")
    rotations = len(slot_plans(num_slots, num_agents or num_slots))
    if games is not None:
        if games < 1:
            raise ValueError("games must be at least 1")
        return [(i, i, i % rotations) for i in range(games)]
    if decks < 1:
        raise ValueError("decks must be at least 1")
    return [(d * rotations + r, d, r) for d in range(decks) for r in range(rotations)]


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
    check_agent_count(game, len(agents))
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if batch is None:
        batch = DEFAULT_BATCH if any(can_batch(a) for a in agents) else 1
    if batch < 1:
        raise ValueError("batch must be at least 1")
    jobs = schedule(num_slots, games, decks, len(agents))
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
