"""Sampled-action PUCT: max^n values, batched leaf evaluation with virtual loss, tree reuse.

One simulation walks from the root, at each node choosing by PUCT among the
node's *sampled* children (``sampling``: K actions drawn from the prior,
Sampled MuZero's corrected prior ``P``):

    score(a) = Q_p(a) + c_puct * P(a) * sqrt(sum_b N(b)) / (1 + N(a))

``p`` is the player to move at the node and ``Q_p(a)`` p's own mean value
through child ``a`` (max^n: every player maximises its own entry of the value
vector, so one tree serves two-player, three-player and team games). Values
are normalised to [0, 1] by the smallest and largest value backed up so far
(as MuZero), so ``c_puct`` does not depend on a game's scale of returns. An
unvisited child counts as its parent's mean value for p (first-play urgency).

The walk stops at a node never expanded: its state is evaluated (prior over
the legal actions, value vector), the node samples its K children, and the
value is added to every node on the path. A terminal state's ``returns()``
is its value, with no evaluator call.

Batching (virtual loss). A search selects up to ``batch`` leaves before any
is evaluated; a leaf waiting for its evaluation marks every node on its path
``pending``, and PUCT counts each pending simulation as a visit that lost
(normalised value 0), so the next selection goes elsewhere. A selection that
reaches a leaf already waiting ends the search's batch early (a collision).
``search_batched`` runs several searches (several games, or PIMC's worlds)
at once and evaluates all their leaves in one ``evaluate_batch`` call.

Worlds. ``mode="perfect"`` simulates on clones of the root state.
``mode="ismcts"`` (imperfect information, see ``determinize``) draws a new
``resample_hidden`` world for every simulation, follows only children legal
in it, and keys the node after an action by what the searching player then
knows (``information_state``): a chance outcome it sees (Leduc's public card)
starts a new node under a chance node (the action's node keeps the totals),
while hidden differences between worlds stay inside one node. Our games deal
all chance at the start (``games.base``), so this is how chance is searched:
the world's own resampling draws the outcome. ``"auto"`` picks by
``game.info.perfect_information``. With ``beliefs=N`` the worlds are drawn
from N candidates weighted by the opponents' past moves (``beliefs``).

Gumbel root. ``PUCTConfig(root="gumbel")`` replaces PUCT at the root only by
Gumbel-top-k and sequential halving (Danihelka et al. 2022, as DeepMind's
mctx), and the result (``gumbel.GumbelResult``) adds the improved policy
``target``; every node below the root keeps PUCT. See ``search/gumbel.py``.

Tree reuse. The next ``search`` looks for its state among the nodes up to
``num_players`` actions below the last root (matching the searching
player's ``information_state``) and, if found, keeps that subtree and its
statistics, adding new simulations to it. In ISMCTS mode the kept statistics
come from worlds in which the opponents' actual moves were legal, but weighted
by the old search's choices rather than by what those moves now suggest
(non-locality; an approximation, as ISMCTS itself is); PIMC keeps nothing.
"""

from __future__ import annotations

import gc
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from selfplay.games.base import State
from selfplay.search.beliefs import BeliefSampler
from selfplay.search.evaluators import BatchEvaluator, Evaluator, as_batch_evaluator
from selfplay.search.mcts import SearchResult
from selfplay.search.node import SearchNode
from selfplay.search.sampling import dirichlet_noise, sample_actions

MODES = ("auto", "perfect", "ismcts")
ROOTS = ("puct", "gumbel")
OPPONENTS = ("search", "policy")


@dataclass(frozen=True)
class PUCTConfig:
    """Settings of a sampled PUCT search (defaults: AlphaZero's and Sampled MuZero's where they have one)."""

    simulations: int = 200
    """Simulations per search (leaf evaluations plus terminal hits)."""
    k: int | None = 16
    """Actions sampled per node (Sampled MuZero: K); None keeps every legal action."""
    c_puct: float = 1.25
    """Exploration constant of PUCT on values normalised to [0, 1] (MuZero: 1.25)."""
    batch: int = 1
    """Leaves a search selects (under virtual loss) per evaluator call."""
    sample_temperature: float = 1.0
    """Proposal beta = prior ** (1 / T); 1 samples from the prior itself."""
    replacement: bool = False
    """Sample with replacement (Sampled MuZero) instead of Gumbel-top-k."""
    dirichlet_alpha: float = 0.3
    """Concentration of the root noise (AlphaZero: 0.3 chess, 0.03 go)."""
    dirichlet_fraction: float = 0.0
    """Weight of Dirichlet noise on the root's priors (AlphaZero self-play: 0.25; 0 when evaluating)."""
    reuse: bool = True
    """Keep the subtree of the position reached when the next search starts (not with a Gumbel root)."""
    root: str = "puct"
    """How the root chooses: ``"puct"`` as every node, or ``"gumbel"``: Gumbel-top-k and sequential
    halving (Danihelka et al. 2022; ``search/gumbel.py``), with the improved policy as ``result.target``."""
    gumbel_m: int = 16
    """Gumbel root: actions sampled (Gumbel-top-k) for sequential halving (mctx: max_num_considered_actions)."""
    gumbel_scale: float = 1.0
    """Gumbel root: scale of the Gumbel noise (mctx: 1; 0 for a deterministic evaluation)."""
    c_visit: float = 50.0
    """Gumbel root: sigma's visit offset (mctx: maxvisit_init = 50)."""
    c_scale: float = 0.1
    """Gumbel root: sigma's value scale (mctx: value_scale = 0.1)."""
    rescale: str = "minmax"
    """Gumbel root: sigma's Q rescaled to [0, 1] by the root's min and max (``"minmax"``, mctx) or by the
    game's declared return range (``"range"``)."""
    magnet: float = 0.0
    """Gumbel root: the target ``softmax((logits + sigma) / (1 + magnet))``: a magnetic mirror-descent
    step (Sokota et al. 2023) regularised toward uniform; 0 is the plain target."""
    opponents: str = "search"
    """ISMCTS: ``"search"``: an opponent's node is shared across its hands and picks by PUCT on its
    own values there (it plays as if it did not know its cards); ``"policy"``: an opponent's node is
    its own information state within the observer's, and its move follows the evaluator's prior
    there (mctx's deterministic selection: the largest ``P(a) - N(a) / (1 + sum N)``), so the root's
    values are those of its actions against the opponents' current policy."""
    beliefs: int = 0
    """Hidden information: 0 draws worlds uniformly (``resample_hidden``); N > 0 weights N candidate
    worlds by how likely the opponents' past moves were in each under the evaluator's prior
    (``search/beliefs.py``, as DeltaDou) and draws every simulation's world (PIMC: every world) from them."""

    def __post_init__(self) -> None:
        if self.simulations < 1:
            raise ValueError(f"PUCTConfig: simulations must be at least 1, got {self.simulations}")
        if self.k is not None and self.k < 1:
            raise ValueError(f"PUCTConfig: k must be at least 1 (or None for all actions), got {self.k}")
        if self.c_puct < 0 or self.batch < 1 or self.sample_temperature <= 0:
            raise ValueError("PUCTConfig: need c_puct >= 0, batch >= 1 and sample_temperature > 0")
        if not 0 <= self.dirichlet_fraction <= 1 or self.dirichlet_alpha <= 0:
            raise ValueError("PUCTConfig: need 0 <= dirichlet_fraction <= 1 and dirichlet_alpha > 0")
        if self.root not in ROOTS:
            raise ValueError(f"PUCTConfig: root must be one of {', '.join(ROOTS)}, not {self.root!r}")
        if self.gumbel_m < 1 or self.gumbel_scale < 0 or self.c_visit < 0 or self.c_scale < 0:
            raise ValueError("PUCTConfig: need gumbel_m >= 1 and gumbel_scale, c_visit, c_scale >= 0")
        if self.rescale not in ("minmax", "range") or self.magnet < 0:
            raise ValueError("PUCTConfig: rescale must be minmax or range, and magnet at least 0")
        if self.opponents not in OPPONENTS:
            raise ValueError(f"PUCTConfig: opponents must be one of {', '.join(OPPONENTS)}, not {self.opponents!r}")
        if self.beliefs < 0:
            raise ValueError(f"PUCTConfig: beliefs must be 0 (uniform worlds) or more candidates, got {self.beliefs}")


class PUCTNode(SearchNode):
    """A ``SearchNode`` with ``pending`` (simulations waiting for their leaf's
    evaluation: the virtual loss), ``width`` (the most actions one expansion
    kept: ``min(K, legal)`` of the largest world), ``outcomes`` (ismcts: after
    this node's action, one decision node per ``key``, the searcher's
    information state)."""

    __slots__ = ("pending", "width", "outcomes", "key")

    def __init__(self, num_players: int, prior: float = 1.0) -> None:
        # SearchNode's fields, set here rather than through super(): a search creates
        # K nodes per expansion, most never visited, and the call is a fifth of its time.
        self.player: int | None = None
        self.prior = prior
        self.visits = 0
        self.value_sum = [0.0] * num_players
        self.children: dict[int, PUCTNode] = {}
        self.pending = 0
        self.width = 0
        self.outcomes: dict[str, PUCTNode] | None = None
        self.key: str | None = None

    def best_action(self) -> int:
        """Most visits; ties to the mover's higher mean value, then higher prior, then lower action."""
        if not self.children:
            raise ValueError("best_action: the node has no children (no simulation expanded it)")
        p = self.player
        return max(self.children.items(),
                   key=lambda item: (item[1].visits, item[1].value_for(p), item[1].prior, -item[0]))[0]


class Leaf:
    """A selected simulation waiting for its evaluation."""

    __slots__ = ("path", "world", "node")

    def __init__(self, path: list[PUCTNode], world: State, node: PUCTNode) -> None:
        self.path, self.world, self.node = path, world, node


_COLLISION = object()


class PUCT:
    """One search tree (one game); ``search(state)`` picks a move, ``search_batched`` runs many.

    ``evaluator``: a ``BatchEvaluator`` (or a plain ``Evaluator``, adapted).
    ``rng`` (numpy generator or seed) drives sampling, noise and worlds.
    ``root_gumbel`` (action -> draw), when set, is the Gumbel noise of every later Gumbel
    root instead of fresh draws (PIMC's worlds share one).
    """

    def __init__(
        self,
        evaluator: BatchEvaluator | Evaluator,
        config: PUCTConfig | None = None,
        rng: np.random.Generator | int | None = None,
        mode: str = "auto",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"PUCT: mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.evaluator = as_batch_evaluator(evaluator)
        self.config = config or PUCTConfig()
        self.mode = mode
        self.root: PUCTNode | None = None
        self._rng = np.random.default_rng(rng)
        self._ismcts = False
        self._state: State | None = None
        self._observer = -1
        self._lo, self._hi = math.inf, -math.inf
        self._remaining = 0
        self._done = 0
        self._busy: set[int] = set()
        self._clean_root_priors: tuple[PUCTNode, dict[int, float]] | None = None
        self._gumbel = None  # the GumbelRoot of the current search (config.root == "gumbel")
        self._budget = 0
        self._worlds: tuple[list[State], np.ndarray] | None = None  # candidates, cumulative weights (beliefs)
        self.root_gumbel: dict[int, float] | None = None

    # ---- one decision -------------------------------------------------------
    def search(self, state: State, simulations: int | None = None) -> SearchResult:
        """Run the simulations from ``state`` (left unchanged) and pick the most-visited action."""
        return search_batched([self], [state], simulations)[0]

    def reset(self) -> None:
        """Forget the tree (a new game)."""
        self.root, self._state, self._clean_root_priors = None, None, None

    # ---- the pieces search_batched drives ---------------------------------------
    def begin(self, state: State, simulations: int | None = None) -> None:
        if state.is_terminal():
            raise ValueError(f"{state.game.name}: cannot search from a terminal state")
        ismcts = not state.game.info.perfect_information if self.mode == "auto" else self.mode == "ismcts"
        observer = state.current_player
        gumbel = self.config.root == "gumbel"  # sequential halving needs a fresh root
        reused = (self._reusable_root(state, observer) if self.config.reuse and not gumbel and ismcts == self._ismcts
                  else None)
        self._ismcts, self._observer = ismcts, observer
        if reused is None:
            self.root = PUCTNode(state.num_players)
            self._lo, self._hi = math.inf, -math.inf
        else:
            self.root = reused
        self.root.pending = 0
        if ismcts:
            self.root.key = state.information_state(observer)
            self._state = state  # only ever resampled, never cloned
            self._worlds = None
            if self.config.beliefs:
                worlds, weight = BeliefSampler(self.evaluator, self.config.beliefs).weighted(state, observer, self._rng)
                self._worlds = worlds, np.cumsum(weight)
        else:
            self._state = state.clone()  # the root state, kept for reuse
        self._budget = self.config.simulations if simulations is None else simulations
        self._gumbel = None
        # A Gumbel root's budget is the simulations below it; its own evaluation is one more (mctx's root_fn).
        self._remaining = self._budget + 1 if gumbel else self._budget
        self._done = 0
        self._busy = set()
        if self.root.children:
            self._noise_root()

    @property
    def done(self) -> bool:
        return self._remaining <= 0

    def select_leaves(self, limit: int) -> list[Leaf]:
        """Up to ``limit`` leaves to evaluate, under virtual loss; terminal hits are backed up at once."""
        leaves: list[Leaf] = []
        while self._remaining > 0 and len(leaves) < limit:
            leaf = self._select()
            if leaf is _COLLISION:
                break
            self._remaining -= 1
            self._done += 1
            if leaf is not None:
                leaves.append(leaf)
        return leaves

    def expand_and_backup(self, leaves: Sequence[Leaf], priors: Sequence[np.ndarray], values: np.ndarray) -> None:
        for leaf, prior, value in zip(leaves, priors, values):
            self._busy.discard(id(leaf.node))
            self._expand(leaf.node, leaf.world, prior)
            if self._gumbel is not None and leaf.node is self.root:
                self._gumbel.value = float(value[self.root.player])  # v_hat, the mover's own entry
            self._backup(leaf.path, value, pending=True)

    def end(self) -> SearchResult:
        if self._gumbel is not None:
            return self._gumbel.result(self.root, self._done)
        return SearchResult(root=self.root, action=self.root.best_action(), simulations=self._done)

    # ---- selection -------------------------------------------------------------------
    def _new_world(self) -> State:
        if self._ismcts:
            if self._worlds is not None:  # a belief-weighted candidate, by its cumulative weight
                worlds, cumulative = self._worlds
                at = int(np.searchsorted(cumulative, self._rng.random() * cumulative[-1], side="right"))
                return worlds[min(at, len(worlds) - 1)].clone()
            return self._state.resample_hidden(self._observer, self._rng)
        return self._state.clone()

    def _select(self):
        """One simulation down to a leaf: a ``Leaf``, ``None`` (terminal, backed up) or a collision."""
        world = self._new_world()
        node = self.root
        path = [node]
        ismcts, observer = self._ismcts, self._observer
        by_policy = self.config.opponents == "policy"
        while True:
            if node.player is None:
                return self._commit(path, world, node)
            if node is self.root and self._gumbel is not None:
                action = self._gumbel.select(node)
                child = node.children[action]
                if ismcts and action not in world.legal_actions():
                    raise ValueError(f"{world.game.name}: root action {action} is not legal in a sampled world")
            elif ismcts:
                legal = world.legal_actions()
                if world.current_player != node.player:
                    raise ValueError(
                        f"{world.game.name}: sampled worlds disagree on who moves at the same information "
                        f"state ({node.player} vs {world.current_player})")
                legal_set = set(legal)
                candidates = [(a, ch) for a, ch in node.children.items() if a in legal_set]
                # Sampled in other worlds (an opponent's other hands): fewer of the node's
                # children are legal here than a sample of this world would hold, so this
                # world expands the node with its own sample (which then suffices for it).
                if len(candidates) < min(node.width, len(legal)):
                    return self._commit(path, world, node)
                if by_policy and node.player != observer:
                    action, child = _follow_prior(candidates)
                else:
                    action, child = self._pick(node, candidates)
            else:
                action, child = self._pick(node, node.children.items())
            # The action is one of the node's children, legal in this world (checked above,
            # or the node's actions came from this very state), so skip apply()'s re-check.
            world._apply(action)
            path.append(child)
            if ismcts:
                key = world.information_state(observer)
                if by_policy and not world.is_terminal() and world.current_player != observer:
                    key = f"{key} | {world.information_state(world.current_player)}"
                if child.outcomes is None:
                    child.outcomes = {}
                node = child.outcomes.get(key)
                if node is None:
                    node = child.outcomes[key] = PUCTNode(len(child.value_sum))
                    node.key = key
                path.append(node)
            else:
                node = child
            if world.is_terminal():
                self._backup(path, world.returns(), pending=False)
                return None

    def _commit(self, path: list[PUCTNode], world: State, node: PUCTNode):
        if id(node) in self._busy:
            return _COLLISION
        self._busy.add(id(node))
        for n in path:
            n.pending += 1
        return Leaf(path, world, node)

    def _pick(self, node: PUCTNode, children) -> tuple[int, PUCTNode]:
        """The child with the best PUCT score for the player moving at ``node``."""
        children = list(children)
        p = node.player
        lo, span = self._lo, self._hi - self._lo
        total_n, total_prior = 0, 0.0
        for _, ch in children:
            total_n += ch.visits + ch.pending
            total_prior += ch.prior
        if span > 0:
            fpu = (node.value_sum[p] / node.visits - lo) / span if node.visits else 0.5
        else:
            fpu = 0.5
        explore = self.config.c_puct * math.sqrt(max(total_n, 1)) / (total_prior if total_prior > 0 else 1.0)
        best, best_score = children[0], -math.inf
        for item in children:
            ch = item[1]
            n, v = ch.visits, ch.pending
            if n:
                q = (ch.value_sum[p] / n - lo) / span if span > 0 else 0.5
            else:
                q = fpu
            if v:  # virtual loss: each pending simulation counts as a visit worth 0
                q = q * n / (n + v)
            score = q + explore * ch.prior / (1 + n + v)
            if score > best_score:
                best, best_score = item, score
        return best

    # ---- expansion and backup ---------------------------------------------------------
    def _expand(self, node: PUCTNode, world: State, prior: np.ndarray) -> None:
        """Sample the node's children from ``prior`` over the world's legal actions (children
        already there keep their statistics and prior)."""
        legal = world.legal_actions()
        prior = np.asarray(prior, dtype=float)
        if prior.shape != (len(legal),):
            raise ValueError(f"evaluator gave a prior of shape {prior.shape} for {len(legal)} legal actions")
        node.player = world.current_player
        if node is self.root and self.config.root == "gumbel":
            self._expand_gumbel_root(node, legal, prior)
            return
        sampled = sample_actions(prior, self.config.k, self._rng, self.config.sample_temperature,
                                 self.config.replacement)
        node.width = max(node.width, len(sampled.indices))
        num_players = len(node.value_sum)
        children = node.children
        indices, priors = sampled.indices.tolist(), sampled.prior.tolist()
        for i in sorted(range(len(indices)), key=priors.__getitem__, reverse=True):
            # children in prior order (sorted is stable): PUCT ties go to the likelier action
            action = legal[indices[i]]
            if action not in children:
                children[action] = PUCTNode(num_players, priors[i])
        if node is self.root:
            self._noise_root()

    def _expand_gumbel_root(self, node: PUCTNode, legal: list[int], prior: np.ndarray) -> None:
        """Children: the ``gumbel_m`` actions of largest ``g + log prior`` (no Dirichlet noise)."""
        from selfplay.search.gumbel import GumbelRoot, value_range  # gumbel builds on determinize, which imports this module

        cfg = self.config
        if self.root_gumbel is not None:
            g = np.array([self.root_gumbel[a] for a in legal], dtype=float)
        else:
            g = self._rng.gumbel(size=len(legal)) * cfg.gumbel_scale
        total = prior.sum()
        pi = prior / total if total > 0 else np.full(len(legal), 1.0 / len(legal))
        self._gumbel = GumbelRoot(legal, pi, g, cfg.gumbel_m, self._budget, cfg.c_visit, cfg.c_scale,
                                  value_range(cfg, self._state.game), cfg.magnet)
        self._gumbel.player = node.player
        num_players = len(node.value_sum)
        for i in self._gumbel.considered:
            node.children[legal[i]] = PUCTNode(num_players, float(pi[i]))
        node.width = len(node.children)

    def _noise_root(self) -> None:
        cfg = self.config
        if cfg.dirichlet_fraction <= 0:
            return
        root, children = self.root, self.root.children
        # Priors before noise, so a root searched again is noised afresh, not twice.
        clean = self._clean_root_priors[1] if self._clean_root_priors and self._clean_root_priors[0] is root else {}
        clean = {a: clean.get(a, ch.prior) for a, ch in children.items()}
        self._clean_root_priors = (root, clean)
        actions = list(children)
        noisy = dirichlet_noise(np.array([clean[a] for a in actions]), cfg.dirichlet_alpha, cfg.dirichlet_fraction,
                                self._rng)
        for a, p in zip(actions, noisy):
            children[a].prior = float(p)

    def _backup(self, path: list[PUCTNode], values, pending: bool) -> None:
        values = [float(v) for v in values]
        low, high = min(values), max(values)
        if low < self._lo:
            self._lo = low
        if high > self._hi:
            self._hi = high
        for node in path:
            node.visits += 1
            if pending:
                node.pending -= 1
            sums = node.value_sum
            for p, v in enumerate(values):
                sums[p] += v

    # ---- tree reuse -----------------------------------------------------------------
    def _reusable_root(self, state: State, observer: int) -> PUCTNode | None:
        """The node of ``state`` (by ``observer``'s information state) at most
        ``num_players`` actions below the last root: the last position itself, or one
        reached by the searcher's move and the others' replies. ``None`` if there is none."""
        old = self.root
        if old is None or not old.children or (self._ismcts and observer != self._observer):
            return None  # an ISMCTS tree holds one observer's information states
        target = state.information_state(observer)
        if self._ismcts:  # decision nodes carry their key
            frontier = [old]
            for depth in range(state.num_players + 1):
                for node in frontier:
                    if node.player == observer and node.key == target:
                        return node
                if depth < state.num_players:
                    frontier = [out for n in frontier for ch in n.children.values() if ch.outcomes
                                for out in ch.outcomes.values()]
            return None
        levels = [(old, self._state)]  # perfect information: replay the actions on the last root state
        for depth in range(state.num_players + 1):
            for node, world in levels:
                if node.player == observer and world.information_state(observer) == target:
                    return node
            if depth < state.num_players:
                following = []
                for node, world in levels:
                    for action, child in node.children.items():
                        if child.visits and not world.is_terminal():
                            after = world.clone()
                            after._apply(action)
                            following.append((child, after))
                levels = following
        return None


def _follow_prior(children) -> tuple[int, PUCTNode]:
    """The child whose visits lag its prior most: ``argmax P(a) - N(a) / (1 + sum N)`` (pending
    simulations count as visits), so the visits follow the prior without noise."""
    children = list(children)
    total = sum(ch.visits + ch.pending for _, ch in children)
    return max(children, key=lambda item: item[1].prior - (item[1].visits + item[1].pending) / (1 + total))


def search_batched(
    searches: Sequence[PUCT], states: Sequence[State], simulations: int | None = None
) -> list[SearchResult]:
    """Run one search per state at once: each round every unfinished search selects up to
    its ``config.batch`` leaves, and all leaves sharing an evaluator go to it in one
    ``evaluate_batch`` call. Returns each search's result, in order."""
    if len(searches) != len(states):
        raise ValueError("search_batched: one state per search")
    # The trees hold no reference cycles (nodes point only to their children), so reference
    # counting frees them; the cyclic collector would only rescan the growing trees, a third
    # of the search's time. It is paused for the search and restored after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(searches, states, simulations)
    finally:
        if collecting:
            gc.enable()


def _run(searches: Sequence[PUCT], states: Sequence[State], simulations: int | None) -> list[SearchResult]:
    for search, state in zip(searches, states):
        search.begin(state, simulations)
    while True:
        groups: dict[int, list[tuple[PUCT, list[Leaf]]]] = {}
        active = False
        for search in searches:
            if search.done:
                continue
            active = True
            leaves = search.select_leaves(search.config.batch)
            if leaves:
                groups.setdefault(id(search.evaluator), []).append((search, leaves))
        if not active:
            break
        for pending in groups.values():
            worlds = [leaf.world for _, leaves in pending for leaf in leaves]
            priors, values = pending[0][0].evaluator.evaluate_batch(worlds)
            values = np.asarray(values, dtype=float)
            at = 0
            for search, leaves in pending:
                search.expand_and_backup(leaves, priors[at:at + len(leaves)], values[at:at + len(leaves)])
                at += len(leaves)
    return [search.end() for search in searches]
