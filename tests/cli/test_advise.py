"""``selfplay advise`` and ``selfplay.advise``: three hand-built positions (a lead, a follow,
a bid) with their answers pinned, and impossible positions as one-line errors."""

import json
import subprocess
import sys

import pytest

import selfplay
from selfplay.advice import PositionError, position

LEAD = dict(hand="33455678999TJQKA22BR", landlord=0, kitty="9BR")  # the landlord, 20 cards, leads
FOLLOW = dict(hand="4456789TTJQKKA22B", played=["3"], landlord=0, kitty="TJQ")  # seat 1 follows a single 3
BID = dict(hand="334455789999TJJBR", played=["pass"])  # seat 1 bids after a pass, rocket and a bomb


def selfplay_cli(*args):
    return subprocess.run([sys.executable, "-m", "selfplay.cli.main", *args], capture_output=True, text=True,
                          timeout=120)


def _legal(advice, where):
    state = position(where["hand"], where.get("played", ()), where.get("landlord"), kitty=where.get("kitty"))[0]
    for move in advice.moves:
        state.clone().apply(state.string_to_action(move["move"]))  # raises if not legal here


def test_a_lead_the_default_agent_dumps_its_long_chain_and_the_draw_of_unseen_cards_does_not_matter():
    advice = selfplay.advise(**LEAD, top=3)  # the default: az's policy network, probability and value per move
    assert (advice.phase, advice.seat, advice.role) == ("play", 0, "landlord")
    assert advice.legal > 50 and advice.value_kind == "policy"
    assert advice.moves[0]["move"] == "3456789TJQKA"  # the 12-card chain: sensible, and pinned
    assert advice.moves[0]["probability"] > 0.5 and advice.moves[0]["value"] > 0  # a strong hand, and it knows
    assert [m["probability"] for m in advice.moves] == sorted((m["probability"] for m in advice.moves), reverse=True)
    _legal(advice, LEAD)
    assert selfplay.advise(**LEAD, top=3, seed=7).moves == advice.moves  # it sees counts, not the others' cards
    assert advice.holders == {1: 17, 2: 17} and len(advice.unseen) == 34
    dmc = selfplay.advise(**LEAD, top=3, agent="models/doudizhu-dmc.pt")  # a DMC model: Q in points
    assert dmc.value_kind == "q" and dmc.moves[0]["move"] == "3456789TJQKA"
    assert [m["q"] for m in dmc.moves] == sorted((m["q"] for m in dmc.moves), reverse=True)


def test_a_follow_beats_the_single_with_a_low_single_and_keeps_the_chain():
    advice = selfplay.advise(**FOLLOW, top=4)
    assert (advice.seat, advice.role) == (1, "landlord_down") and advice.legal == 14  # its 13 ranks above 3, pass
    assert advice.moves[0]["move"] == "7"  # pinned: a low single (its policy is near even over 7, 5 and 4)
    assert all(len(m["move"]) == 1 or m["move"] == "pass" for m in advice.moves)
    assert all(m["move"] in "456789" for m in advice.moves[:3])  # low singles first, not the 2s or the joker
    _legal(advice, FOLLOW)
    assert selfplay.advise(**FOLLOW, top=1, agent="models/doudizhu-dmc.pt").moves[0]["move"] == "4"  # its spare 4


def test_a_bid_with_both_jokers_and_a_bomb_is_3_and_a_weak_hand_passes():
    advice = selfplay.advise(**BID, top=4)  # the released bidding model: Q of every bid
    assert (advice.phase, advice.seat, advice.role) == ("bid", 1, "bidder") and advice.legal == 4
    assert advice.moves[0]["move"] == "bid 3" and len(advice.moves) == 4 and all("q" in m for m in advice.moves)
    assert [m["q"] for m in advice.moves] == sorted((m["q"] for m in advice.moves), reverse=True)
    weak = selfplay.advise("3344567899TJQ5678", top=1)  # no 2, no joker, no bomb: it passes
    assert weak.moves[0]["move"] == "no bid" and weak.seat == 0
    rule = selfplay.advise(**BID, agent="rlcard-rule")  # the baseline's rule: one choice
    assert rule.moves == [{"move": "bid 3"}] and rule.value_kind == "choice"


def test_the_cli_prints_the_moves_and_json_gives_the_same_data():
    shown = selfplay_cli("advise", "doudizhu", "--hand", FOLLOW["hand"], "--played", "3", "--landlord", "0",
                         "--kitty", "TJQ", "--top", "2")
    assert shown.returncode == 0, shown.stderr
    assert "seat 1 (landlord_down) to play: 14 legal moves" in shown.stdout and "unseen:" in shown.stdout
    data = json.loads(selfplay_cli("advise", "doudizhu", "--hand", FOLLOW["hand"], "--played", "3", "--landlord",
                                   "0", "--kitty", "TJQ", "--top", "2", "--json").stdout)
    assert data["moves"] == selfplay.advise(**FOLLOW, top=2).to_json()["moves"]
    assert set(data) == {"phase", "seat", "role", "agent", "legal", "moves", "value_kind", "unseen", "holders",
                         "assumptions"}


@pytest.mark.parametrize("args, message", [
    (["--hand", "3344X", "--landlord", "0"], "'X' is not a card"),
    (["--hand", "4456789TTJQKKA22B", "--landlord", "0"], "starts with 20 cards"),  # the landlord holds 20
    (["--hand", "4456789TTJQKKA22B", "--landlord", "0", "--played", "33,4"], "'4' does not beat '33'"),
    (["--hand", "33334456789TJQKA2", "--landlord", "0", "--played", "3"], "more cards of 3 than a deck has"),
    (["--hand", "4456789TTJQKKA22B", "--landlord", "0", "--played", "3", "--seat", "2"], "it is seat 1's turn"),
    (["--hand", "4456789TTJQKKA22B", "--landlord", "0", "--played", "3", "--kitty", "22B"], "--kitty"),
    (["--hand", "3344556677889TJQKA"], "bidding: a hand is the 17 cards dealt"),
    (["--hand", BID["hand"], "--played", "2,1"], "not a legal bid"),
])
def test_impossible_positions_are_one_line_errors_with_exit_code_2(args, message):
    result = selfplay_cli("advise", "doudizhu", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_the_python_api_raises_position_errors():
    with pytest.raises(PositionError, match="starts with 17 cards"):
        selfplay.advise("33", ["3"], landlord=0)
