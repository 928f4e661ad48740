"""A poker league judged exactly: each snapshot's exploitability and the meta-Nash mixture's.

On games whose whole tree ``selfplay.search.exploitability`` enumerates (Kuhn,
Leduc), the report adds what ratings cannot say: how far each snapshot is from
a Nash equilibrium (its exploitability: NashConv / players, 0 at equilibrium),
and how far the league as a whole is, as PSRO judges it (Lanctot et al. 2017):

1. the meta-game: ``payoff[i, j]`` = snapshot i's mean score against j over
   their rated games (win 1, draw 1/2, loss 0, minus 1/2: antisymmetric);
   pairs that never met take the joint fit's expected score;
2. its Nash mixture ``sigma`` (a symmetric zero-sum matrix game), by regret
   matching+ with linear averaging (as CFR+ does on a game tree);
3. the mixture as one behaviour policy, each information state's probabilities
   weighted by each snapshot's reach (``mixture_policy``), and its exploitability.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from selfplay.agents import load
from selfplay.league.ratings import Fit
from selfplay.league.store import LeagueStore
from selfplay.search.exploitability import DEALS, exploitability, mixture_policy, policy_of


@dataclass(frozen=True)
class MetaNash:
    weights: dict[str, float]  # snapshot -> probability in the Nash mixture
    exploitability: float  # of the reach-weighted mixture policy


def exact_game(store: LeagueStore) -> bool:
    return store.game_name in DEALS


def snapshot_policies(store: LeagueStore, names: Sequence[str]) -> dict[str, object]:
    game = store.make_game()
    return {name: policy_of(load(store.agent_spec(store.player(name)), game)) for name in names}


def exploitabilities(store: LeagueStore, policies: dict[str, object]) -> dict[str, float]:
    game = store.make_game()
    return {name: exploitability(game, policy) for name, policy in policies.items()}


def payoff_matrix(names: Sequence[str], records: dict[tuple, object], fit: Fit | None) -> np.ndarray:
    """``payoff[i, j]``: i's mean score against j minus 1/2 (records: ``report.pair_records``)."""
    n = len(names)
    payoff = np.zeros((n, n))
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if i == j:
                continue
            rec = records.get((a, b))
            if rec is not None and rec.games:
                payoff[i, j] = (rec.wins + rec.draws / 2) / rec.games - 0.5
            elif fit is not None and a in fit.players and b in fit.players:
                payoff[i, j] = fit.expected_score(a, b) - 0.5
    return (payoff - payoff.T) / 2  # exactly antisymmetric (each pair's games seen from both sides)


def meta_nash(payoff: np.ndarray, iterations: int = 20_000) -> np.ndarray:
    """A Nash mixture of the symmetric zero-sum game ``payoff`` (antisymmetric): regret
    matching+ for both sides, alternating, with linearly weighted averages."""
    n = len(payoff)
    regrets = [np.zeros(n), np.zeros(n)]
    average = [np.zeros(n), np.zeros(n)]
    for t in range(1, iterations + 1):
        for side, matrix in ((0, payoff), (1, -payoff.T)):
            strategy = _matching(regrets[side])
            other = _matching(regrets[1 - side])
            values = matrix @ other
            regrets[side] = np.maximum(regrets[side] + values - strategy @ values, 0.0)
            average[side] += t * strategy
    mixture = (average[0] + average[1]) / 2
    return mixture / mixture.sum()


def _matching(regrets: np.ndarray) -> np.ndarray:
    total = regrets.sum()
    return regrets / total if total > 0 else np.full(len(regrets), 1.0 / len(regrets))


def league_meta_nash(store: LeagueStore, names: Sequence[str], policies: dict[str, object],
                     records: dict[tuple, object], fit: Fit | None) -> MetaNash:
    sigma = meta_nash(payoff_matrix(names, records, fit))
    game = store.make_game()
    mixed = mixture_policy(game, [policies[n] for n in names], sigma.tolist())
    return MetaNash({n: float(w) for n, w in zip(names, sigma)}, exploitability(game, mixed))
