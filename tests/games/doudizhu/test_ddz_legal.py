"""legal_moves on hand-worked hands: leading, following, and the tricky cases."""

import pytest

from selfplay.games.doudizhu import MoveError, legal_indices, legal_moves, parse
from selfplay.games.doudizhu.moves import MOVE_CARDS, PASS


def test_small_leads_in_table_order():
    assert legal_moves("33445") == ["3", "4", "5", "33", "44"]
    assert legal_moves("53433") == ["3", "4", "5", "33", "333", "3334", "3335"]
    assert legal_moves("33344") == ["3", "4", "33", "44", "333", "3334", "33344"]
    assert legal_moves("BR") == ["B", "R", "BR"]


def test_follows_end_with_pass():
    assert legal_moves("33445", "4") == ["5", ""]
    assert legal_moves("33445", "44") == [""]
    assert legal_moves("33445", "pass") == legal_moves("33445")  # after a pass round: lead
    assert legal_moves("3333BR", "22") == ["3333", "BR", ""]
    assert legal_moves("3333BR", "2222") == ["BR", ""]  # rocket beats bomb
    assert legal_moves("3333BR", "BR") == [""]  # nothing beats the rocket


def test_chains_never_include_two_or_jokers():
    moves = legal_moves("3456789TJQKA2BR")
    chains = [m for m in moves if len(m) >= 5]
    assert len(chains) == sum(12 - n + 1 for n in range(5, 13))
    assert "3456789TJQKA" in chains and not any(c in m for m in chains for c in "2BR")
    assert legal_moves("TJQKA2", "34567") == ["TJQKA", ""]
    assert legal_moves("QQKKAA22", "334455") == ["QQKKAA", ""]


def test_airplane_wings_never_overlap_the_trio_ranks():
    moves = legal_moves("33334445")
    assert "333444" in moves and "3333" in moves
    assert "33334445" not in moves  # wings 3 + 5 would reuse the airplane's rank
    assert not [m for m in moves if len(m) == 8]
    moves = legal_moves("3334445555")
    assert "33344455" in moves  # a pair of 5s as two solo wings
    assert "335555" in moves and "5555" in moves
    assert "3334445555" not in moves  # pair wings must be two different ranks


def test_wings_with_both_jokers_or_an_adjacent_trio_are_not_moves():
    moves = legal_moves("333444BR")
    assert "333444BR" not in moves and "333444" in moves and "BR" in moves
    assert legal_moves("333444555666777B", "333444555666") == ["444555666777", ""]
    moves = legal_moves("3334445556667779")
    assert "3334445556667779" not in moves  # the only wings would be an adjacent trio
    assert "333444555666" in moves and "444555666777" in moves


def test_four_with_two_versus_bombs():
    assert legal_moves("444456", "333356") == ["444456", "4444", ""]
    assert legal_moves("444456", "3333") == ["4444", ""]  # four-with-two cannot beat a bomb
    assert legal_moves("444456", "33335566") == ["4444", ""]  # four-with-two-pairs: only the bomb
    assert legal_moves("44445566", "333356") == ["444455", "444456", "444466", "4444", ""]
    assert "333344" in legal_moves("333344")  # a pair as the two solos


def test_index_api_matches_the_string_api():
    hand = parse("3334445556BR")
    assert [MOVE_CARDS[i] for i in legal_indices(hand)] == legal_moves("3334445556BR")
    assert legal_indices(hand, PASS) == legal_indices(hand)
    assert legal_indices(0, 0) == [PASS]


@pytest.mark.parametrize("hand, to_beat, reason", [
    ("33x", None, "not a card"), ("33333", None, "too many"), ("33", "3334445", "not a valid combination"),
    ("33", "4z", "not a card"),
])
def test_bad_input_raises(hand, to_beat, reason):
    with pytest.raises(MoveError) as err:
        legal_moves(hand, to_beat)
    assert err.value.reason == reason
