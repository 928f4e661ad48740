"""The search tree: one ``SearchNode`` per action sequence from the root.

A node keeps the *sum* of the value vectors backed up through it, one entry
per player (max^n): whoever moves at a node reads only their own entry when
choosing among its children, so the same tree serves two-player zero-sum,
multiplayer and general-sum games alike.

Value sums are plain Python lists rather than numpy arrays: with two or three
players an element-wise ``+=`` on a list is faster than one numpy call, and the
backup runs once per node per simulation.
"""

from __future__ import annotations

import numpy as np


class SearchNode:
    """A node of the tree, reached from its parent by one action.

    ``player`` moves here; it is ``None`` until the node is expanded (for a
    terminal node it is whatever the state reports and is never read). ``prior`` is the probability the parent's
    evaluator gave the action leading here (1.0 at the root). ``visits``
    counts simulations through the node and ``value_sum[p]`` sums player
    ``p``'s backed-up values, so ``value_sum[p] / visits`` is p's mean.
    ``children`` maps action -> node, in the order unvisited children are
    tried (expansion adds one per legal action, visits 0).
    """

    __slots__ = ("player", "prior", "visits", "value_sum", "children")

    def __init__(self, num_players: int, prior: float = 1.0) -> None:
        self.player: int | None = None
        self.prior = prior
        self.visits = 0
        self.value_sum = [0.0] * num_players
        self.children: dict[int, SearchNode] = {}

    def mean_value(self) -> np.ndarray:
        """Mean backed-up value per player (zeros before the first visit)."""
        if not self.visits:
            return np.zeros(len(self.value_sum))
        return np.asarray(self.value_sum, dtype=float) / self.visits

    def value_for(self, player: int) -> float:
        """Mean value of ``player`` through this node (0.0 before any visit)."""
        return self.value_sum[player] / self.visits if self.visits else 0.0

    def visit_counts(self) -> dict[int, int]:
        """Visits per child action."""
        return {a: child.visits for a, child in self.children.items()}

    def best_action(self) -> int:
        """The most-visited child action; ties go to the higher mean value of
        the player moving here, then to the lower action (deterministic)."""
        if not self.children:
            raise ValueError("best_action: the node has no children (no simulation expanded it)")
        p = self.player
        return max(self.children.items(), key=lambda item: (item[1].visits, item[1].value_for(p), -item[0]))[0]

    def policy(self, temperature: float = 1.0) -> dict[int, float]:
        """Visit counts as a distribution over child actions.

        ``temperature`` 1 is proportional to visits; 0 puts all mass on
        ``best_action``; in between sharpens (counts ** (1 / temperature)).
        """
        if not self.children:
            raise ValueError("policy: the node has no children (no simulation expanded it)")
        if temperature <= 0:
            best = self.best_action()
            return {a: float(a == best) for a in self.children}
        actions = list(self.children)
        counts = np.array([self.children[a].visits for a in actions], dtype=float)
        # Scale before the power so large counts at low temperature do not overflow.
        weights = (counts / counts.max()) ** (1.0 / temperature)
        weights /= weights.sum()
        return dict(zip(actions, weights.tolist()))

    def __repr__(self) -> str:
        means = ", ".join(f"{v:+.3f}" for v in self.mean_value())
        return f"SearchNode(player={self.player}, visits={self.visits}, value=[{means}], children={len(self.children)})"
