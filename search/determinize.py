"""Searching hidden information by determinization: PIMC and single-observer ISMCTS.

Both search only worlds drawn by ``state.resample_hidden(observer, rng)`` (a
full state consistent with what the player to move has seen: opponents'
hands and undealt cards reshuffled), never the real state, so neither can
read a hidden card.

``PIMC`` (perfect-information Monte Carlo; Ginsberg's GIB, Long et al. 2010):
draw N worlds, run an ordinary perfect-information search in each (all N at
once through ``search_batched``, so a network sees the leaves of every world
in one call), then combine: sum each action's root visits (``"visits"``) or
give each world's choice one vote (``"votes"``, ties to summed visits).

``ISMCTS`` (single-observer information-set MCTS; Cowling, Powley & Whitehouse
2012): one tree whose nodes are the searching player's information states;
every simulation draws a new world at the root and follows only the actions
legal in it (``PUCT`` with ``mode="ismcts"``). Chance the observer sees later
(Leduc's public card) is drawn by the world and branches the tree at a chance
node; opponents' nodes hold the union of the actions their sampled hands
allowed, sampled K at a time.

Strategy fusion (Frank & Basin 1998). PIMC's searches each know the whole
world, so they choose a different continuation in each world where the
player could not tell the worlds apart; the average over worlds then credits
the player with a clairvoyance it does not have (classically: a finesse that
"always works" because each world knows where the queen is). ISMCTS avoids it
for the observer's own moves: one node serves every world of an information
state, so a move is valued as a single choice across them. Neither solves
non-locality: worlds are drawn from the observer's view alone (uniform over
consistent deals), not reweighted by what the opponents' moves suggest about
their hands, and in ISMCTS an opponent's node is shared across its own hands,
so the opponent plays as if it did not know its cards (beyond what is legal);
in PIMC the opponents, like the observer, see everything. Two options answer
these: ``PUCTConfig(beliefs=N)`` draws the worlds from N candidates weighted by
the opponents' past moves under the evaluator's policy (``beliefs``), and
``PUCTConfig(opponents="policy")`` gives each opponent hand its own node in
ISMCTS, where it moves by its policy rather than by search.

When each is better. PIMC is strong where hidden information matters little
to the choice or is soon revealed (trick-taking endgames, DouDizhu once most
cards are out, perfect-information solvers inside a world), parallelises
across worlds, and lets a perfect-information value network judge each world.
ISMCTS is better where information-gathering, hiding or bluffing pays (poker:
PIMC tends to fold weak hands and call too much since each world knows the
showdown), gives one consistent statistic per move from all simulations, and
keeps its tree between moves (PIMC draws new worlds every move, so it reuses
nothing). Both fall short of equilibrium play in poker; use CFR-style methods
where that matters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from selfplay.games.base import State
from selfplay.search.beliefs import sample_worlds
from selfplay.search.evaluators import BatchEvaluator, Evaluator
from selfplay.search.mcts import SearchResult
from selfplay.search.puct import PUCT, PUCTConfig, search_batched

COMBINE = ("visits", "votes")


class ISMCTS(PUCT):
    """Single-observer information-set MCTS over sampled actions: ``PUCT`` in its
    ``"ismcts"`` mode (a new ``resample_hidden`` world every simulation; tree
    nodes keyed by the observer's information states; tree reuse between moves).
    See the module docstring for what it does and does not fix."""

    def __init__(
        self,
        evaluator: BatchEvaluator | Evaluator,
        config: PUCTConfig | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        super().__init__(evaluator, config, rng, mode="ismcts")


@dataclass
class PIMCResult:
    """PIMC's choice and how the worlds voted."""

    action: int
    counts: dict[int, int]
    """Root visits per action, summed over the worlds."""
    votes: dict[int, int]
    """Worlds whose search chose each action."""
    worlds: list[SearchResult]
    simulations: int

    def policy(self, temperature: float = 1.0) -> dict[int, float]:
        """Summed visits as a distribution (temperature 0: all on ``action``)."""
        if temperature <= 0:
            return {a: float(a == self.action) for a in self.counts}
        actions = list(self.counts)
        counts = np.array([self.counts[a] for a in actions], dtype=float)
        weights = (counts / counts.max()) ** (1.0 / temperature)
        return dict(zip(actions, (weights / weights.sum()).tolist()))


def tally(results: Sequence[SearchResult]) -> tuple[dict[int, int], dict[int, int]]:
    """The worlds' root visits summed per action, and each world's choice as one vote."""
    counts: dict[int, int] = {}
    votes: dict[int, int] = {}
    for result in results:
        for action, n in result.counts.items():
            counts[action] = counts.get(action, 0) + n
        votes[result.action] = votes.get(result.action, 0) + 1
    return counts, votes


class PIMC:
    """Perfect-information Monte Carlo: ``worlds`` sampled worlds, a perfect-information
    ``PUCT`` search of ``config.simulations`` in each (run together, their leaves
    evaluated in shared batches), combined by ``"visits"`` or ``"votes"``.
    There is no tree reuse: every move draws new worlds."""

    def __init__(
        self,
        evaluator: BatchEvaluator | Evaluator,
        config: PUCTConfig | None = None,
        worlds: int = 8,
        combine: str = "visits",
        rng: np.random.Generator | int | None = None,
    ) -> None:
        if worlds < 1:
            raise ValueError(f"PIMC: worlds must be at least 1, got {worlds}")
        if combine not in COMBINE:
            raise ValueError(f"PIMC: combine must be one of {', '.join(COMBINE)}, not {combine!r}")
        self.evaluator = evaluator
        self.config = replace(config or PUCTConfig(), reuse=False)
        self.worlds = worlds
        self.combine = combine
        self._rng = np.random.default_rng(rng)

    def reset(self) -> None:
        """Nothing to forget (no tree is kept); for symmetry with ``PUCT``."""

    def search(self, state: State, simulations: int | None = None) -> PIMCResult:
        """Search ``worlds`` determinizations of ``state`` (``simulations`` each) and combine them."""
        if state.is_terminal():
            raise ValueError(f"{state.game.name}: cannot search from a terminal state")
        observer = state.current_player
        worlds = sample_worlds(state, observer, self._rng, self.worlds, self.evaluator, self.config.beliefs)
        seeds = self._rng.integers(2**63, size=len(worlds))
        searches = [PUCT(self.evaluator, self.config, rng=int(seed), mode="perfect") for seed in seeds]
        results = search_batched(searches, worlds, simulations)
        counts, votes = tally(results)
        if self.combine == "votes":
            action = max(votes, key=lambda a: (votes[a], counts.get(a, 0), -a))
        else:
            action = max(counts, key=lambda a: (counts[a], votes.get(a, 0), -a))
        return PIMCResult(action=action, counts=counts, votes=votes, worlds=results,
                          simulations=sum(r.simulations for r in results))
