"""Search over the ``selfplay.games`` State contract (numpy only, no torch).

- ``mcts_search`` / ``MCTS``: plain UCT with max^n backups and an injectable
  ``Evaluator`` (``RandomRollout`` by default); determinizes imperfect-information
  games through ``resample_hidden``. ``MCTSAgent`` plays with it.
- ``PUCT``: PUCT over K sampled actions per node (Gumbel-top-k, Sampled
  MuZero's prior correction; ``sampling``), Dirichlet root noise, max^n value
  vectors, leaves evaluated in batches under virtual loss (``search_batched``
  runs many games at once), tree reuse between moves.
- ``ISMCTS`` and ``PIMC`` (``determinize``): hidden information by sampled worlds.
- ``PUCTConfig(root="gumbel")`` (``gumbel``): Gumbel-top-k and sequential halving at
  the root, the improved policy ``softmax(logits + sigma(completed Q))`` as
  ``result.target``; ``GumbelPIMC`` shares one Gumbel draw across PIMC's worlds.
- Evaluators: ``RandomRollout``, ``NetworkEvaluator`` (a numpy callable), or
  anything with ``evaluate_batch`` (``BatchEvaluator``).

See docs/search.md.
"""

from selfplay.search.determinize import ISMCTS, PIMC, PIMCResult
from selfplay.search.evaluators import (
    BatchEvaluator, Evaluator, NetworkEvaluator, RandomRollout, as_batch_evaluator, team_value_vector,
)
from selfplay.search.gumbel import GumbelPIMC, GumbelPIMCResult, GumbelResult, RootStatistics, improved_policy
from selfplay.search.mcts import DEFAULT_C, MCTS, MCTSAgent, SearchResult, mcts_search, uct_select
from selfplay.search.node import SearchNode
from selfplay.search.puct import PUCT, PUCTConfig, PUCTNode, search_batched
from selfplay.search.sampling import corrected_prior, gumbel_top_k, sample_actions

__all__ = [
    "DEFAULT_C",
    "ISMCTS",
    "MCTS",
    "PIMC",
    "PUCT",
    "BatchEvaluator",
    "Evaluator",
    "GumbelPIMC",
    "GumbelPIMCResult",
    "GumbelResult",
    "MCTSAgent",
    "NetworkEvaluator",
    "PIMCResult",
    "PUCTConfig",
    "PUCTNode",
    "RandomRollout",
    "RootStatistics",
    "SearchNode",
    "SearchResult",
    "as_batch_evaluator",
    "corrected_prior",
    "gumbel_top_k",
    "improved_policy",
    "mcts_search",
    "sample_actions",
    "search_batched",
    "team_value_vector",
    "uct_select",
]
