"""Standard notation 3456789TJQKA2BR: parsing, printing, and the error messages a human sees."""

import doctest

import pytest
from ddz_helpers import complete_deal, new_game

from selfplay.games import IllegalActionError
from selfplay.games.doudizhu import CardError, MoveError, check_move, format_hand, normalize, parse
from selfplay.games.doudizhu.cards import DECK, FULL_DECK, contains, parse_counts, size, unpack


def test_rank_order_and_deck():
    assert format_hand(FULL_DECK) == "".join(c * 4 for c in "3456789TJQKA2") + "BR"
    assert len(DECK) == 54 and size(FULL_DECK) == 54


@pytest.mark.parametrize("text, expected", [
    ("2BR3", "32BR"),
    ("r b 2 3", "32BR"),
    ("tjq", "TJQ"),
    ("10 J Q K A", "TJQKA"),
    ("a, a, k", "KAA"),
    ("pass", ""),
    ("PASS", ""),
    ("", ""),
    ("  ", ""),
])
def test_normalize_accepts_any_order_case_and_spaces(text, expected):
    assert normalize(text) == expected


def test_parse_counts_and_packed_round_trip():
    counts = parse_counts("33345BR")
    assert counts == [3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    assert unpack(parse("33345BR")) == counts
    assert format_hand(parse("R3B453 3")) == "33345BR"


@pytest.mark.parametrize("text, reason", [("3Z", "not a card"), ("1", "not a card"), ("33333", "too many"),
                                          ("BB", "too many"), ("3 4 5 X", "not a card")])
def test_bad_cards_raise_with_reason(text, reason):
    with pytest.raises(CardError) as err:
        parse(text)
    assert err.value.reason == reason
    assert isinstance(err.value, ValueError)


def test_contains_is_multiset_inclusion():
    hand = parse("334445")
    assert contains(hand, parse("33"))
    assert contains(hand, parse("444"))
    assert contains(hand, parse("3445"))
    assert not contains(hand, parse("333"))
    assert not contains(hand, parse("6"))
    assert contains(hand, 0)


@pytest.mark.parametrize("hand, move, to_beat, reason", [
    ("3345", "3x", None, "not a card"),
    ("3345", "66", None, "not in hand"),
    ("3345", "345", None, "not a valid combination"),
    ("3345", "33", "44", "does not beat"),
    ("3345", "3", "33", "does not beat"),
    ("3345", "pass", None, "cannot pass"),
])
def test_check_move_says_why(hand, move, to_beat, reason):
    with pytest.raises(MoveError) as err:
        check_move(hand, move, to_beat)
    assert err.value.reason == reason


def test_check_move_accepts_and_normalises():
    assert check_move("33345", "4 3 3 3") == "3334"
    assert check_move("3345", "pass", "K") == ""
    assert check_move("3345", "5", "4") == "5"
    assert check_move("33345", " 3 3 ") == "33"


def test_state_string_to_action_and_back():
    state = new_game().new_initial_state(deal=complete_deal("33344455566677789", "TTT", "JJJQQQKKKAAA2222B"))
    action = state.string_to_action("9 8 7 5 5 5 4 4 4 3 3 3".lower())  # airplane 333444555 + wings 789
    assert state.action_to_string(action) == "333444555789"
    assert state.string_to_action("333444555789") == action
    with pytest.raises(IllegalActionError, match="not in your hand"):
        state.string_to_action("2222")
    with pytest.raises(IllegalActionError, match="not a valid combination"):
        state.string_to_action("3334445")
    with pytest.raises(IllegalActionError, match="cannot pass"):
        state.string_to_action("pass")
    with pytest.raises(IllegalActionError, match="not a card"):
        state.string_to_action("33x")
    state.apply(state.string_to_action("3"))
    assert state.action_to_string(state.string_to_action("PASS")) == "pass"


def test_follow_errors_at_the_table():
    state = new_game().new_initial_state(deal=complete_deal("33344455566677789", "TTT", "JJJQQQKKKAAA2222B"))
    state.apply(state.string_to_action("7"))
    with pytest.raises(IllegalActionError, match="does not beat"):
        state.string_to_action("JJ")  # a pair on a solo
    assert state.action_to_string(state.string_to_action("j")) == "J"


def test_docstring_examples_hold():
    import selfplay.games.doudizhu as package
    import selfplay.games.doudizhu.legal as legal

    for module in (package, legal):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0
