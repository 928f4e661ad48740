"""Shared helpers for the DouDizhu tests (imported as ``ddz_helpers``; a unique
name, since test folders are not packages)."""

from __future__ import annotations

from selfplay.games import make
from selfplay.games.doudizhu.cards import RANK_LIMITS, RANKS, parse_counts


def complete_deal(hand0: str, kitty: str, hand1: str) -> tuple[str, str, str, str]:
    """(hand0, hand1, hand2, kitty) with hand2 = the rest of the deck."""
    used = [a + b + c for a, b, c in zip(parse_counts(hand0), parse_counts(kitty), parse_counts(hand1))]
    rest = "".join(RANKS[r] * (RANK_LIMITS[r] - n) for r, n in enumerate(used))
    return hand0, hand1, rest, kitty


def play(state, *moves: str):
    """Apply moves given as text (``"pass"`` passes); returns the state."""
    for text in moves:
        state.apply(state.string_to_action(text))
    return state


def new_game(**options):
    return make("doudizhu", **options)
