"""Search as an agent, and torch networks as search evaluators.

``SearchAgent`` plays the move of a sampled PUCT search (``selfplay.search``):
plain PUCT on perfect-information games, single-observer ISMCTS or PIMC on
imperfect-information ones, with random rollouts or a network at the leaves.
``DMCEvaluator`` turns Deep Monte-Carlo Q-networks (``selfplay.nets.QNet``,
one per seat group, as a DMC checkpoint holds them) into a batched evaluator:

- prior: ``softmax(Q(s, a) / temperature)`` over the legal moves;
- value: ``max_a Q(s, a)`` for the player to move (DMC's Q is the return the
  mover can expect from a move, so its maximum is the greedy policy's value),
  spread to a vector by ``team_value_vector``: teammates share it and the
  others lose it, split by team size when the game's points are zero-sum
  (DouDizhu ``objective="adp"``: a landlord's ``v`` gives each peasant
  ``-v / 2``), or ``-v`` each under DouDizhu's ``wp`` objective.

Leaves of many simulations and many games reach ``evaluate_batch`` together;
it runs one forward pass per group network for all of them
(``nets.decision_q_values``).

Factories for agent specs (the registry in ``selfplay.agents`` maps names to
them): ``puct_agent(game, ...)`` for ``puct:...`` and
``dmc_search_agent(path, game, ...)`` for ``dmc+search:PATH,...``.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from selfplay.encoders import Encoder
from selfplay.games import Game, State
from selfplay.nets import QNet, decision_q_values
from selfplay.search import (
    ISMCTS, PIMC, PUCT, BatchEvaluator, Evaluator, PUCTConfig, RandomRollout, team_value_vector,
)
from selfplay.search.evaluators import softmax_over
from selfplay.search.playouts import PlayoutConfig, PlayoutResult, PlayoutSearch


class DMCEvaluator:
    """Q-networks as a ``BatchEvaluator``: Q as prior (softmax at ``temperature``)
    and ``max Q`` as the mover's value (module docstring). ``calls`` counts
    ``evaluate_batch`` calls and ``forwards`` network forward passes."""

    def __init__(self, nets: Sequence[QNet], encoder: Encoder, game: Game, temperature: float = 1.0) -> None:
        if temperature <= 0:
            raise ValueError(f"DMCEvaluator: temperature must be positive, got {temperature}")
        self.nets = list(nets)
        for net in self.nets:
            net.eval()
        self.encoder = encoder
        self.teams = game.info.teams
        self.zero_sum = game.info.options.get("objective", "adp") != "wp"
        self.temperature = temperature
        self.calls = 0
        self.forwards = 0

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, game: Game, temperature: float = 1.0) -> "DMCEvaluator":
        from selfplay.learners.dmc import load_agent

        agent = load_agent(path, game)
        return cls(agent.nets, agent.encoder, game, temperature)

    def evaluate_batch(self, states: Sequence[State]) -> tuple[list[np.ndarray], np.ndarray]:
        self.calls += 1
        priors: list[np.ndarray] = [np.empty(0)] * len(states)
        values = np.zeros((len(states), sum(len(t) for t in self.teams)))
        by_group: dict[int, list[tuple[int, int, tuple]]] = {}
        for i, state in enumerate(states):
            player = state.current_player
            feats = self.encoder.encode(state, player, state.legal_actions())
            by_group.setdefault(self.encoder.group(state, player), []).append((i, player, feats))
        for group, pending in by_group.items():
            self.forwards += 1
            qs = decision_q_values(self.nets[group], [feats for _, _, feats in pending])
            for (i, player, _), q in zip(pending, qs):
                q = q.astype(float)
                priors[i] = softmax_over(q, self.temperature)
                values[i] = team_value_vector(float(q.max()), player, self.teams, self.zero_sum)
        return priors, values


class SearchAgent:
    """Plays the most-visited root action of a sampled PUCT search.

    ``determinization`` on imperfect-information games: ``"ismcts"`` (one tree,
    a new world per simulation, the tree kept between moves) or ``"pimc"``
    (``worlds`` sampled worlds, ``combine`` their visits or votes);
    perfect-information games always use plain PUCT. ``evaluator`` defaults to
    one random rollout per leaf (seeded by ``reset``). A forced move is played
    without searching. ``last_result`` keeps the latest search result.
    """

    def __init__(
        self,
        config: PUCTConfig | None = None,
        evaluator: BatchEvaluator | Evaluator | None = None,
        determinization: str = "ismcts",
        worlds: int = 8,
        combine: str = "visits",
        seed: int | None = None,
        name: str = "puct",
    ) -> None:
        if determinization not in ("ismcts", "pimc"):
            raise ValueError(f"SearchAgent: determinization must be 'ismcts' or 'pimc', not {determinization!r}")
        self.config = config or PUCTConfig()
        self.determinization = determinization
        self.worlds, self.combine = worlds, combine
        self.name = name
        self._given_evaluator = evaluator
        self.last_result = None
        self.reset(seed)

    def reset(self, seed: int | None) -> None:
        rng = np.random.default_rng(seed)
        self.evaluator = self._given_evaluator if self._given_evaluator is not None else RandomRollout(rng)
        self._rng = rng
        self._perfect = PUCT(self.evaluator, self.config, rng=rng, mode="perfect")
        self._pimc = PIMC(self.evaluator, self.config, self.worlds, self.combine, rng=rng)
        self._ismcts: dict[int, ISMCTS] = {}  # one tree per seat played: each holds one observer's view
        self.last_result = None

    def searcher(self, state: State) -> PUCT | PIMC:
        """The search this agent runs on ``state`` (and keeps for the next move of that seat)."""
        if state.game.info.perfect_information:
            return self._perfect
        if self.determinization == "pimc":
            return self._pimc
        seat = state.current_player
        if seat not in self._ismcts:
            self._ismcts[seat] = ISMCTS(self.evaluator, self.config, rng=self._rng)
        return self._ismcts[seat]

    def act(self, state: State) -> int:
        legal = state.legal_actions()
        if len(legal) == 1:
            return legal[0]
        self.last_result = self.searcher(state).search(state)
        return self.last_result.action

    def __repr__(self) -> str:
        return f"SearchAgent({self.name!r}, {self.config}, determinization={self.determinization!r})"


def _config(sims: int, k: int, c: float, batch: int, noise: float) -> PUCTConfig:
    return PUCTConfig(simulations=sims, k=k if k > 0 else None, c_puct=c, batch=batch, dirichlet_fraction=noise)


def puct_agent(game: Game, sims: int = 200, k: int = 16, c: float = 1.25, batch: int = 8, pimc: int = 0,
               noise: float = 0.0) -> SearchAgent:
    """Spec ``puct:sims=200,k=16,c=1.25,batch=8,pimc=0,noise=0``: sampled PUCT with random
    rollouts; ``k=0`` keeps every action; ``pimc=N`` searches N worlds with PIMC instead of
    ISMCTS (imperfect information); ``noise`` is the root's Dirichlet fraction."""
    det = "pimc" if pimc > 0 else "ismcts"
    return SearchAgent(_config(sims, k, c, batch, noise), determinization=det, worlds=max(pimc, 1),
                       name=f"puct:sims={sims},k={k}")


class PlayoutAgent:
    """A DMC checkpoint improved by its own playouts (``selfplay.search.playouts``): its
    k best moves by Q, each played out greedily in ``worlds`` sampled worlds (all
    the playouts stepped together, one forward pass per seat network per step);
    it leaves the greedy move only for a mean gain above ``margin``. Forced moves
    skip the search. ``last_result`` keeps the latest search."""

    def __init__(self, greedy, config: PlayoutConfig, seed: int | None = None, name: str = "dmc+search") -> None:
        self.greedy, self.name = greedy, name
        self.search = PlayoutSearch(greedy.q_values, greedy.act_batch, config, rng=seed)
        self.last_result: PlayoutResult | None = None

    def reset(self, seed: int | None) -> None:
        self.search.reset(seed)
        self.last_result = None

    def act(self, state: State) -> int:
        legal = state.legal_actions()
        if len(legal) == 1:
            return legal[0]
        self.last_result = self.search.search(state)
        return self.last_result.action


def dmc_search_agent(path: str | os.PathLike, game: Game, k: int = 4, worlds: int = 8,
                     margin: float = 0.0, device: str = "cpu") -> PlayoutAgent:
    """Spec ``dmc+search:path=CKPT,k=4,worlds=8,margin=0,device=cpu``: the checkpoint's greedy
    play, improved by paired playouts of its k best moves in sampled worlds (``PlayoutAgent``)."""
    from selfplay.learners.dmc import load_agent

    return PlayoutAgent(load_agent(path, game, device=device), PlayoutConfig(k=k, worlds=worlds, margin=margin),
                        name=f"dmc+search:{path}")
