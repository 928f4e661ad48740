"""Plain UCT Monte-Carlo tree search with max^n backups, and an agent on it.

One simulation walks down the tree by UCB1 (``select``) until it steps into
a child never visited before. A node is expanded the first time a simulation
passes through it: one child per legal action, unvisited, and unvisited
children are tried before any visited sibling. The new leaf is evaluated by
the ``Evaluator`` (one random rollout by default; ``returns()`` at a
terminal), and its value vector is added to every node on the path. Each
player maximises their own entry of that vector (max^n; Sturtevant 2008), so
the same code plays two-player zero-sum, multiplayer and general-sum games.
The move played is the most-visited root action, ties broken by its mean
value for the player to move.

Imperfect information (determinization, single observer). When
``state.game.info.perfect_information`` is false, every simulation starts
from a fresh ``state.resample_hidden(observer, rng)`` world, where the
observer is the player to move at the root, never from the state itself: a
bare ``clone`` would read the opponents' cards and the undealt deck. All
worlds share one tree keyed by the action sequence from the root (as in
single-observer information-set MCTS, Cowling et al. 2012). Legal actions
below the root depend on the world (an opponent's moves depend on their hidden
hand), so a simulation considers only the children legal in its world, adds
the legal ones the tree lacks, and skips the rest for that simulation.

Caveats, as for any determinizing search:

- Strategy fusion (Frank & Basin 1998) is avoided for moves inside the tree,
  since one node serves every world, but comes back through any evaluator that
  reads the whole world (a perfect-information value network would).
- Opponents' nodes are shared across worlds too, so in the tree an opponent
  chooses as if it did not know its own hand (beyond what it may legally play).
- Chance after the root (a public card dealt mid-game) is inside the world and
  not an edge of the tree, so nodes after it average over its outcomes as if
  the mover could not see them. Keying nodes by ``information_state`` would
  fix this; the sampled-action search is the place for it.
- Worlds come from the observer's view only, not reweighted by what the
  opponents' actions reveal (non-locality).
- UCB1 uses the parent's total visits, not the number of simulations in which
  a child was legal (ISMCTS's availability count), which slightly favours
  rarely-legal actions.

The player to move at a node must follow from the public action history (true
of our card games); a world that disagrees raises ``ValueError``.

The pieces are meant to be swapped: ``select`` is a plain function
``select(node, c, legal) -> action`` (PUCT with priors fits the same slot) and
the evaluator is injected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from selfplay.games.base import State
from selfplay.search.evaluators import Evaluator, RandomRollout, python_rng
from selfplay.search.node import SearchNode

DEFAULT_C = 1.4
"""UCB1 exploration constant: about sqrt 2, UCB1's classic value (and the ``mcts`` spec's default)."""

SelectFn = Callable[[SearchNode, float, "set[int] | None"], int]


def uct_select(node: SearchNode, c: float, legal: set[int] | None = None) -> int:
    """The child action with the highest UCB1 score for the player moving at
    ``node``: mean value of that player + ``c * sqrt(ln N / n)``.

    Unvisited children come first, in the node's child order (shuffled, then
    by prior, at expansion). ``legal`` restricts the choice to the actions
    legal in this simulation's world (determinized search); ``None`` means all.
    """
    player = node.player
    explore = c * math.sqrt(math.log(node.visits)) if node.visits > 1 else 0.0
    best_action, best_score = -1, -math.inf
    sqrt = math.sqrt
    for action, child in node.children.items():
        if legal is not None and action not in legal:
            continue
        n = child.visits
        if not n:
            return action
        score = child.value_sum[player] / n + explore / sqrt(n)
        if score > best_score:
            best_action, best_score = action, score
    return best_action


@dataclass
class SearchResult:
    """What a search found: the tree, the chosen root action and its statistics."""

    root: SearchNode
    action: int
    simulations: int

    @property
    def counts(self) -> dict[int, int]:
        """Visits per root action."""
        return self.root.visit_counts()

    @property
    def values(self) -> dict[int, np.ndarray]:
        """Mean value vector (one entry per player) per root action."""
        return {a: child.mean_value() for a, child in self.root.children.items()}

    def policy(self, temperature: float = 1.0) -> dict[int, float]:
        """Root visit counts as a distribution (see ``SearchNode.policy``)."""
        return self.root.policy(temperature)


class MCTS:
    """UCT search with an injected evaluator; one instance can search many states.

    ``rng`` (a numpy generator or a seed) drives child ordering and the
    determinizing ``resample_hidden`` calls; the evaluator carries its own
    randomness. The same seeds replay the same searches.
    """

    def __init__(
        self,
        evaluator: Evaluator,
        simulations: int = 1000,
        c: float = DEFAULT_C,
        rng: np.random.Generator | int | None = None,
        select: SelectFn = uct_select,
    ) -> None:
        if simulations < 1:
            raise ValueError(f"MCTS: simulations must be at least 1, got {simulations}")
        if c < 0:
            raise ValueError(f"MCTS: the exploration constant c must be non-negative, got {c}")
        self.evaluator = evaluator
        self.simulations = simulations
        self.c = c
        self.select = select
        self._rng = np.random.default_rng(rng)
        self._random = python_rng(self._rng)

    def search(self, state: State, simulations: int | None = None) -> SearchResult:
        """Run the simulations from ``state`` (left unchanged) and pick an action."""
        if state.is_terminal():
            raise ValueError(f"{state.game.name}: cannot search from a terminal state")
        simulations = self.simulations if simulations is None else simulations
        root = SearchNode(state.num_players)
        if state.game.info.perfect_information:
            for _ in range(simulations):
                self._simulate(root, state.clone())
        else:
            observer = state.current_player
            for _ in range(simulations):
                self._simulate_determinized(root, state.resample_hidden(observer, self._rng))
        return SearchResult(root=root, action=root.best_action(), simulations=simulations)

    def _simulate(self, root: SearchNode, world: State) -> None:
        """One simulation on ``world``, a disposable copy of the root state."""
        node, path = root, [root]
        select, c = self.select, self.c
        while True:
            if node.player is None:
                self._expand(node, world, world.legal_actions())
            if not node.children:  # expanded, no legal action: terminal
                self._backup(path, world.returns())
                return
            action = select(node, c, None)
            # The children came from this very state's legal_actions() (with
            # perfect information the node fixes the state), so the base
            # class's legality re-check in apply() would only repeat it.
            world._apply(action)
            node = node.children[action]
            path.append(node)
            if not node.visits:
                self._backup(path, self._leaf_value(world))
                return

    def _simulate_determinized(self, root: SearchNode, world: State) -> None:
        """One simulation on ``world``, a sampled full state; only the children
        legal in this world are candidates, and missing ones are added."""
        node, path = root, [root]
        select, c = self.select, self.c
        while True:
            legal = world.legal_actions()
            if not legal:
                self._backup(path, world.returns())
                return
            self._expand_determinized(node, world, legal)
            action = select(node, c, set(legal))
            world.apply(action)
            node = node.children[action]
            path.append(node)
            if not node.visits:
                self._backup(path, self._leaf_value(world))
                return

    def _leaf_value(self, world: State) -> Sequence[float] | np.ndarray:
        return world.returns() if world.is_terminal() else self.evaluator.evaluate(world)

    def _expand(self, node: SearchNode, world: State, legal: list[int]) -> None:
        """Add a child per legal action, in random order, then by prior (highest first)."""
        node.player = world.current_player
        if not legal:
            return
        priors = self.evaluator.prior(world)
        order = list(legal)
        self._random.shuffle(order)
        order.sort(key=lambda a: -priors.get(a, 0.0))  # stable: equal priors stay shuffled
        num_players = len(node.value_sum)
        for action in order:
            node.children[action] = SearchNode(num_players, priors.get(action, 0.0))

    def _expand_determinized(self, node: SearchNode, world: State, legal: list[int]) -> None:
        """Add children for the actions legal in this world that the tree lacks."""
        if node.player is None:
            self._expand(node, world, legal)
            return
        if node.player != world.current_player:
            raise ValueError(
                f"{world.game.name}: sampled worlds disagree on who moves after the same actions "
                f"({node.player} vs {world.current_player}); determinized MCTS needs the mover "
                "to follow from the public history"
            )
        missing = [a for a in legal if a not in node.children]
        if missing:
            priors = self.evaluator.prior(world)
            self._random.shuffle(missing)
            missing.sort(key=lambda a: -priors.get(a, 0.0))
            num_players = len(node.value_sum)
            for action in missing:
                node.children[action] = SearchNode(num_players, priors.get(action, 0.0))

    @staticmethod
    def _backup(path: list[SearchNode], values: Sequence[float] | np.ndarray) -> None:
        values = values.tolist() if isinstance(values, np.ndarray) else [float(v) for v in values]
        for node in path:
            node.visits += 1
            sums = node.value_sum
            for p, v in enumerate(values):
                sums[p] += v


def mcts_search(
    state: State,
    evaluator: Evaluator | None = None,
    simulations: int = 1000,
    c_uct: float = DEFAULT_C,
    rng: np.random.Generator | int | None = None,
) -> SearchResult:
    """One UCT search from ``state``; ``evaluator`` defaults to ``RandomRollout``
    seeded from ``rng``. ``result.action`` is the move, ``result.counts`` the
    visits per root action, ``result.policy()`` a distribution over them."""
    rng = np.random.default_rng(rng)
    if evaluator is None:
        evaluator = RandomRollout(rng)
    return MCTS(evaluator, simulations=simulations, c=c_uct, rng=rng).search(state)


class MCTSAgent:
    """Plays the most-visited action of a UCT search (``mcts:sims=N,c=C``).

    ``evaluator`` defaults to one random rollout per leaf; ``reset(seed)``
    reseeds the search and that default evaluator, so a seeded game replays.
    A forced move (one legal action) is played without searching.
    ``last_result`` keeps the latest ``SearchResult`` for inspection.
    """

    def __init__(
        self,
        simulations: int = 1000,
        c: float = DEFAULT_C,
        seed: int | None = None,
        evaluator: Evaluator | None = None,
    ) -> None:
        self.simulations = simulations
        self.c = c
        self.name = f"mcts:sims={simulations},c={c:g}"
        self._given_evaluator = evaluator
        self.last_result: SearchResult | None = None
        self.reset(seed)

    def reset(self, seed: int | None) -> None:
        rng = np.random.default_rng(seed)
        evaluator = self._given_evaluator if self._given_evaluator is not None else RandomRollout(rng)
        self._mcts = MCTS(evaluator, simulations=self.simulations, c=self.c, rng=rng)
        self.last_result = None

    def act(self, state: State) -> int:
        legal = state.legal_actions()
        if len(legal) == 1:
            return legal[0]
        self.last_result = self._mcts.search(state)
        return self.last_result.action

    def __repr__(self) -> str:
        return f"MCTSAgent(simulations={self.simulations}, c={self.c})"
