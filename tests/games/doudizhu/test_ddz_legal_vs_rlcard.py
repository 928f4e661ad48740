"""Our legal moves agree exactly with RLCard 1.2.0's DouDizhu judger, the oracle.

Leading is compared with ``DoudizhuJudger.playable_cards_from_hand`` and
following with ``get_gt_cards`` on more than 20,000 hands and positions:
uniform random hands, "clumpy" hands full of trios and bombs (kickers and
airplanes), targets of every type with beaters planted in the hand, and every
position of random games. Both sides are normalised to sets of sorted card
strings (RLCard also writes jokers as B and R; pass is ``""`` on our side and
``"pass"`` on RLCard's).
"""

import random

import rlcard.games.doudizhu.judger as rl_judger  # rlcard is a dependency: missing is a failure, not a skip
import rlcard.games.doudizhu.utils as rl_utils

from selfplay.games import make
from selfplay.games.doudizhu import NUM_MOVES, PASS, legal_moves, normalize
from selfplay.games.doudizhu.cards import DECK, RANK_LIMITS, RANKS, parse
from selfplay.games.doudizhu.legal import follow_indices, lead_indices
from selfplay.games.doudizhu.moves import (
    MOVE_CARDS, MOVE_GROUP, MOVE_KEY, MOVE_LENGTH, MOVE_TYPE, TYPE_NAMES,
)

RLCARD_TYPES = {"solo": "solo", "pair": "pair", "trio": "trio", "trio_solo": "trio_solo", "trio_pair": "trio_pair",
                "solo_chain": "solo_chain", "pair_chain": "pair_chain", "trio_chain": "airplane",
                "trio_solo_chain": "airplane_solo", "trio_pair_chain": "airplane_pair",
                "four_two_solo": "four_two_solo", "four_two_pair": "four_two_pair", "bomb": "bomb", "rocket": "rocket"}


class _Card:
    """What RLCard's cards2str reads: ``rank``, or ``suit`` 'BJ'/'RJ' for jokers."""

    def __init__(self, ch: str) -> None:
        self.rank, self.suit = ("", ch + "J") if ch in "BR" else (ch, "S")


class _Player:
    def __init__(self, hand: str = "", played: str = "") -> None:
        self.current_hand = [_Card(c) for c in hand]
        self.played_cards = played


def rlcard_lead(hand: str) -> set[str]:
    return {normalize(m) for m in rl_judger.DoudizhuJudger.playable_cards_from_hand(hand)}


def rlcard_follow(hand: str, to_beat: str) -> set[str]:
    return {normalize(m) for m in rl_utils.get_gt_cards(_Player(hand), _Player(played=to_beat))}


def ours(hand: str, to_beat: str | None = None) -> set[str]:
    moves = legal_moves(hand, to_beat)
    assert len(moves) == len(set(moves))
    return set(moves)


def random_hand(rng: random.Random) -> str:
    cards = list(DECK)
    rng.shuffle(cards)
    return "".join(RANKS[r] for r in sorted(cards[:rng.randint(1, 20)]))


def clumpy_hand(rng: random.Random) -> str:
    """Up to 20 cards taken 2-4 at a time from few ranks: trios, bombs, airplanes."""
    counts = [0] * 15
    total, target = 0, rng.randint(6, 20)
    while total < target:
        if rng.random() < 0.15:
            r = rng.randrange(15)  # anything, jokers included
        else:  # mostly middle ranks, where airplanes and chains form
            r = rng.randrange(4, 12) if rng.random() < 0.5 else rng.randrange(13)
        take = min(RANK_LIMITS[r] - counts[r], rng.choice((1, 2, 3, 3, 4)), target - total)
        counts[r] += take
        total += take
    return "".join(RANKS[r] * n for r, n in enumerate(counts))


_BY_GROUP: dict[int, list[int]] = {}
for _i in range(PASS):
    _BY_GROUP.setdefault(MOVE_GROUP[_i], []).append(_i)


def planted_hand(rng: random.Random, to_beat: int) -> str:
    """A hand that holds a random move of the target's group with a key at least as high."""
    same = [i for i in _BY_GROUP[MOVE_GROUP[to_beat]] if MOVE_KEY[i] >= MOVE_KEY[to_beat]]
    counts = [0] * 15
    for c in MOVE_CARDS[rng.choice(same)]:
        counts[RANKS.index(c)] += 1
    rest = [r for r in range(15) for _ in range(RANK_LIMITS[r] - counts[r])]
    rng.shuffle(rest)
    for r in rest[:max(0, rng.randint(0, 20) - sum(counts))]:
        counts[r] += 1
    return "".join(RANKS[r] * n for r, n in enumerate(counts))


def test_move_table_is_rlcards_action_space():
    theirs = [normalize(a) for a in rl_utils.ID_2_ACTION]
    assert len(theirs) == NUM_MOVES
    assert set(theirs) == set(MOVE_CARDS)
    # same ids for every move without kickers, and the same type blocks
    for i, cards in enumerate(MOVE_CARDS):
        if TYPE_NAMES[MOVE_TYPE[i]] != "airplane_solo":
            assert theirs[i] == cards, i
    assert theirs[PASS] == "" and rl_utils.ID_2_ACTION[PASS] == "pass"


def test_types_lengths_and_key_order_match_rlcard():
    card_type = rl_utils.CARD_TYPE[0]
    weights: dict[str, dict[int, int]] = {}
    for i in range(PASS):
        ((rl_type, weight),) = card_type[MOVE_CARDS[i]]  # RLCard gives every move exactly one type
        base, _, length = rl_type.rpartition("_") if rl_type[-1].isdigit() else (rl_type, "", "1")
        assert RLCARD_TYPES[base] == TYPE_NAMES[MOVE_TYPE[i]], MOVE_CARDS[i]
        assert int(length) == MOVE_LENGTH[i], MOVE_CARDS[i]
        weights.setdefault(rl_type, {}).setdefault(MOVE_KEY[i], int(weight))
        assert weights[rl_type][MOVE_KEY[i]] == int(weight)
    for by_key in weights.values():  # RLCard's weight increases exactly with our key
        keys = sorted(by_key)
        assert [by_key[k] for k in keys] == sorted(set(by_key.values()))


def test_leading_agrees_on_12000_hands():
    rng = random.Random(20261124)
    for n in range(12000):
        hand = random_hand(rng) if n % 2 else clumpy_hand(rng)
        assert ours(hand) == rlcard_lead(hand), hand


def test_following_agrees_on_12000_targets():
    rng = random.Random(7)
    by_type = [[i for i in range(PASS) if MOVE_TYPE[i] == t] for t in range(14)]
    for n in range(12000):
        target = rng.choice(by_type[n % 14])
        hand = planted_hand(rng, target) if rng.random() < 0.6 else random_hand(rng)
        to_beat = MOVE_CARDS[target]
        assert ours(hand, to_beat) == rlcard_follow(hand, to_beat), (hand, to_beat)


def test_every_position_of_random_games_agrees():
    game = make("doudizhu")
    rng = random.Random(3)
    positions = 0
    seed = 0
    while positions < 6000:
        state = game.new_initial_state(seed=seed)
        seed += 1
        while not state.is_terminal():
            hand = state.hand(state.current_player)
            to_beat = state.to_beat
            mine = {state.action_to_string(a) for a in state.legal_actions()}
            mine = {"" if m == "pass" else m for m in mine}
            expected = rlcard_lead(hand) if to_beat is None else rlcard_follow(hand, to_beat)
            assert mine == expected, (hand, to_beat)
            positions += 1
            state.apply(rng.choice(state.legal_actions()))


def test_index_lists_are_sorted_and_pass_only_when_following():
    rng = random.Random(11)
    for _ in range(2000):
        hand = parse(clumpy_hand(rng))
        lead = lead_indices(hand)
        assert lead == sorted(lead) and PASS not in lead
        target = rng.randrange(PASS)
        follow = follow_indices(hand, target)
        assert follow == sorted(follow) and follow[-1] == PASS
