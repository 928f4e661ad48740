"""The Gumbel root: policy improvement with few simulations (Danihelka et al., ICLR 2022).

``PUCTConfig(root="gumbel")`` makes ``PUCT`` search its root as Gumbel
MuZero does (DeepMind's ``mctx``: ``gumbel_muzero_policy``); every other node
keeps sampled PUCT as it is (``puct``), not mctx's deterministic interior
selection. With ``logits = log pi`` (the evaluator's prior over the legal
actions), ``N(a)`` the root visits of ``a`` and ``q(a)`` the mover's mean
value through it (max^n: the mover's own entry of the value vectors):

1. **Gumbel-top-k.** ``g(a)`` i.i.d. Gumbel(0, 1) (times ``gumbel_scale``);
   the ``m = min(gumbel_m, legal)`` actions of largest ``g(a) + logits(a)``
   are the root's children, the only actions searched.
2. **Sequential halving** over the budget of ``n`` simulations (the root's own
   evaluation comes first and is not counted, as mctx's ``root_fn``):
   ``considered_visits(m, n)`` says, for each simulation, how many visits an
   action must have to be chosen, and among those the simulation takes the
   largest ``g + logits + sigma(completed_q)``. So every remaining action gets
   ``max(1, floor(n / (ceil(log2 m) * remaining)))`` visits per phase, then
   half of them (at least two) go on, the better by that score, picked one at
   a time with the scores of the moment (exactly mctx's
   ``gumbel_muzero_root_action_selection``); the phases stop when ``n`` is
   spent.
3. **The move**: among the actions with the most visits, the largest
   ``g + logits + sigma(completed_q)``: random through ``g`` (the paper's
   Gumbel-max argument: an improvement on the prior in expectation, for
   correct Q), deterministic with ``gumbel_scale=0``.
4. **The policy target** ``softmax(logits + sigma(completed_q))`` over every
   legal action (mctx's ``action_weights``), with mctx's
   ``qtransform_completed_by_mix_value`` (``use_mixed_value=True``,
   ``rescale_values=True``):

       v_mix = (v_hat + sum_b N(b) * sum_{b: N(b)>0} pi(b) q(b) / sum_{b: N(b)>0} pi(b)) / (1 + sum_b N(b))
       completed_q(a) = q(a) if N(a) > 0 else v_mix
       rescaled(a) = (completed_q(a) - min completed_q) / max(max completed_q - min completed_q, 1e-8)
       sigma(a) = (c_visit + max_b N(b)) * c_scale * rescaled(a)

   ``v_hat`` is the evaluator's value of the root for the mover, ``pi`` the
   prior (floored at the smallest positive float, as mctx does). The min and
   max run over the legal actions (mctx's padded action space would add
   ``v_mix`` for its invalid actions too). Defaults ``c_visit = 50``,
   ``c_scale = 0.1`` (mctx's ``maxvisit_init`` and ``value_scale``).

Batching: a simulation waiting for its leaf counts in ``N`` for the schedule
(so a batch of leaves follows it as one leaf at a time would, but for the
values not yet backed up); ``sigma`` uses backed-up visits only.
Imperfect information: ISMCTS keys the root by the mover's information state,
whose legal actions every world shares, so the Gumbel root works unchanged.
PIMC (``GumbelPIMC``): every world runs its own Gumbel root with **one shared
``g``**; the worlds combine as ``determinize.PIMC`` combines them (summed
visits, or one vote per world), and the target uses the mean prior, the
summed visits ``N`` and the **mean of the worlds' completed Q** (each world's
own ``v_mix`` for the actions it left unvisited), rescaled and scaled as
above. With one world it is that world's own search.
A Gumbel root starts every search afresh (``reuse`` does not apply to it:
sequential halving needs the root's visits to start at zero), and Dirichlet
noise does not apply either (the Gumbel noise explores).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from selfplay.games.base import State
from selfplay.search.beliefs import sample_worlds
from selfplay.search.determinize import PIMC, PIMCResult, tally
from selfplay.search.mcts import SearchResult

TINY = float(np.finfo(float).tiny)
EPSILON = 1e-8
"""The smallest denominator of the rescaling (mctx's ``epsilon``)."""


# ---- the formulas ---------------------------------------------------------------------------
def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(np.asarray(logits, dtype=float) - np.max(logits))
    return z / z.sum()


def considered_visits(m: int, n: int) -> tuple[int, ...]:
    """Sequential halving's schedule (mctx's ``get_sequence_of_considered_visits``): for
    each of ``n`` simulations over ``m`` actions, the visit count the chosen action has."""
    if m <= 1:
        return tuple(range(n))
    phases = math.ceil(math.log2(m))
    sequence: list[int] = []
    width, visits = m, 0  # the first ``width`` actions all have ``visits`` visits
    while len(sequence) < n:
        for _ in range(max(1, n // (phases * width))):
            sequence.extend([visits] * width)
            visits += 1
        width = max(2, width // 2)
    return tuple(sequence[:n])


def mixed_value(value: float, logits: np.ndarray, visits: np.ndarray, q: np.ndarray) -> float:
    """``v_mix``: the value estimate ``value`` mixed with the prior-weighted mean Q of the
    visited actions, weighted by the visits (Danihelka et al., appendix D)."""
    visits = np.asarray(visits, dtype=float)
    visited = visits > 0
    if not visited.any():
        return float(value)
    prior = np.maximum(softmax(logits), TINY)[visited]
    total = visits.sum()
    weighted = float(np.sum(prior * np.asarray(q, dtype=float)[visited]) / prior.sum())
    return (float(value) + total * weighted) / (total + 1.0)


def completed_q(value: float, logits: np.ndarray, visits: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Q of the visited actions, ``v_mix`` for the others."""
    visits = np.asarray(visits)
    return np.where(visits > 0, np.asarray(q, dtype=float), mixed_value(value, logits, visits, q))


def sigma(completed: np.ndarray, visits: np.ndarray, c_visit: float = 50.0, c_scale: float = 0.1,
          value_range: tuple[float, float] | None = None) -> np.ndarray:
    """``(c_visit + max N) * c_scale`` times the completed Q rescaled to [0, 1]: by its min and
    max (mctx), or by the game's ``value_range`` of returns when given (so the step shrinks with
    the gap between the actions' values instead of always spanning [0, 1])."""
    completed = np.asarray(completed, dtype=float)
    lo, hi = (completed.min(), completed.max()) if value_range is None else value_range
    rescaled = np.clip((completed - lo) / max(hi - lo, EPSILON), 0.0, 1.0)
    return (c_visit + float(np.max(visits))) * c_scale * rescaled


def improved_policy(logits: np.ndarray, visits: np.ndarray, q: np.ndarray, value: float,
                    c_visit: float = 50.0, c_scale: float = 0.1, value_range: tuple[float, float] | None = None,
                    magnet: float = 0.0) -> np.ndarray:
    """The policy target ``softmax(logits + sigma(completed_q))`` (arrays over the legal actions;
    ``q`` is read only where ``visits > 0``); ``magnet`` > 0 divides the exponent by ``1 + magnet``."""
    logits = np.asarray(logits, dtype=float)
    return regularised(logits, sigma(completed_q(value, logits, visits, q), visits, c_visit, c_scale, value_range),
                       magnet)


def value_range(config, game) -> tuple[float, float] | None:
    """The range sigma rescales Q by: the game's declared returns (``rescale="range"``), or
    None for the root's own min and max (mctx)."""
    return game.info.return_range if config.rescale == "range" else None


def regularised(logits: np.ndarray, sig: np.ndarray, magnet: float) -> np.ndarray:
    """``softmax((logits + sigma) / (1 + magnet))``: magnetic mirror descent's step toward the
    uniform magnet (Sokota et al., ICLR 2023; the plain target at 0). In a zero-sum game the
    plain step makes the policy circle the equilibrium; the magnet damps the circling."""
    return softmax((np.asarray(logits, dtype=float) + sig) / (1.0 + magnet))


def prior_logits(prior: np.ndarray) -> np.ndarray:
    """``log pi`` of a prior normalised over the legal actions, zeros floored (uniform if all zero)."""
    prior = np.asarray(prior, dtype=float)
    total = prior.sum()
    prior = prior / total if total > 0 else np.full(prior.shape, 1.0 / max(prior.size, 1))
    return np.log(np.maximum(prior, TINY))


# ---- the root during a search ------------------------------------------------------------------
@dataclass(frozen=True)
class RootStatistics:
    """A Gumbel root at the end of a search, arrays aligned with ``actions`` (every legal action)."""

    actions: tuple[int, ...]
    logits: np.ndarray
    gumbel: np.ndarray
    visits: np.ndarray
    q: np.ndarray | None
    """Mover's mean value per action (0 where unvisited); None for PIMC's combination."""
    value: float | None
    """``v_hat``: the evaluator's value of the root for the mover; None for PIMC's combination."""
    completed_q: np.ndarray
    sigma: np.ndarray
    target: np.ndarray
    """``softmax(logits + sigma)``."""

    def as_dict(self, values: np.ndarray) -> dict[int, float]:
        return dict(zip(self.actions, np.asarray(values, dtype=float).tolist()))


@dataclass
class GumbelResult(SearchResult):
    """A search with a Gumbel root: ``counts`` (visits per searched action) as before, plus
    ``target``, the improved policy over every legal action, and the root's ``statistics``."""

    target: dict[int, float]
    statistics: RootStatistics


class GumbelRoot:
    """Sequential halving at one search's root (``PUCT`` drives it; see the module docstring).

    ``actions``, ``prior`` and ``gumbel`` are aligned (the root state's legal actions);
    ``simulations`` is the budget ``n``. ``chosen`` records the root action of each
    simulation, in order."""

    def __init__(self, actions: Sequence[int], prior: np.ndarray, gumbel: np.ndarray, m: int, simulations: int,
                 c_visit: float, c_scale: float, value_range: tuple[float, float] | None = None,
                 magnet: float = 0.0) -> None:
        self.value_range, self.magnet = value_range, magnet
        self.actions = tuple(int(a) for a in actions)
        self.logits = prior_logits(prior)
        self.gumbel = np.asarray(gumbel, dtype=float)
        if self.gumbel.shape != self.logits.shape:
            raise ValueError(f"GumbelRoot: {self.gumbel.shape[0]} Gumbel draws for {len(self.actions)} actions")
        self.c_visit, self.c_scale = c_visit, c_scale
        width = min(m, len(self.actions))
        order = np.argsort(-(self.gumbel + self.logits), kind="stable")[:width]
        self.considered = [int(i) for i in order]
        """Indices of the searched actions, by decreasing ``g + logits``."""
        self.schedule = considered_visits(width, simulations)
        self.value: float | None = None
        self.player: int | None = None
        self.chosen: list[int] = []

    def _statistics(self, root) -> tuple[np.ndarray, np.ndarray]:
        visits, q = np.zeros(len(self.actions)), np.zeros(len(self.actions))
        p = self.player
        for i in self.considered:
            child = root.children[self.actions[i]]
            if child.visits:
                visits[i], q[i] = child.visits, child.value_sum[p] / child.visits
        return visits, q

    def _sigma(self, root) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        visits, q = self._statistics(root)
        value = self.value if self.value is not None else 0.0
        completed = completed_q(value, self.logits, visits, q)
        return visits, q, completed, sigma(completed, visits, self.c_visit, self.c_scale, self.value_range)

    def _best(self, root, indices: list[int]) -> int:
        scores = self.gumbel + self.logits + self._sigma(root)[3]
        return max(indices, key=lambda i: scores[i])  # first of equals: the higher g + logits

    def select(self, root) -> int:
        """The action of the next simulation: of those with the visit count the schedule
        names (pending simulations included), the best by ``g + logits + sigma``."""
        children = root.children
        counts = {i: children[self.actions[i]].visits + children[self.actions[i]].pending for i in self.considered}
        started = sum(counts.values())
        if started < len(self.schedule):
            want = self.schedule[started]
            candidates = [i for i in self.considered if counts[i] == want]
        else:  # past the budget (not reached by PUCT): the least visited
            candidates = []
        if not candidates:
            fewest = min(counts.values())
            candidates = [i for i in self.considered if counts[i] == fewest]
        action = self.actions[self._best(root, candidates)]
        self.chosen.append(action)
        return action

    def result(self, root, simulations: int) -> GumbelResult:
        """The move (most visited, then best by ``g + logits + sigma``), the target and the statistics."""
        visits, q, completed, sig = self._sigma(root)
        most = max(visits[i] for i in self.considered)
        action = self.actions[self._best(root, [i for i in self.considered if visits[i] == most])]
        target = regularised(self.logits, sig, self.magnet)
        stats = RootStatistics(self.actions, self.logits, self.gumbel, visits, q, self.value, completed, sig, target)
        return GumbelResult(root=root, action=action, simulations=simulations, target=stats.as_dict(target),
                            statistics=stats)


# ---- PIMC: one Gumbel root per world, one shared g ------------------------------------------------
@dataclass
class GumbelPIMCResult(PIMCResult):
    """``PIMCResult`` plus the combined ``target`` over every legal action and its ``statistics``."""

    target: dict[int, float]
    statistics: RootStatistics


def combine_worlds(worlds: Sequence[RootStatistics], c_visit: float, c_scale: float,
                   value_range: tuple[float, float] | None = None, magnet: float = 0.0) -> RootStatistics:
    """One root from the worlds' Gumbel roots (same actions, same ``g``): the mean prior,
    summed visits, the mean completed Q, and ``sigma`` and the target from those."""
    first = worlds[0]
    for w in worlds[1:]:
        if w.actions != first.actions:
            raise ValueError("GumbelPIMC: worlds disagree on the root's legal actions")
    prior = np.mean([softmax(w.logits) for w in worlds], axis=0)
    logits = np.log(np.maximum(prior, TINY))
    visits = np.sum([w.visits for w in worlds], axis=0)
    completed = np.mean([w.completed_q for w in worlds], axis=0)
    sig = sigma(completed, visits, c_visit, c_scale, value_range)
    return RootStatistics(first.actions, logits, first.gumbel, visits, None, None, completed, sig,
                          regularised(logits, sig, magnet))


class GumbelPIMC(PIMC):
    """``PIMC`` whose worlds search with a Gumbel root sharing one ``g`` (``config.root`` must
    be ``"gumbel"``; with ``"puct"`` it is plain ``PIMC``). ``combine="visits"``: among the
    actions of most summed visits, the best ``g + logits + sigma`` of the combination;
    ``"votes"``: each world's move is a vote, ties to summed visits, then to that score."""

    def search(self, state: State, simulations: int | None = None) -> PIMCResult:
        if self.config.root != "gumbel":
            return super().search(state, simulations)
        from selfplay.search.puct import PUCT, search_batched  # puct imports this module when it needs it

        if state.is_terminal():
            raise ValueError(f"{state.game.name}: cannot search from a terminal state")
        observer = state.current_player
        worlds = sample_worlds(state, observer, self._rng, self.worlds, self.evaluator, self.config.beliefs)
        seeds = self._rng.integers(2**63, size=len(worlds))
        legal = worlds[0].legal_actions()  # the observer's own actions: the same in every world
        g = self._rng.gumbel(size=len(legal)) * self.config.gumbel_scale
        searches = [PUCT(self.evaluator, self.config, rng=int(seed), mode="perfect") for seed in seeds]
        for search in searches:
            search.root_gumbel = dict(zip(legal, g.tolist()))
        results = search_batched(searches, worlds, simulations)
        cfg = self.config
        combined = combine_worlds([r.statistics for r in results], cfg.c_visit, cfg.c_scale,
                                  value_range(cfg, state.game), cfg.magnet)
        counts, votes = tally(results)
        index = {a: i for i, a in enumerate(combined.actions)}
        score = combined.gumbel + combined.logits + combined.sigma
        if self.combine == "votes":
            action = max(votes, key=lambda a: (votes[a], counts.get(a, 0), score[index[a]]))
        else:
            most = max(counts.values())
            action = max((a for a in counts if counts[a] == most), key=lambda a: score[index[a]])
        return GumbelPIMCResult(action=action, counts=counts, votes=votes, worlds=results,
                                simulations=sum(r.simulations for r in results),
                                target=combined.as_dict(combined.target), statistics=combined)
