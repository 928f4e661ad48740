"""DouDizhu rules engine: notation, the move table, legal moves, the game, features.

Pure rules in standard notation ``3456789TJQKA2BR`` (a move is its cards
sorted by that order; ``""`` or ``pass`` is a pass)::

    >>> from selfplay.games.doudizhu import legal_moves, classify, beats
    >>> legal_moves("33445", "4")
    ['5', '']
    >>> classify("4443").type, classify("3444").key
    ('trio_solo', '4')
    >>> beats("3333", "BR"), beats("BR", "2222")
    (False, True)

The game (``selfplay.games.make("doudizhu", bidding=False, objective="adp",
spring=False)``) is :class:`DouDizhu`; see ``game`` for flow and scoring,
``moves`` for the action index order, ``features`` for observation shapes,
and docs/doudizhu.md for the whole picture.
"""

from selfplay.games.doudizhu.cards import RANKS, CardError, format_hand, normalize, parse
from selfplay.games.doudizhu.features import douzero_features
from selfplay.games.doudizhu.game import BID_BASE, NUM_ACTIONS, DouDizhu, DouDizhuState
from selfplay.games.doudizhu.legal import check_move, legal_indices, legal_moves
from selfplay.games.doudizhu.moves import (
    NUM_MOVES, PASS, TYPE_NAMES, Move, MoveError, beats, beats_index, classify, index_of, move_info,
)

__all__ = [
    "BID_BASE", "NUM_ACTIONS", "NUM_MOVES", "PASS", "RANKS", "TYPE_NAMES", "CardError", "DouDizhu", "DouDizhuState",
    "Move", "MoveError", "beats", "beats_index", "check_move", "classify", "douzero_features", "format_hand", "index_of",
    "legal_indices", "legal_moves", "move_info", "normalize", "parse",
]
