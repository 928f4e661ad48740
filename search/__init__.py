"""Search over the ``selfplay.games`` State contract (numpy only, no torch).

``mcts_search`` / ``MCTS``: UCT with max^n backups and an injectable
``Evaluator`` (``RandomRollout`` by default); determinizes imperfect-information
games through ``resample_hidden``. ``MCTSAgent`` plays with it.
"""

from selfplay.search.evaluators import Evaluator, RandomRollout
from selfplay.search.mcts import DEFAULT_C, MCTS, MCTSAgent, SearchResult, mcts_search, uct_select
from selfplay.search.node import SearchNode

__all__ = [
    "DEFAULT_C",
    "MCTS",
    "Evaluator",
    "MCTSAgent",
    "RandomRollout",
    "SearchNode",
    "SearchResult",
    "mcts_search",
    "uct_select",
]
