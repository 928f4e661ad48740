"""Beliefs: worlds weighted by what the opponents' moves say about their cards.

``resample_hidden`` deals the unseen cards uniformly: it knows what the
searching player has seen, not what the opponents' choices suggest. After a
Kuhn bet, a uniform world gives the bettor the jack as often as the king,
although a sensible bettor holds the king far more often; a search over such
worlds calls too much and bluffs into strength (non-locality, see
``determinize``). DeltaDou (Jiang et al. 2019) weights each sampled world by
how likely the opponents' past moves were in it under the current policy.
That is Bayes' rule with the policy as the model of the opponents:

    P(world | history) ~ P(world) * prod over the opponents' past decisions of pi(a | their view in the world)

``BeliefSampler`` draws ``candidates`` uniform worlds, replays each world's
history (``State.past_decisions``) to score every opponent decision with the
evaluator's prior (all of them in one ``evaluate_batch`` call), and then
draws worlds from the candidates in proportion to the product
(sampling-importance-resampling). A floor ``epsilon`` mixes each probability
with uniform, so a move the policy deems impossible lowers a world's weight
without ruling it out. Nothing here reads the real state's hidden cards:
every candidate is a ``resample_hidden`` world, scored on its own cards.
"""

from __future__ import annotations

import numpy as np

from selfplay.games.base import State
from selfplay.search.evaluators import BatchEvaluator, Evaluator, as_batch_evaluator


def prior_batch(evaluator: BatchEvaluator, states: list[State]) -> list[np.ndarray]:
    """The evaluator's priors alone: its ``prior_batch`` where it has one (an evaluator whose
    values cost more than its priors, as ``playouts.PlayoutLeaves``), else ``evaluate_batch``'s."""
    if hasattr(evaluator, "prior_batch"):
        return evaluator.prior_batch(states)
    return evaluator.evaluate_batch(states)[0]


class BeliefSampler:
    """Worlds of ``state`` for ``observer``, each drawn with the posterior weight of the
    opponents' past moves (see the module docstring)."""

    def __init__(self, evaluator: BatchEvaluator, candidates: int, epsilon: float = 1e-3) -> None:
        if candidates < 1:
            raise ValueError(f"beliefs: candidates must be at least 1, got {candidates}")
        self.evaluator, self.candidates, self.epsilon = evaluator, candidates, epsilon

    def weighted(self, state: State, observer: int, rng: np.random.Generator) -> tuple[list[State], np.ndarray]:
        """``candidates`` uniform worlds and their posterior weights (summing to 1)."""
        worlds = [state.resample_hidden(observer, rng) for _ in range(self.candidates)]
        scored = [(i, before, action) for i, world in enumerate(worlds)
                  for before, action in world.past_decisions() if before.current_player != observer]
        log_weight = np.zeros(len(worlds))
        if scored:
            priors = prior_batch(self.evaluator, [before for _, before, _ in scored])
            for (i, before, action), prior in zip(scored, priors):
                legal = before.legal_actions()
                p = (1 - self.epsilon) * float(prior[legal.index(action)]) + self.epsilon / len(legal)
                log_weight[i] += np.log(p)
        weight = np.exp(log_weight - log_weight.max())
        return worlds, weight / weight.sum()

    def draw(self, state: State, observer: int, rng: np.random.Generator, n: int) -> list[State]:
        """``n`` worlds drawn (with replacement) from the weighted candidates, each its own copy."""
        worlds, weight = self.weighted(state, observer, rng)
        return [worlds[i].clone() for i in rng.choice(len(worlds), size=n, p=weight)]


def sample_worlds(state: State, observer: int, rng: np.random.Generator, n: int,
                  evaluator: BatchEvaluator | Evaluator,
                  candidates: int = 0) -> list[State]:
    """``n`` worlds for a search: uniform ``resample_hidden`` draws (``candidates`` 0), or drawn
    from ``candidates`` weighted by the opponents' past moves."""
    if not candidates:
        return [state.resample_hidden(observer, rng) for _ in range(n)]
    return BeliefSampler(as_batch_evaluator(evaluator), candidates).draw(state, observer, rng, n)
