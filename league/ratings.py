"""Who is stronger, and how sure: one joint Bradley-Terry fit on the Elo scale.

Every result between two team slots is a comparison: the slot with the higher
score wins, equal scores are a draw (half a win). The model says slot i beats
slot j with probability ``1 / (1 + 10 ** (-(s_i - s_j) / 400))`` where a slot's
strength ``s`` is the mean rating of the players at its seats plus the
*role advantage* of that slot. Fitting all results at once (rather than Elo's
update one game at a time) gives ratings that do not depend on the order of
the games, and their 95% intervals from the observed Fisher information.

Roles. A slot is a role (``game.info.team_names``: DouDizhu's ``landlord``
and ``peasants``; ``seat 0`` / ``seat 1`` of a board game). The landlord
wins less often between equal players, and the first player of connect4 more
often; the role advantage absorbs that, so a player's overall rating is one
strength whatever the role it played, and an evaluation that did not swap
roles evenly is not distorted. Teammates share the result: both peasants
count the slot's outcome. Per-role ratings come from a second fit where each
(player, role) has its own rating, the anchor rated 0 in every role: "how
much better than ``random`` as landlord".

Games of more than two slots give a comparison per pair of slots, each
weighted 1 / (slots - 1) so that a game is not counted as many independent
games.

The fit is a maximum a posteriori estimate, by Newton's method (the problem
is concave and small: one parameter per player and role). A Gaussian prior
keeps a player who won every game finite: ratings spread around their own
mean with standard deviation ``prior_sd`` (1000 Elo: about an eighth of the
evidence of one even game), role advantages around 0 with ``role_prior_sd``
(400).
The prior is centred on the players' mean, not on the anchor, so moving the
anchor only shifts every rating. Intervals are relative to the anchor (whose
own interval is zero width); ``Fit.difference_sd`` gives the uncertainty of
any pair, for an evaluation scheduler that plays where it is largest.

``likelihood_of_superiority`` and ``sprt`` answer "is the newest snapshot
stronger than the best so far" from their head-to-head games, as chess
engine testing does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Hashable, Iterable, Sequence

import numpy as np

ELO_SCALE = 400.0
NATS_PER_ELO = math.log(10) / ELO_SCALE
Z95 = 1.959963984540054
DEFAULT_PRIOR_SD = 1000.0
DEFAULT_ROLE_PRIOR_SD = 400.0


@dataclass(frozen=True)
class Result:
    """One finished game: the players at the seats of each slot, and each slot's score
    (its seats' mean return); only the order of the scores matters."""

    slots: tuple[tuple[Hashable, ...], ...]
    scores: tuple[float, ...]

    def outcome(self, i: int, j: int) -> float:
        """1 if slot i beat slot j, 0.5 for a draw, 0 for a loss."""
        return 1.0 if self.scores[i] > self.scores[j] else 0.5 if self.scores[i] == self.scores[j] else 0.0


@dataclass(frozen=True)
class Rating:
    """An Elo estimate with its 95% interval; ``games`` against others and the mean
    ``score`` in them (1 win, 0.5 draw)."""

    elo: float
    low: float
    high: float
    games: int
    score: float

    @property
    def sd(self) -> float:
        return (self.high - self.low) / (2 * Z95)


@dataclass(frozen=True)
class WinsLosses:
    wins: int
    losses: int
    draws: int

    @property
    def games(self) -> int:
        return self.wins + self.losses + self.draws

    @property
    def score(self) -> float:
        return (self.wins + 0.5 * self.draws) / self.games if self.games else 0.5


@dataclass
class Fit:
    """Overall ratings (``players``), per-role ratings (``by_role[role][player]``) and
    the role advantages (centred: they sum to zero), all anchored at ``anchor`` = 0."""

    anchor: Hashable
    roles: tuple[str, ...]
    players: dict[Hashable, Rating]
    by_role: dict[str, dict[Hashable, Rating]]
    role_advantage: dict[str, Rating]
    results: int
    covariance: np.ndarray = field(repr=False)  # of the overall ratings, in the order of ``players``

    def ranking(self) -> list[Hashable]:
        """Players from strongest to weakest."""
        return sorted(self.players, key=lambda p: -self.players[p].elo)

    def difference_sd(self, a: Hashable, b: Hashable) -> float:
        """Standard deviation of elo(a) - elo(b): how unsure the fit is about this pair."""
        index = {p: k for k, p in enumerate(self.players)}
        i, j = index[a], index[b]
        var = self.covariance[i, i] + self.covariance[j, j] - 2 * self.covariance[i, j]
        return math.sqrt(max(var, 0.0))

    def expected_score(self, a: Hashable, b: Hashable) -> float:
        """a's expected score against b over role-swapped games."""
        return elo_to_score(self.players[a].elo - self.players[b].elo)


def elo_to_score(diff: float) -> float:
    return 1.0 / (1.0 + 10.0 ** (-diff / ELO_SCALE))


def fit(results: Sequence[Result], *, anchor: Hashable = "random", roles: Sequence[str] | None = None,
        prior_sd: float = DEFAULT_PRIOR_SD, role_prior_sd: float = DEFAULT_ROLE_PRIOR_SD,
        per_role: bool = True) -> Fit:
    """The joint fit of ``results`` (see the module docstring). ``roles``: a name per
    slot (default ``slot 0``, ...). ValueError if the anchor played no game."""
    results = list(results)
    num_slots = len(results[0].slots) if results else len(roles or ())
    roles = tuple(roles) if roles is not None else tuple(f"slot {t}" for t in range(num_slots))
    if any(len(r.slots) != len(roles) or len(r.scores) != len(roles) for r in results):
        raise ValueError(f"every result needs {len(roles)} slots and scores ({', '.join(roles)})")
    tally = _tally(results, len(roles))
    seated = {(p, t) for r in results for t, slot in enumerate(r.slots) for p in slot}
    if not tally.games.get(anchor):
        raise ValueError(f"anchor {anchor!r} played no game against another player; it fixes the scale's zero")
    players = sorted({p for p, _ in seated}, key=lambda p: (p != anchor, str(p)))

    theta, cov, bias, bias_cov = _fit_entities(results, roles, players, lambda p, t: p, {anchor},
                                               [players], prior_sd, role_prior_sd)
    overall = {p: _rating(theta[k], cov[k, k], tally.games.get(p, 0), tally.score(p))
               for k, p in enumerate(players)}
    centre = np.eye(len(roles)) - 1.0 / len(roles)  # advantages relative to the mean role
    adv, adv_cov = centre @ bias, centre @ bias_cov @ centre.T
    advantage = {role: _rating(adv[t], adv_cov[t, t], tally.role_games[t], tally.role_score(t))
                 for t, role in enumerate(roles)}

    by_role: dict[str, dict[Hashable, Rating]] = {}
    if per_role:
        pairs = [(p, t) for t in range(len(roles)) for p in players if (p, t) in seated]
        fixed = {(anchor, t) for t in range(len(roles))}
        # each role's prior group holds its anchor, so a role with one player is still regularised
        groups = [[(anchor, t)] + [e for e in pairs if e[1] == t and e[0] != anchor] for t in range(len(roles))]
        theta_r, cov_r, _, _ = _fit_entities(results, roles, pairs, lambda p, t: (p, t), fixed, groups,
                                             prior_sd, role_prior_sd)
        by_role = {role: {} for role in roles}
        for k, (p, t) in enumerate(pairs):
            by_role[roles[t]][p] = _rating(theta_r[k], cov_r[k, k], tally.games.get((p, t), 0),
                                           tally.score((p, t)))
    return Fit(anchor, roles, overall, by_role, advantage, len(results), cov)


def _rating(elo: float, var: float, games: int, score: float) -> Rating:
    half = Z95 * math.sqrt(max(var, 0.0))
    return Rating(float(elo), float(elo - half), float(elo + half), int(games), float(score))


class _Tally:
    """Games and score per player and per (player, role): the results a player had an
    opponent in, the outcome counted for each teammate."""

    def __init__(self) -> None:
        self.games: dict[Hashable, int] = {}
        self.points: dict[Hashable, float] = {}
        self.weight: dict[Hashable, float] = {}
        self.role_games: dict[int, int] = {}
        self.role_points: dict[int, float] = {}

    def add(self, key: Hashable, points: float, weight: float) -> None:
        self.points[key] = self.points.get(key, 0.0) + points * weight
        self.weight[key] = self.weight.get(key, 0.0) + weight

    def score(self, key: Hashable) -> float:
        return self.points[key] / self.weight[key] if self.weight.get(key) else 0.5

    def role_score(self, t: int) -> float:
        return self.role_points[t] / self.role_games[t] if self.role_games.get(t) else 0.5


def _tally(results: Iterable[Result], num_slots: int) -> _Tally:
    tally = _Tally()
    pair_weight = 1.0 / max(num_slots - 1, 1)
    for r in results:
        members = [set(slot) for slot in r.slots]
        counted: set[Hashable] = set()
        for i in range(num_slots):
            tally.role_games[i] = tally.role_games.get(i, 0) + 1
            tally.role_points[i] = tally.role_points.get(i, 0.0) + sum(
                r.outcome(i, j) for j in range(num_slots) if j != i) * pair_weight
            for j in range(num_slots):
                if j == i:
                    continue
                for p in members[i] - members[j]:
                    tally.add(p, r.outcome(i, j), pair_weight)
                    tally.add((p, i), r.outcome(i, j), pair_weight)
                    if (p, i) not in counted:
                        counted.add((p, i))
                        tally.games[p, i] = tally.games.get((p, i), 0) + 1
                    if p not in counted:
                        counted.add(p)
                        tally.games[p] = tally.games.get(p, 0) + 1
    return tally


def _fit_entities(results, roles, entities, entity_of, fixed, prior_groups, prior_sd, role_prior_sd):
    """MAP ratings of ``entities`` (``entity_of(player, slot)`` names the one at a seat)
    and of the role biases (slot 0's fixed at 0). Returns entity ratings with their
    covariance, and the bias vector (one per slot) with its covariance."""
    column = {e: k for k, e in enumerate(e for e in entities if e not in fixed)}
    num_free = len(column)
    num_params = num_free + len(roles) - 1
    rows: dict[tuple, list[float]] = {}  # design row -> [points, weight]
    pair_weight = 1.0 / max(len(roles) - 1, 1)
    for r in results:
        for i in range(len(roles)):
            for j in range(i + 1, len(roles)):
                coef: dict[int, float] = {}
                for slot, sign in ((i, 1.0), (j, -1.0)):
                    for p in r.slots[slot]:
                        k = column.get(entity_of(p, slot))
                        if k is not None:
                            coef[k] = coef.get(k, 0.0) + sign / len(r.slots[slot])
                    if slot > 0:
                        coef[num_free + slot - 1] = coef.get(num_free + slot - 1, 0.0) + sign
                key = tuple(sorted((k, c) for k, c in coef.items() if abs(c) > 1e-12))
                if key:
                    acc = rows.setdefault(key, [0.0, 0.0])
                    acc[0] += r.outcome(i, j) * pair_weight
                    acc[1] += pair_weight
    design = np.zeros((len(rows), num_params))
    for n, key in enumerate(rows):
        for k, c in key:
            design[n, k] = c
    points = np.array([v[0] for v in rows.values()])
    weight = np.array([v[1] for v in rows.values()])

    prior = np.zeros((num_params, num_params))
    for group in prior_groups:  # sum over the group of (r - mean r)^2 / sd^2, fixed members at 0
        size = len(group)
        idx = [column[e] for e in group if e in column]
        if size:
            prior[np.ix_(idx, idx)] += (np.eye(len(idx)) - 1.0 / size) / prior_sd ** 2
    prior[num_free:, num_free:] += np.eye(len(roles) - 1) / role_prior_sd ** 2

    theta, cov = _newton(design, points, weight, prior)
    full = np.zeros(len(entities))
    full_cov = np.zeros((len(entities), len(entities)))
    free_idx = [k for k, e in enumerate(entities) if e in column]
    full[free_idx] = theta[:num_free]
    full_cov[np.ix_(free_idx, free_idx)] = cov[:num_free, :num_free]
    bias = np.concatenate([[0.0], theta[num_free:]])
    bias_cov = np.zeros((len(roles), len(roles)))
    bias_cov[1:, 1:] = cov[num_free:, num_free:]
    return full, full_cov, bias, bias_cov


def _newton(design: np.ndarray, points: np.ndarray, weight: np.ndarray, prior: np.ndarray,
            max_iter: int = 200, tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Maximise sum(points log p + (weight - points) log(1 - p)) - theta' prior theta / 2
    with p = logistic(design theta in Elo); damped Newton steps (the objective is concave)."""
    theta = np.zeros(design.shape[1])

    def objective(t: np.ndarray) -> float:
        z = NATS_PER_ELO * (design @ t)
        return float(-(points * np.logaddexp(0, -z)).sum() - ((weight - points) * np.logaddexp(0, z)).sum()
                     - 0.5 * t @ prior @ t)

    def info(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = 1.0 / (1.0 + np.exp(-NATS_PER_ELO * (design @ t)))
        grad = NATS_PER_ELO * design.T @ (points - weight * p) - prior @ t
        hess = NATS_PER_ELO ** 2 * (design.T * (weight * p * (1 - p))) @ design + prior
        return grad, hess

    current = objective(theta)
    for _ in range(max_iter):
        grad, hess = info(theta)
        step = np.linalg.solve(hess, grad)
        size = 1.0
        while size > 1e-6:
            trial = objective(theta + size * step)
            if trial >= current - 1e-12:
                break
            size /= 2
        theta, current = theta + size * step, trial
        if np.max(np.abs(size * step), initial=0.0) < tol:
            break
    return theta, np.linalg.inv(info(theta)[1])


# ---- newest vs best: head-to-head tests ---------------------------------------------------
def records_against(results: Iterable[Result], player: Hashable) -> dict[Hashable, WinsLosses]:
    """``player``'s wins, losses and draws against each opponent it met in another slot."""
    counts: dict[Hashable, list[int]] = {}
    for r in results:
        for i, slot in enumerate(r.slots):
            if player not in slot:
                continue
            for j, other in enumerate(r.slots):
                if j == i or player in other:
                    continue
                outcome = r.outcome(i, j)
                for opponent in set(other):
                    c = counts.setdefault(opponent, [0, 0, 0])
                    c[0 if outcome == 1 else 1 if outcome == 0 else 2] += 1
    return {k: WinsLosses(*v) for k, v in counts.items()}


def head_to_head(results: Iterable[Result], a: Hashable, b: Hashable) -> WinsLosses:
    """a's record against b."""
    return records_against(results, a).get(b, WinsLosses(0, 0, 0))


def likelihood_of_superiority(wins: int, losses: int, draws: int = 0) -> float:
    """Probability that the player is the stronger, given its wins and losses (draws say
    nothing): Phi((w - l) / sqrt(w + l)); 0.5 before any decisive game."""
    if wins + losses == 0:
        return 0.5
    return 0.5 * (1.0 + math.erf((wins - losses) / math.sqrt(2.0 * (wins + losses))))


@dataclass(frozen=True)
class SPRT:
    llr: float
    lower: float  # accept H0 (not stronger by elo1) at or below
    upper: float  # accept H1 (stronger by elo1) at or above
    verdict: str  # "stronger", "not stronger" or "undecided"
    games: int


def sprt(wins: int, losses: int, draws: int = 0, *, elo0: float = 0.0, elo1: float = 20.0,
         alpha: float = 0.05, beta: float = 0.05) -> SPRT:
    """Sequential probability ratio test of H0: elo = elo0 against H1: elo = elo1.

    The log-likelihood ratio is the normal approximation chess engine testing uses
    (a generalised SPRT on the mean score): n (s1 - s0) (2 s - s0 - s1) / (2 var), with
    s the mean score, var its per-game variance, s0 and s1 the scores the hypotheses
    expect. When var is 0 (all wins, say) the Bernoulli variance halfway between the
    hypotheses stands in for it, so the test still moves."""
    lower, upper = math.log(beta / (1 - alpha)), math.log((1 - beta) / alpha)
    n = wins + losses + draws
    if n == 0:
        return SPRT(0.0, lower, upper, "undecided", 0)
    s = (wins + 0.5 * draws) / n
    var = (wins * (1 - s) ** 2 + draws * (0.5 - s) ** 2 + losses * s ** 2) / n
    s0, s1 = elo_to_score(elo0), elo_to_score(elo1)
    if var == 0:
        mid = (s0 + s1) / 2
        var = mid * (1 - mid)
    llr = n * (s1 - s0) * (2 * s - s0 - s1) / (2 * var)
    verdict = "stronger" if llr >= upper else "not stronger" if llr <= lower else "undecided"
    return SPRT(llr, lower, upper, verdict, n)


@dataclass(frozen=True)
class Superiority:
    record: WinsLosses  # challenger vs champion
    los: float
    test: SPRT


def superiority(results: Iterable[Result], challenger: Hashable, champion: Hashable,
                **sprt_options: float) -> Superiority:
    """Is ``challenger`` (the newest snapshot) stronger than ``champion`` (the best so far)?"""
    record = head_to_head(results, challenger, champion)
    return Superiority(record, likelihood_of_superiority(record.wins, record.losses, record.draws),
                       sprt(record.wins, record.losses, record.draws, **sprt_options))

