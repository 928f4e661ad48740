"""Card notation, the packed rank-count hand, and dealing.

Standard notation: one character per card, ranks in increasing order
``3456789TJQKA2BR`` (``T`` = ten, ``B`` = black joker, ``R`` = red joker).
Suits never matter in DouDizhu, so a hand is a multiset of ranks: at most four
of ``3``..``2`` and one of each joker. A hand or move prints as its cards
sorted by that order (``"33345"``); the empty move (a pass) prints as ``""``
in the rules API and as ``"pass"`` in the game's ``action_to_string``.

Inside the engine a multiset of ranks is one Python ``int`` with 4 bits per
rank (rank ``r`` at bits ``4r..4r+3``), a *packed hand*. Playing cards is one
subtraction, and a move ``m`` is contained in a hand ``h`` iff no nibble
borrows in ``(h | GUARD) - m``, i.e. ``((h | GUARD) - m) & GUARD == GUARD``,
because counts never exceed 4 and ``GUARD`` sets the top bit of every nibble.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

RANKS = "3456789TJQKA2BR"
NUM_RANKS = 15
RANK_INDEX = {c: i for i, c in enumerate(RANKS)}
BLACK_JOKER, RED_JOKER = 13, 14
TWO = 12
#: How many cards of each rank a deck holds.
RANK_LIMITS = (4,) * 13 + (1, 1)
DECK_SIZE = 54
HAND_SIZE = 17
KITTY_SIZE = 3
#: The 54 cards as ranks, sorted; a shuffled permutation of it is a deal.
DECK = tuple(r for r in range(NUM_RANKS) for _ in range(RANK_LIMITS[r]))

ONES = sum(1 << (4 * r) for r in range(NUM_RANKS))
GUARD = ONES << 3
FULL_DECK = sum(n << (4 * r) for r, n in enumerate(RANK_LIMITS))
ROCKET_MASK = (1 << (4 * BLACK_JOKER)) | (1 << (4 * RED_JOKER))



class CardError(ValueError):
    """Text that is not a multiset of cards; ``reason`` is ``"not a card"`` or
    ``"too many"`` (more copies of a rank than the deck has)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def parse_counts(text: str) -> list[int]:
    """Rank counts (length 15) of ``text`` in standard notation.

    Case-insensitive; spaces and commas are ignored; ``10`` means ``T``; an
    empty string, ``pass`` or ``-`` is the empty multiset. Raises
    :class:`CardError` for characters that are not cards or for more copies of
    a rank than the deck holds.
    """
    s = "".join(text.replace(",", " ").split()).upper()
    if s in ("", "PASS", "-"):
        return [0] * NUM_RANKS
    s = s.replace("10", "T")
    counts = [0] * NUM_RANKS
    for ch in s:
        r = RANK_INDEX.get(ch)
        if r is None:
            raise CardError(f"{ch!r} is not a card (cards are {RANKS}; T is ten, B/R the black/red joker)",
                            "not a card")
        counts[r] += 1
    for r, n in enumerate(counts):
        if n > RANK_LIMITS[r]:
            raise CardError(f"{RANKS[r] * n!r}: the deck has only {RANK_LIMITS[r]} of {RANKS[r]!r}", "too many")
    return counts


def pack(counts: Iterable[int]) -> int:
    """The packed hand of a rank-count sequence."""
    h = 0
    for r, n in enumerate(counts):
        h |= n << (4 * r)
    return h


def unpack(hand: int) -> list[int]:
    """Rank counts (length 15) of a packed hand."""
    return [(hand >> (4 * r)) & 15 for r in range(NUM_RANKS)]


def parse(text: str) -> int:
    """The packed hand of ``text`` (see :func:`parse_counts`)."""
    return pack(parse_counts(text))


def format_counts(counts: Iterable[int]) -> str:
    return "".join(RANKS[r] * n for r, n in enumerate(counts))


def format_hand(hand: int) -> str:
    """Standard notation of a packed hand, sorted by rank."""
    return format_counts(unpack(hand))


def normalize(text: str) -> str:
    """``text`` re-printed in standard sorted notation (``"pass"`` -> ``""``)."""
    return format_counts(parse_counts(text))


def contains(hand: int, cards: int) -> bool:
    """Whether packed ``hand`` holds every card of packed ``cards``."""
    return ((hand | GUARD) - cards) & GUARD == GUARD


def size(hand: int) -> int:
    """Number of cards in a packed hand."""
    return sum(unpack(hand))


def ranks_of_deal(ranks: Iterable[int]) -> int:
    """Packed hand of a sequence of rank indices (e.g. a slice of a shuffled ``DECK``)."""
    h = 0
    for r in ranks:
        h += 1 << (4 * r)
    return h


_DECK_PACKED = np.array([1 << (4 * r) for r in DECK], dtype=np.int64)


def random_deal(rng: np.random.Generator) -> tuple[list[int], int]:
    """Shuffle the deck: packed hands of seats 0, 1, 2 (17 cards each, in that
    order off the shuffled deck) and the packed 3-card kitty (the last three)."""
    cards = rng.permutation(_DECK_PACKED).tolist()
    return [sum(cards[0:17]), sum(cards[17:34]), sum(cards[34:51])], sum(cards[51:54])


def parse_deal(deal: Sequence[str]) -> tuple[list[int], int]:
    """Packed hands and kitty of ``(hand0, hand1, hand2, kitty)`` in notation;
    ValueError unless they hold 17, 17, 17 and 3 cards making exactly one deck."""
    if isinstance(deal, str) or len(deal) != 4:
        raise ValueError("deal must be (hand0, hand1, hand2, kitty): four strings of 17, 17, 17 and 3 cards")
    try:
        packed = [parse(part) for part in deal]
    except CardError as err:
        raise ValueError(f"deal: {err}") from None
    sizes = [size(h) for h in packed]
    if sizes != [HAND_SIZE] * 3 + [KITTY_SIZE]:
        raise ValueError(f"deal: hands and kitty must hold 17, 17, 17 and 3 cards, not {sizes}")
    if unpack(sum(packed)) != list(RANK_LIMITS):
        raise ValueError("deal: the four parts together must be exactly the 54-card deck")
    return packed[:3], packed[3]
