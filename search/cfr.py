"""Tabular CFR+ over our engines' enumerated game trees (Kuhn, Leduc): a reference solver.

CFR+ (Tammelin 2014) as OpenSpiel's ``CFRPlusSolver`` runs it: regret
matching+ (cumulative regrets floored at zero after every update), alternating
updates (player 0 updates, then player 1 against player 0's new policy, in
each iteration), and linear averaging with delay d = 0 (iteration ``t``
adds ``t x own reach x current policy`` to the average). The average policy is
what converges to a Nash equilibrium and what ``CFRAgent`` plays.

Every pass is a handful of numpy operations per depth of the tree
(``search.exploitability.GameTree``), not a recursion over histories.
"""

from __future__ import annotations

import numpy as np

from selfplay.games import Game, State
from selfplay.search.exploitability import TabularPolicy, exploitability, game_tree


class CFRPlus:
    """``CFRPlus(game).iterate(n)``, then ``average_policy()`` (or ``current_policy()``)."""

    def __init__(self, game: Game) -> None:
        self.game = game
        self.tree = game_tree(game)
        self.iterations = 0
        self.regrets = np.zeros(self.tree.legal.shape)
        self.cumulative = np.zeros(self.tree.legal.shape)  # sum of t * own reach * policy
        self.policy = self.tree.uniform()

    def iterate(self, n: int = 1) -> "CFRPlus":
        tree = self.tree
        for _ in range(n):
            self.iterations += 1
            for player in range(tree.num_players):
                self._update(player, tree)
        return self

    def _update(self, player: int, tree) -> None:
        reach = tree.reach(self.policy)
        weight = tree.chance * np.prod(np.delete(reach, player, axis=0), axis=0)
        v = tree.values(self.policy, player)
        mine = tree.edge_player == player
        parent, child = tree.edge_parent[mine], tree.edge_child[mine]
        gains = np.bincount(tree.edge_col[mine], weights=weight[parent] * (v[child] - v[parent]),
                            minlength=tree.legal.size).reshape(tree.legal.shape)
        sets = tree.set_player == player
        own = reach[player, tree.set_node[sets]]
        self.cumulative[sets] += self.iterations * own[:, None] * self.policy[sets]
        self.regrets[sets] = np.maximum(self.regrets[sets] + gains[sets], 0.0)  # regret matching+
        self.policy[sets] = _regret_matching(self.regrets[sets], tree.legal[sets])

    def current_policy(self) -> TabularPolicy:
        return self.tree.as_policy(self.policy)

    def average_table(self) -> np.ndarray:
        total = self.cumulative.sum(axis=1, keepdims=True)
        uniform = self.tree.uniform()
        return np.where(total > 0, self.cumulative / np.where(total > 0, total, 1.0), uniform)

    def average_policy(self) -> TabularPolicy:
        """The linearly weighted average of the iterates: uniform before the first iteration."""
        return self.tree.as_policy(self.average_table())

    def exploitability(self) -> float:
        return exploitability(self.game, self.average_policy())


def _regret_matching(regrets: np.ndarray, legal: np.ndarray) -> np.ndarray:
    positive = np.where(legal, np.maximum(regrets, 0.0), 0.0)
    total = positive.sum(axis=1, keepdims=True)
    uniform = legal / legal.sum(axis=1, keepdims=True)
    return np.where(total > 0, positive / np.where(total > 0, total, 1.0), uniform)


class CFRAgent:
    """Plays a tabular policy (CFR+'s average): samples with its own rng, seeded by ``reset``."""

    def __init__(self, policy: TabularPolicy, seed: int | None = None, name: str = "cfr") -> None:
        self.name = name
        self.policy = policy
        self._rng = np.random.default_rng(seed)

    def reset(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def action_probabilities(self, state: State) -> dict[int, float]:
        return self.policy.action_probabilities(state)

    def act(self, state: State) -> int:
        probs = self.action_probabilities(state)
        actions = list(probs)
        p = np.array([probs[a] for a in actions])
        return int(actions[int(self._rng.choice(len(actions), p=p / p.sum()))])


def cfr_agent(game: Game, iterations: int = 1000) -> CFRAgent:
    """The registry's ``cfr:iterations=N``: CFR+ solved at load time (Kuhn, Leduc only)."""
    if iterations < 1:
        raise ValueError("cfr: iterations must be at least 1")
    solver = CFRPlus(game).iterate(iterations)
    return CFRAgent(solver.average_policy(), name=f"cfr:iterations={iterations}")
