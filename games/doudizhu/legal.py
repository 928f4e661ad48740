"""Legal move generation: every move a hand may lead, or every move that beats one.

Two levels: :func:`legal_moves` works in standard notation (the rules API, the
CLI); :func:`legal_indices` works on packed hands and table indices (what the
game state calls billions of times). Both return moves in table order, so the
index lists come out sorted; when following, ``PASS`` (the last index) is
always included, when leading it never is.

Why it is fast: a hand is a packed int (see ``cards``), so the ranks holding
at least 1, 2, 3 or 4 cards are four bit masks computed with a few shifts, and
everything that depends on one mask only (solos, pairs, chains, airplanes,
bombs) is a cached tuple looked up by that mask. Kicker moves are generated
per core (trio, airplane, four) that the hand holds, by filtering the core's
precomputed kicker variants with the no-borrow containment test. Following
scans only the cores of the target's group with a higher key, then bombs and
the rocket.
"""

from __future__ import annotations

from selfplay.games.doudizhu.cards import (
    GUARD, NUM_RANKS, ONES, ROCKET_MASK, CardError, format_counts, pack, parse_counts,
)
from selfplay.games.doudizhu.moves import (
    AIRPLANE, AIRPLANE_PAIR, AIRPLANE_SOLO, BEATING_CORES, BOMB, BOMB_START, FOUR_TWO_PAIR, FOUR_TWO_SOLO, GROUP_CORES,
    GROUP_TYPE, MOVE_CARDS, MOVE_GROUP, MOVE_KEY, MOVE_MASK, MOVE_TYPE, PAIR, PAIR_CHAIN, PASS, ROCKET, ROCKET_INDEX,
    SOLO, SOLO_CHAIN, TRIO, TRIO_PAIR, TRIO_SOLO, TYPE_START, MoveError, beats_index, index_of,
)

LOW12 = sum(1 << (4 * r) for r in range(12))  # ranks 3..A: the ones that chain
_SOLO0, _PAIR0, _TRIO0 = TYPE_START[0], TYPE_START[1], TYPE_START[2]


def _group_entries(mtype: int) -> list[tuple[int, object]]:
    """(packed core, entry) of every core of a type, in table order."""
    return [(core, entry) for group, cores in enumerate(GROUP_CORES) if GROUP_TYPE[group] == mtype
            for _, core, entry in cores]


class _ByMask(dict):
    """A dict that computes (and keeps) a missing key with ``make(key)``."""

    def __init__(self, make) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: int):
        value = self[key] = self.make(key)
        return value


def _ranks(mask: int) -> tuple[int, ...]:
    return tuple(r for r in range(NUM_RANKS) if mask >> (4 * r) & 1)


RANKS_OF = _ByMask(_ranks)  # nibble-spaced rank mask -> ranks it holds


def _cores_within(mtype: int):
    """A mask -> (packed core, entry) of the type's cores whose ranks all lie in the mask."""
    entries = _group_entries(mtype)

    def make(mask: int) -> tuple:
        return tuple((core, entry) for core, entry in entries if core_ranks(core) & ~mask == 0)

    return _ByMask(make)


def core_ranks(core: int) -> int:
    """Nibble-spaced mask of the ranks a packed core uses."""
    return (core | core >> 1 | core >> 2) & ONES


def _indices_within(mtype: int):
    inner = _cores_within(mtype)
    return _ByMask(lambda mask: tuple(entry for _, entry in inner[mask]))


_SOLOS = _ByMask(lambda m: tuple(_SOLO0 + r for r in _ranks(m)))
_PAIRS = _ByMask(lambda m: tuple(_PAIR0 + r for r in _ranks(m)))
_TRIOS = _ByMask(lambda m: tuple(_TRIO0 + r for r in _ranks(m)))
_BOMBS = _ByMask(lambda m: tuple(BOMB_START + r for r in _ranks(m)))
_SOLO_CHAINS = _indices_within(SOLO_CHAIN)     # keyed by ranks with >= 1 card among 3..A
_PAIR_CHAINS = _indices_within(PAIR_CHAIN)     # ... >= 2 cards
_AIRPLANES = _indices_within(AIRPLANE)         # ... >= 3 cards
_AIRPLANE_SOLO_CORES = _cores_within(AIRPLANE_SOLO)
_AIRPLANE_PAIR_CORES = _cores_within(AIRPLANE_PAIR)
# trio/four kicker rows: for core rank t, the move index per kicker rank (None where not allowed)
_TRIO_SOLO_ROW = [[None] * NUM_RANKS for _ in range(13)]
_TRIO_PAIR_ROW = [[None] * NUM_RANKS for _ in range(13)]
for _key, _core, _variants in GROUP_CORES[MOVE_GROUP[TYPE_START[TRIO_SOLO]]]:
    for _kick, _i in _variants:
        _TRIO_SOLO_ROW[_key][(_kick.bit_length() - 1) // 4] = _i  # the kicker's rank
for _key, _core, _variants in GROUP_CORES[MOVE_GROUP[TYPE_START[TRIO_PAIR]]]:
    for _kick, _i in _variants:
        _TRIO_PAIR_ROW[_key][(_kick.bit_length() - 1) // 4] = _i
_FOUR_SOLO = {key: variants for key, _, variants in GROUP_CORES[MOVE_GROUP[TYPE_START[FOUR_TWO_SOLO]]]}
_FOUR_PAIR = {key: variants for key, _, variants in GROUP_CORES[MOVE_GROUP[TYPE_START[FOUR_TWO_PAIR]]]}
_FOUR_CORE = [4 << (4 * r) for r in range(13)]


def _filter(variants, hand_guarded: int) -> list[int]:
    """The indices of the (packed kickers, index) variants that the guarded hand holds."""
    return [i for kick, i in variants if (hand_guarded - kick) & GUARD == GUARD]


def lead_indices(hand: int) -> list[int]:
    """Every move a packed ``hand`` may lead, as sorted table indices (no pass)."""
    p1 = (hand | hand >> 1 | hand >> 2) & ONES
    p2 = (hand >> 1 | hand >> 2) & ONES
    p3 = (hand & hand >> 1 | hand >> 2) & ONES
    p4 = hand >> 2 & ONES
    out = list(_SOLOS[p1])
    if p2:
        out += _PAIRS[p2]
        if p3:
            out += _TRIOS[p3]
            trios = RANKS_OF[p3]
            singles = RANKS_OF[p1]
            for t in trios:
                row = _TRIO_SOLO_ROW[t]
                out += [row[k] for k in singles if k != t]
            pairs = RANKS_OF[p2]
            for t in trios:
                row = _TRIO_PAIR_ROW[t]
                out += [row[k] for k in pairs if k != t]
    low = p1 & LOW12
    if low:
        out += _SOLO_CHAINS[low]
        low = p2 & LOW12
        if low:
            out += _PAIR_CHAINS[low]
            low = p3 & LOW12
            if low:
                planes = _AIRPLANES[low]
                if planes:
                    out += planes
                    guarded = hand | GUARD
                    for core, variants in _AIRPLANE_SOLO_CORES[low]:
                        out += _filter(variants, guarded - core)
                    for core, variants in _AIRPLANE_PAIR_CORES[low]:
                        out += _filter(variants, guarded - core)
    if p4:
        guarded = hand | GUARD
        fours = RANKS_OF[p4]
        for f in fours:
            out += _filter(_FOUR_SOLO[f], guarded - _FOUR_CORE[f])
        for f in fours:
            out += _filter(_FOUR_PAIR[f], guarded - _FOUR_CORE[f])
        out += _BOMBS[p4]
    if hand & ROCKET_MASK == ROCKET_MASK:
        out.append(ROCKET_INDEX)
    return out


# Solo, pair and trio targets (most follows) skip the core scan: the ranks above
# the key holding enough cards are one mask, and its moves a cached tuple.
_FOLLOW_BY_MASK: list = [None] * len(MOVE_TYPE)
for _i, _t in enumerate(MOVE_TYPE):
    if _t in (SOLO, PAIR, TRIO):
        _FOLLOW_BY_MASK[_i] = (_t, ONES & ~((1 << (4 * MOVE_KEY[_i] + 4)) - 1), (_SOLOS, _PAIRS, _TRIOS)[_t])


def follow_indices(hand: int, to_beat: int) -> list[int]:
    """Every move of a packed ``hand`` that beats move index ``to_beat``, then ``PASS``."""
    by_mask = _FOLLOW_BY_MASK[to_beat]
    if by_mask is not None:
        need, above, table = by_mask
        if need == SOLO:
            out = list(table[(hand | hand >> 1 | hand >> 2) & above])
        elif need == PAIR:
            out = list(table[(hand >> 1 | hand >> 2) & above])
        else:
            out = list(table[(hand & hand >> 1 | hand >> 2) & above])
    else:
        guarded = hand | GUARD
        out = []
        for core, entry in BEATING_CORES[to_beat]:
            if (guarded - core) & GUARD == GUARD:
                if entry.__class__ is int:
                    out.append(entry)
                else:
                    out += _filter(entry, guarded - core)
    p4 = hand >> 2 & ONES
    if p4:
        if MOVE_TYPE[to_beat] == BOMB:
            p4 &= ~((1 << (4 * MOVE_KEY[to_beat] + 4)) - 1)
        elif MOVE_TYPE[to_beat] == ROCKET:
            p4 = 0
        out += _BOMBS[p4]
    if hand & ROCKET_MASK == ROCKET_MASK and to_beat != ROCKET_INDEX:
        out.append(ROCKET_INDEX)
    out.append(PASS)
    return out


def legal_indices(hand: int, to_beat: int | None = None) -> list[int]:
    """Sorted legal move indices: leading when ``to_beat`` is None (or ``PASS``),
    else every move that beats it plus ``PASS``."""
    if to_beat is None or to_beat == PASS:
        return lead_indices(hand)
    return follow_indices(hand, to_beat)


def is_legal_index(hand: int, move: int, to_beat: int | None) -> bool:
    """O(1) check that ``move`` is in ``legal_indices(hand, to_beat)``."""
    if not 0 <= move <= PASS:
        return False
    leading = to_beat is None or to_beat == PASS
    if move == PASS:
        return not leading
    if ((hand | GUARD) - MOVE_MASK[move]) & GUARD != GUARD:
        return False
    return leading or beats_index(move, to_beat)


def _parse_hand(hand: str) -> int:
    try:
        return pack(parse_counts(hand))
    except CardError as err:
        raise MoveError(f"hand: {err}", err.reason) from None


def legal_moves(hand: str, to_beat: str | None = None) -> list[str]:
    """All legal moves of ``hand`` in standard notation, in table order.

    Leading (``to_beat`` None): every move the hand holds. Following: every
    move that beats ``to_beat``, then ``""`` (pass). ``to_beat`` must be a
    valid move; ``""``/``"pass"`` counts as leading.

    >>> legal_moves("3334")
    ['3', '4', '33', '333', '3334']
    >>> legal_moves("3334", "2")
    ['']
    >>> legal_moves("44456", "3337")
    ['4445', '4446', '']
    """
    packed = _parse_hand(hand)
    target = None if to_beat is None else index_of(to_beat)
    return [MOVE_CARDS[i] for i in legal_indices(packed, target)]


def check_move(hand: str, move: str, to_beat: str | None = None) -> str:
    """``move`` in standard notation if ``hand`` may play it on ``to_beat``, else
    a :class:`MoveError` whose ``reason`` says why (``not a card``,
    ``not in hand``, ``not a valid combination``, ``does not beat``,
    ``cannot pass``). For a human-play prompt."""
    packed = _parse_hand(hand)
    target = None if to_beat is None else index_of(to_beat)
    leading = target is None or target == PASS
    try:
        counts = parse_counts(move)
    except CardError as err:
        raise MoveError(str(err), err.reason) from None
    mask = pack(counts)
    if mask == 0:
        if leading:
            raise MoveError("you lead this trick: you cannot pass", "cannot pass")
        return ""
    if ((packed | GUARD) - mask) & GUARD != GUARD:
        raise MoveError(f"{format_counts(counts)!r} is not in your hand", "not in hand")
    index = index_of(move)
    if not leading and not beats_index(index, target):
        raise MoveError(f"{MOVE_CARDS[index]!r} does not beat {MOVE_CARDS[target]!r}", "does not beat")
    return MOVE_CARDS[index]
