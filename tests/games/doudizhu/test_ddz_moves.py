"""The move table, classification of every move type, and comparison (incl. the tricky cases)."""

from collections import Counter

import pytest

from selfplay.games.doudizhu import NUM_MOVES, PASS, MoveError, beats, classify, index_of, move_info
from selfplay.games.doudizhu.cards import RANK_INDEX
from selfplay.games.doudizhu.moves import MOVE_CARDS, MOVE_LENGTH, MOVE_TYPE, TYPE_NAMES, TYPE_START


def test_table_size_and_pass():
    assert NUM_MOVES == 27472
    assert PASS == 27471 and MOVE_CARDS[PASS] == ""


def test_counts_per_type_are_hand_computed():
    counts = Counter(TYPE_NAMES[t] for t in MOVE_TYPE)
    assert counts["solo"] == 15
    assert counts["pair"] == 13
    assert counts["trio"] == 13
    assert counts["trio_solo"] == 13 * 14
    assert counts["trio_pair"] == 13 * 12
    assert counts["solo_chain"] == sum(13 - n for n in range(5, 13))  # 36
    assert counts["pair_chain"] == sum(13 - n for n in range(3, 11))  # 52
    assert counts["airplane"] == sum(13 - n for n in range(2, 7))  # 45
    assert counts["airplane_pair"] == 11 * 55 + 10 * 120 + 9 * 126  # C(11,2), C(10,3), C(9,4) pair ranks
    assert counts["four_two_solo"] == 13 * (91 - 1 + 12)  # two of 14 other ranks, not B+R, or a pair
    assert counts["four_two_pair"] == 13 * 66
    assert counts["bomb"] == 13 and counts["rocket"] == 1 and counts["pass"] == 1
    assert counts["airplane_solo"] == 21822  # 968 + 3282 + 7184 + 10388, as RLCard's table
    two_wing = [i for i, t in enumerate(MOVE_TYPE) if TYPE_NAMES[t] == "airplane_solo" and MOVE_LENGTH[i] == 2]
    assert len(two_wing) == 11 * (78 - 1 + 11)  # 13 ranks outside the chain: 2 distinct (not B+R) or a pair


def test_type_blocks_are_contiguous_in_documented_order():
    starts = [TYPE_START[t] for t in range(len(TYPE_NAMES))]
    assert starts == sorted(starts)
    assert starts == [0, 15, 28, 41, 223, 379, 415, 467, 512, 22334, 25273, 26599, 27457, 27470, 27471]


def test_every_move_round_trips_and_is_sorted():
    for i, cards in enumerate(MOVE_CARDS):
        assert index_of(cards) == i
        assert [RANK_INDEX[c] for c in cards] == sorted(RANK_INDEX[c] for c in cards)
    assert len(set(MOVE_CARDS)) == NUM_MOVES


@pytest.mark.parametrize("cards, type_, length, key", [
    ("3", "solo", 1, "3"), ("R", "solo", 1, "R"), ("22", "pair", 1, "2"), ("KKK", "trio", 1, "K"),
    ("3334", "trio_solo", 1, "3"), ("3444", "trio_solo", 1, "4"), ("222B", "trio_solo", 1, "2"),
    ("33344", "trio_pair", 1, "3"), ("33222", "trio_pair", 1, "2"),
    ("34567", "solo_chain", 5, "3"), ("TJQKA", "solo_chain", 5, "T"), ("3456789TJQKA", "solo_chain", 12, "3"),
    ("334455", "pair_chain", 3, "3"), ("33445566778899TT", "pair_chain", 8, "3"),
    ("QQKKAA", "pair_chain", 3, "Q"),
    ("333444", "airplane", 2, "3"), ("KKKAAA", "airplane", 2, "K"), ("333444555666", "airplane", 4, "3"),
    ("33344456", "airplane_solo", 2, "3"), ("33344455", "airplane_solo", 2, "3"),
    ("3334442B", "airplane_solo", 2, "3"), ("333444555777", "airplane_solo", 3, "3"),
    ("QQQKKKAAA222", "airplane_solo", 3, "Q"), ("33444555", "airplane_solo", 2, "4"),
    ("3334445566", "airplane_pair", 2, "3"), ("333444555667788", "airplane_pair", 3, "3"),
    ("333344", "four_two_solo", 1, "3"), ("333345", "four_two_solo", 1, "3"), ("3333B", "", 0, ""),
    ("33334455", "four_two_pair", 1, "3"), ("AA2222KK", "four_two_pair", 1, "2"),
    ("3333", "bomb", 1, "3"), ("2222", "bomb", 1, "2"), ("BR", "rocket", 1, "B"),
])
def test_classify_each_type(cards, type_, length, key):
    if not type_:
        with pytest.raises(MoveError):
            classify(cards)
        return
    move = classify(cards)
    assert (move.type, move.length, move.key) == (type_, length, key)
    assert move.size == len(cards)


@pytest.mark.parametrize("cards, why", [
    ("JQKA2", "a chain may not include 2"),
    ("QKA2B", "nor a joker"),
    ("KKAA22", "pair chains stop at A"),
    ("AAA222", "airplanes stop at A"),
    ("3344", "two pairs are no chain"),
    ("3456", "four solos are too short"),
    ("33344434", "a wing may not use the airplane's rank"),
    ("33334445", "wings inside the trio ranks"),
    ("333444BR", "both jokers are never wings"),
    ("3333BR", "nor the two solos of a four"),
    ("333BR", "a trio takes one card or one pair"),
    ("3334445556667779", "an adjacent trio as wings would extend the airplane"),
    ("33334444", "four with two pairs needs two ranks other than the four"),
    ("3334445555", "pair wings of one rank"),
    ("33344455566677", "14 cards: no type"),
    ("BB", "one black joker in the deck"),
    ("3334", "ok"),
])
def test_invalid_combinations(cards, why):
    if why == "ok":
        assert classify(cards).type == "trio_solo"
        return
    with pytest.raises(MoveError):
        classify(cards)


@pytest.mark.parametrize("move, to_beat, expected", [
    ("4", "3", True), ("3", "4", False), ("3", "3", False), ("2", "A", True), ("B", "2", True), ("R", "B", True),
    ("45678", "34567", True), ("456789", "34567", False), ("44", "3", False),
    ("44455", "3334", False), ("4445", "3334", True), ("3334", "2223", False),
    ("33444555", "33344456", True),  # kickers never matter, only the airplane
    ("444555666777", "333444555666", True), ("444555666", "333444555666", False),
    ("4444", "333356", True),  # a bomb beats four-with-two
    ("444456", "3333", False),  # four-with-two is no bomb
    ("444456", "333356", True), ("44445566", "333356", False),
    ("3333", "22", True), ("3333", "2222", False), ("4444", "3333", True), ("3333", "3456789TJQKA", True),
    ("BR", "2222", True), ("2222", "BR", False), ("BR", "3", True),
    ("3", "", False), ("", "3", False),
])
def test_beats(move, to_beat, expected):
    assert beats(move, to_beat) is expected


def test_move_info_fields():
    info = move_info(index_of("T J Q K A"))
    assert (info.cards, info.type, info.length, info.key, info.size) == ("TJQKA", "solo_chain", 5, "T", 5)
    assert move_info(PASS).type == "pass" and move_info(PASS).cards == ""
