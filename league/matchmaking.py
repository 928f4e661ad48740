"""Who the learner plays in self-play games, and at which seats.

A learner that only ever plays its current self can drift into strategies
that beat itself but lose to what it used to beat; playing past snapshots
too keeps those lessons (OpenAI Five, AlphaStar). A matchmaker keeps a pool
of past players (snapshots, and baselines if the loop adds them) and picks
one opponent per game; ``LEARNER`` stands for the learner's current weights.

- ``latest``: always ``LEARNER`` (pure self-play, as DouZero trains).
- ``past`` (OpenAI Five): ``LEARNER`` in 80% of games, else a pool player
  sampled by the softmax of quality scores. A new snapshot starts with the
  best quality in the pool; each time the learner beats player i, q_i drops by
  ``lr / (N p_i)`` (N players, p_i the chance of picking i), so opponents the
  learner now beats are picked less while those it cannot beat stay.
- ``pfsp`` (AlphaStar's prioritised fictitious self-play): pick pool player i
  with weight f(x_i), x_i the learner's recent win rate against i:
  ``hard`` f = (1 - x)^2 (play what you lose to), ``variance`` f = x (1 - x)
  (play who you are even with). Unplayed opponents count as a prior of one
  win and one loss (x = 0.5); old results fade (``decay``) as the learner
  changes.

``update(opponent, learner_score)`` takes the learner's result in [0, 1]
(1 win, 0.5 draw: ``learner_score`` turns seat returns into it).

Seats: ``seating(game, rng)`` says which seats the learner takes, choosing
first a kind of place uniformly, then a seat within it. The kinds are each
team slot whole, and for a slot of several seats also "one of its seats":
DouDizhu gives landlord, both peasants, or one peasant (either seat), a third
each; a game of single seats gives each seat equally. ``table`` combines
seating and opponent: the player at every seat. When the learner holds one
peasant seat, the other peasant is the opponent player, playing as its
teammate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence

import numpy as np

from selfplay.league.ratings import WinsLosses

LEARNER = "learner"  # the learner's current weights, not a stored player


class Matchmaker:
    """Base class: a pool of past players to choose opponents from."""

    name = "base"

    def __init__(self) -> None:
        self.pool: list[Hashable] = []

    def add(self, player: Hashable) -> None:
        """A new past player (a fresh snapshot, or a baseline) joins the pool."""
        if player == LEARNER:
            raise ValueError(f"{LEARNER!r} is the live learner, not a pool player")
        if player not in self.pool:
            self.pool.append(player)

    def choose(self, rng: np.random.Generator) -> Hashable:
        """The opponent of the next game: ``LEARNER`` or a pool player."""
        raise NotImplementedError

    def update(self, opponent: Hashable, learner_score: float) -> None:
        """The learner scored ``learner_score`` (1 win, 0.5 draw, 0 loss) against ``opponent``."""

    def table(self, game, rng: np.random.Generator) -> "Table":
        """Seats and opponent of the next game."""
        learner_seats = seating(game, rng)
        opponent = self.choose(rng)
        seats = tuple(LEARNER if s in learner_seats else opponent for s in range(_num_seats(game)))
        return Table(seats, learner_seats, opponent)


@dataclass(frozen=True)
class Table:
    seats: tuple[Hashable, ...]  # the player at each seat (LEARNER or a pool player)
    learner_seats: tuple[int, ...]
    opponent: Hashable


class Latest(Matchmaker):
    """Pure self-play: the learner at every seat."""

    name = "latest"

    def choose(self, rng: np.random.Generator) -> Hashable:
        return LEARNER


class Past(Matchmaker):
    """OpenAI Five: mostly the latest self, else a past player by quality score."""

    name = "past"

    def __init__(self, latest_share: float = 0.8, learning_rate: float = 0.01) -> None:
        super().__init__()
        if not 0 <= latest_share <= 1:
            raise ValueError("latest_share must be within [0, 1]")
        self.latest_share, self.learning_rate = latest_share, learning_rate
        self.quality: dict[Hashable, float] = {}

    def add(self, player: Hashable) -> None:
        if player not in self.quality:
            self.quality[player] = max(self.quality.values(), default=0.0)
        super().add(player)

    def probabilities(self) -> dict[Hashable, float]:
        """Chance of each pool player when a past one is picked: softmax of quality."""
        q = np.array([self.quality[p] for p in self.pool])
        e = np.exp(q - q.max()) if len(q) else q
        return dict(zip(self.pool, (e / e.sum()).tolist()))

    def choose(self, rng: np.random.Generator) -> Hashable:
        if not self.pool or rng.random() < self.latest_share:
            return LEARNER
        probs = self.probabilities()
        return self.pool[int(rng.choice(len(self.pool), p=list(probs.values())))]

    def update(self, opponent: Hashable, learner_score: float) -> None:
        if opponent not in self.quality or learner_score <= 0.5:
            return  # only a learner's win lowers a quality score
        # p is the chance this opponent was sampled (the 1/p makes the expected drop per
        # game the same for every player); floored so an update far from sampling stays finite
        p = max(self.probabilities()[opponent], 1e-3 / len(self.pool))
        self.quality[opponent] -= self.learning_rate / (len(self.pool) * p)


WEIGHTINGS = {
    "hard": lambda x: (1.0 - x) ** 2,
    "variance": lambda x: x * (1.0 - x),
}


class PFSP(Matchmaker):
    """AlphaStar: past players weighted by f(the learner's win rate against them)."""

    name = "pfsp"

    def __init__(self, weighting: str = "hard", self_play_share: float = 0.0, prior_games: float = 2.0,
                 decay: float = 0.995) -> None:
        super().__init__()
        if weighting not in WEIGHTINGS:
            raise ValueError(f"pfsp weighting {weighting!r}: choose from {', '.join(WEIGHTINGS)}")
        if not 0 <= self_play_share <= 1 or prior_games <= 0 or not 0 < decay <= 1:
            raise ValueError("pfsp needs self_play_share in [0, 1], prior_games > 0 and decay in (0, 1]")
        self.weighting, self.self_play_share = weighting, self_play_share
        self.prior_games, self.decay = prior_games, decay
        self._points: dict[Hashable, float] = {}
        self._games: dict[Hashable, float] = {}

    def win_rate(self, opponent: Hashable) -> float:
        """The learner's recent score against ``opponent``, with the prior's even games."""
        games = self._games.get(opponent, 0.0)
        return (self._points.get(opponent, 0.0) + 0.5 * self.prior_games) / (games + self.prior_games)

    def probabilities(self) -> dict[Hashable, float]:
        f = WEIGHTINGS[self.weighting]
        w = np.array([f(self.win_rate(p)) for p in self.pool], dtype=float)
        if not len(w):
            return {}
        w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1.0 / len(w))
        return dict(zip(self.pool, w.tolist()))

    def choose(self, rng: np.random.Generator) -> Hashable:
        if not self.pool or rng.random() < self.self_play_share:
            return LEARNER
        probs = self.probabilities()
        return self.pool[int(rng.choice(len(self.pool), p=list(probs.values())))]

    def update(self, opponent: Hashable, learner_score: float) -> None:
        if opponent == LEARNER:
            return
        self._points[opponent] = self.decay * self._points.get(opponent, 0.0) + learner_score
        self._games[opponent] = self.decay * self._games.get(opponent, 0.0) + 1.0

    def load_records(self, records: Mapping[Hashable, WinsLosses]) -> None:
        """Start from known results (e.g. ``ratings.records_against(results, latest)``),
        as a resumed league does."""
        for opponent, r in records.items():
            self._points[opponent] = r.wins + 0.5 * r.draws
            self._games[opponent] = float(r.wins + r.losses + r.draws)


STRATEGIES: dict[str, type[Matchmaker]] = {"latest": Latest, "past": Past, "pfsp": PFSP}


def make_matchmaker(name: str, **options) -> Matchmaker:
    """``latest``, ``past`` or ``pfsp`` with its options (e.g. ``weighting="variance"``)."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown matchmaking {name!r}; choose from {', '.join(STRATEGIES)}")
    return STRATEGIES[name](**options)


# ---- seats -----------------------------------------------------------------------------
def _teams(game) -> tuple[tuple[int, ...], ...]:
    return getattr(game, "info", game).teams


def _num_seats(game) -> int:
    return sum(len(t) for t in _teams(game))


def seating_options(game) -> list[list[tuple[int, ...]]]:
    """The kinds of place the learner can take, each a list of equally likely seat sets:
    every team slot whole, and one seat of each slot that has several."""
    kinds = [[tuple(team)] for team in _teams(game)]
    kinds += [[(seat,) for seat in team] for team in _teams(game) if len(team) > 1]
    return kinds


def seating(game, rng: np.random.Generator) -> tuple[int, ...]:
    """The seats the learner takes in the next game (see the module docstring)."""
    kinds = seating_options(game)
    kind = kinds[int(rng.integers(len(kinds)))]
    return kind[int(rng.integers(len(kind)))]


def learner_score(returns: Sequence[float], learner_seats: Sequence[int]) -> float:
    """The learner's result for ``update``: 1 if its seats' mean return is positive,
    0.5 if zero, 0 if negative."""
    mean = sum(returns[s] for s in learner_seats) / len(learner_seats)
    return 1.0 if mean > 0 else 0.5 if mean == 0 else 0.0
