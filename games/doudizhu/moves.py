"""The fixed table of every distinct DouDizhu move, classification and comparison.

Every move (a multiset of cards that the rules allow as one play) has one
index in a table of ``NUM_MOVES = 27472`` entries, pass included. Moves are
grouped by type in this order, and inside a type by chain length, then by key
rank (the lowest rank of the chain, or the rank of the trio/four), then by the
kicker ranks as a sorted tuple, lexicographically:

=====================  ==============  =====  ================================
type                   indices         count  what it is
=====================  ==============  =====  ================================
``solo``               0 - 14          15     one card
``pair``               15 - 27         13     two of a rank (no jokers)
``trio``               28 - 40         13     three of a rank
``trio_solo``          41 - 222        182    trio + one card of another rank
``trio_pair``          223 - 378       156    trio + a pair of another rank
``solo_chain``         379 - 414       36     5..12 consecutive ranks in 3..A
``pair_chain``         415 - 466       52     3..10 consecutive pairs in 3..A
``airplane``           467 - 511       45     2..6 consecutive trios in 3..A
``airplane_solo``      512 - 22333     21822  2..5 chained trios + as many solo wings
``airplane_pair``      22334 - 25272   2939   2..4 chained trios + as many pair wings
``four_two_solo``      25273 - 26598   1326   four of a rank + two solo cards
``four_two_pair``      26599 - 27456   858    four of a rank + two pairs
``bomb``               27457 - 27469   13     four of a rank
``rocket``             27470           1      both jokers
pass                   27471 (``PASS``) 1     no cards
=====================  ==============  =====  ================================

These group boundaries, and the index of every move without kickers, are the
same as RLCard 1.2.0's DouDizhu action ids (RLCard orders kickers of
``trio_solo_chain`` differently; compare moves by their cards, not ids).

Kicker rules follow RLCard's judger: kickers never use a rank of the trio,
chain or four they are attached to; the two jokers are never both kickers;
solo wings hold at most three of a rank, and at most two of a rank adjacent
to the airplane (a third would extend the chain), except ``2``; pair kickers
are pairs of distinct ranks (no jokers); four-with-two-solos may take a pair
as its two solos (``333355``). DouZero is looser (both jokers, a bomb or an
adjacent trio as wings); we follow RLCard.

Comparison: a move beats another of the same type and chain length with a
higher key; a bomb beats every non-bomb and lower bombs; the rocket beats
everything. Nothing beats a pass; a pass beats nothing.
"""

from __future__ import annotations

from itertools import combinations, combinations_with_replacement
from typing import NamedTuple

from selfplay.games.doudizhu.cards import (
    BLACK_JOKER, NUM_RANKS, RANK_LIMITS, RANKS, RED_JOKER, TWO, CardError, format_counts, pack, parse_counts,
)

TYPE_NAMES = (
    "solo", "pair", "trio", "trio_solo", "trio_pair", "solo_chain", "pair_chain", "airplane",
    "airplane_solo", "airplane_pair", "four_two_solo", "four_two_pair", "bomb", "rocket", "pass",
)
(SOLO, PAIR, TRIO, TRIO_SOLO, TRIO_PAIR, SOLO_CHAIN, PAIR_CHAIN, AIRPLANE,
 AIRPLANE_SOLO, AIRPLANE_PAIR, FOUR_TWO_SOLO, FOUR_TWO_PAIR, BOMB, ROCKET, PASS_TYPE) = range(15)
#: Types whose moves carry kickers: a *core* (trio, airplane or four) plus kicker cards.
KICKER_TYPES = frozenset((TRIO_SOLO, TRIO_PAIR, AIRPLANE_SOLO, AIRPLANE_PAIR, FOUR_TWO_SOLO, FOUR_TWO_PAIR))
#: Chain lengths per chained type (``solo_chain`` 5..12 etc.).
CHAIN_LENGTHS = {SOLO_CHAIN: range(5, 13), PAIR_CHAIN: range(3, 11), AIRPLANE: range(2, 7),
                 AIRPLANE_SOLO: range(2, 6), AIRPLANE_PAIR: range(2, 5)}
NORMAL = range(13)  # ranks 3..2; jokers are 13 and 14
CHAIN_TOP = 12  # chains run over ranks 0..11 (3..A)


class MoveError(ValueError):
    """A move that cannot be played; ``reason`` is one of ``"not a card"``,
    ``"too many"``, ``"not in hand"``, ``"not a valid combination"``,
    ``"does not beat"``, ``"cannot pass"``."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class Move(NamedTuple):
    """A classified move: its table ``index``, ``cards`` (standard notation),
    ``type`` name, chain ``length`` (1 for non-chains), ``key`` rank character
    (what comparison looks at) and card count ``size``."""

    index: int
    cards: str
    type: str
    length: int
    key: str
    size: int


def _wing_caps(start: int, length: int) -> list[int]:
    """How many cards of each rank solo wings may use next to this airplane."""
    caps = [0 if start <= r < start + length else (3 if r < 13 else 1) for r in range(NUM_RANKS)]
    for adj in (start - 1, start + length):
        if 0 <= adj < TWO:  # a third card here would extend the chain; 2 never chains
            caps[adj] = 2
    return caps


def _kicker_sets(mtype: int, key: int, length: int) -> list[tuple[int, ...]]:
    """Kicker rank tuples (sorted; lexicographic order) for a core."""
    core = range(key, key + length)
    if mtype == TRIO_SOLO:
        return [(k,) for k in range(NUM_RANKS) if k != key]
    if mtype == TRIO_PAIR:
        return [(k,) for k in NORMAL if k != key]
    if mtype == AIRPLANE_PAIR:
        return list(combinations([r for r in NORMAL if r not in core], length))
    if mtype == FOUR_TWO_PAIR:
        return list(combinations([r for r in NORMAL if r != key], 2))
    if mtype == FOUR_TWO_SOLO:
        caps = [0 if r == key else (2 if r < 13 else 1) for r in range(NUM_RANKS)]
        size = 2
    else:  # AIRPLANE_SOLO
        caps, size = _wing_caps(key, length), length
    out = []
    for combo in combinations_with_replacement([r for r in range(NUM_RANKS) if caps[r]], size):
        if BLACK_JOKER in combo and RED_JOKER in combo:
            continue
        if all(combo.count(r) <= caps[r] for r in set(combo)):
            out.append(combo)
    return out


def _cores():
    """(type, length, key, core rank counts) of every core, in table order."""
    for r in range(NUM_RANKS):
        yield SOLO, 1, r, {r: 1}
    for n, mtype in ((2, PAIR), (3, TRIO)):
        for r in NORMAL:
            yield mtype, 1, r, {r: n}
    for mtype in (TRIO_SOLO, TRIO_PAIR):
        for r in NORMAL:
            yield mtype, 1, r, {r: 3}
    for mtype, n in ((SOLO_CHAIN, 1), (PAIR_CHAIN, 2), (AIRPLANE, 3), (AIRPLANE_SOLO, 3), (AIRPLANE_PAIR, 3)):
        for length in CHAIN_LENGTHS[mtype]:
            for start in range(CHAIN_TOP - length + 1):
                yield mtype, length, start, {r: n for r in range(start, start + length)}
    for mtype in (FOUR_TWO_SOLO, FOUR_TWO_PAIR, BOMB):
        for r in NORMAL:
            yield mtype, 1, r, {r: 4}
    yield ROCKET, 1, BLACK_JOKER, {BLACK_JOKER: 1, RED_JOKER: 1}


# ---- the table -------------------------------------------------------------
MOVE_CARDS: list[str] = []   #: standard notation of each move ("" for pass)
MOVE_MASK: list[int] = []    #: packed cards
MOVE_TYPE: list[int] = []    #: type code (index into TYPE_NAMES)
MOVE_LENGTH: list[int] = []  #: chain length, 1 for non-chains, 0 for pass
MOVE_KEY: list[int] = []     #: key rank index compared between moves of one group
MOVE_SIZE: list[int] = []    #: number of cards
MOVE_GROUP: list[int] = []   #: comparison group: same group = same type and length
MOVE_CORE: list[int] = []    #: packed core (the move itself when it has no kickers)
_GROUPS: dict[tuple[int, int], int] = {}
GROUP_TYPE: list[int] = []    #: type code of each comparison group
#: per group, its cores sorted by key: (key, packed core, index or tuple of (packed kickers, index))
GROUP_CORES: list[list[tuple[int, int, object]]] = []

for _type, _length, _key, _core in _cores():
    _group = _GROUPS.setdefault((_type, _length), len(_GROUPS))
    if _group == len(GROUP_CORES):
        GROUP_CORES.append([])
        GROUP_TYPE.append(_type)
    _core_mask = pack(_core.get(r, 0) for r in range(NUM_RANKS))
    _kickers = _kicker_sets(_type, _key, _length) if _type in KICKER_TYPES else [()]
    _variants = []
    for _kick in _kickers:
        _counts = [_core.get(r, 0) for r in range(NUM_RANKS)]
        _per = 2 if _type in (TRIO_PAIR, AIRPLANE_PAIR, FOUR_TWO_PAIR) else 1
        for _k in _kick:
            _counts[_k] += _per
        assert all(n <= RANK_LIMITS[r] for r, n in enumerate(_counts)), (_type, _key, _kick)
        _variants.append((pack(_counts) - _core_mask, len(MOVE_CARDS)))
        MOVE_CARDS.append(format_counts(_counts))
        MOVE_MASK.append(pack(_counts))
        MOVE_TYPE.append(_type)
        MOVE_LENGTH.append(_length)
        MOVE_KEY.append(_key)
        MOVE_SIZE.append(sum(_counts))
        MOVE_GROUP.append(_group)
        MOVE_CORE.append(_core_mask)
    _entry = tuple(_variants) if _type in KICKER_TYPES else _variants[0][1]
    GROUP_CORES[_group].append((_key, _core_mask, _entry))

PASS = len(MOVE_CARDS)
for _table, _value in ((MOVE_CARDS, ""), (MOVE_MASK, 0), (MOVE_TYPE, PASS_TYPE), (MOVE_LENGTH, 0), (MOVE_KEY, -1),
                       (MOVE_SIZE, 0), (MOVE_GROUP, -1), (MOVE_CORE, 0)):
    _table.append(_value)
NUM_MOVES = len(MOVE_CARDS)
INDEX_OF_MASK: dict[int, int] = {m: i for i, m in enumerate(MOVE_MASK)}
assert len(INDEX_OF_MASK) == NUM_MOVES, "two moves with the same cards"
TYPE_START = {t: MOVE_TYPE.index(t) for t in range(len(TYPE_NAMES))}
BOMB_START, ROCKET_INDEX = TYPE_START[BOMB], TYPE_START[ROCKET]

#: For every move, the cores of its group with a higher key (what may beat it
#: without a bomb): shared tuples of (packed core, index or variants).
BEATING_CORES: list[tuple[tuple[int, object], ...]] = []
_above_cache: dict[tuple[int, int], tuple] = {}
for _i in range(NUM_MOVES):
    _g, _k = MOVE_GROUP[_i], MOVE_KEY[_i]
    if _g < 0 or MOVE_TYPE[_i] in (BOMB, ROCKET):
        BEATING_CORES.append(())
        continue
    if (_g, _k) not in _above_cache:
        _above_cache[(_g, _k)] = tuple((c, e) for key, c, e in GROUP_CORES[_g] if key > _k)
    BEATING_CORES.append(_above_cache[(_g, _k)])
del _above_cache


# ---- classification and comparison ------------------------------------------
def beats_index(move: int, to_beat: int) -> bool:
    """Whether move index ``move`` may be played on ``to_beat`` (both non-pass)."""
    mtype = MOVE_TYPE[move]
    if mtype == ROCKET:
        return MOVE_TYPE[to_beat] != ROCKET
    if mtype == BOMB:
        btype = MOVE_TYPE[to_beat]
        return btype != ROCKET and (btype != BOMB or MOVE_KEY[move] > MOVE_KEY[to_beat])
    return MOVE_GROUP[move] == MOVE_GROUP[to_beat] and MOVE_KEY[move] > MOVE_KEY[to_beat]


def index_of(cards: str) -> int:
    """Table index of ``cards`` (any order/case; ``""``/``pass`` is ``PASS``).

    Raises :class:`MoveError` (reason ``not a card``, ``too many`` or
    ``not a valid combination``)."""
    try:
        counts = parse_counts(cards)
    except CardError as err:
        raise MoveError(str(err), err.reason) from None
    index = INDEX_OF_MASK.get(pack(counts))
    if index is None:
        raise MoveError(f"{format_counts(counts)!r} is not a valid combination", "not a valid combination")
    return index


def move_info(index: int) -> Move:
    """The :class:`Move` at a table index."""
    key = MOVE_KEY[index]
    return Move(index, MOVE_CARDS[index], TYPE_NAMES[MOVE_TYPE[index]], MOVE_LENGTH[index],
                RANKS[key] if key >= 0 else "", MOVE_SIZE[index])


def classify(cards: str) -> Move:
    """Classify ``cards`` (e.g. ``"33344456"`` -> ``airplane_solo``, length 2,
    key ``"3"``). Raises :class:`MoveError` if it is not a move."""
    return move_info(index_of(cards))


def beats(move: str, to_beat: str) -> bool:
    """Whether ``move`` may be played on ``to_beat`` (both in notation).

    A pass never beats anything and nothing beats a pass (after two passes the
    next player leads instead)."""
    a, b = index_of(move), index_of(to_beat)
    if a == PASS or b == PASS:
        return False
    return beats_index(a, b)
