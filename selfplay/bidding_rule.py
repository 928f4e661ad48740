"""A hand-strength bidding rule for DouDizhu: the bids of the ``rlcard-rule`` baseline.

RLCard's rule model plays cards but cannot bid. This rule gives it bids the
way common DouDizhu heuristics do (count the cards that win tricks and cannot
be beaten easily, then bid by thresholds), from the 17 cards a seat holds
before the kitty is shown:

| in the hand | points |
|---|---|
| both jokers (the rocket) | 8 |
| the red joker alone | 4 |
| the black joker alone | 3 |
| each 2 | 2 |
| each bomb (four of a rank, 2s too) | 6 |
| a chain of single cards 3..A of 8 or more | 2 (of 6 or 7: 1), the longest one only |

Bid 3 from 10 points, 2 from 7, 1 from 5; below 5, pass. A seat bids its
number only when it is higher than the highest bid so far, else it passes.
So a hand with both jokers and a bomb (14 points) bids 3 and a hand without
jokers, 2s, bombs or a long chain (0 points) passes.
"""

from __future__ import annotations

from collections import Counter

RANKS = "3456789TJQKA2"
THRESHOLDS = ((10, 3), (7, 2), (5, 1))  # (points at least, bid)


def hand_points(hand: str) -> int:
    """The hand's strength in points (the table above); ``hand`` in standard notation."""
    counts = Counter(hand)
    unknown = set(counts) - set(RANKS) - {"B", "R"}
    if unknown:
        raise ValueError(f"not DouDizhu cards: {''.join(sorted(unknown))!r} in {hand!r}")
    jokers = counts["B"] + counts["R"]
    points = 8 if jokers == 2 else 4 * counts["R"] + 3 * counts["B"]
    points += 2 * counts["2"]
    points += 6 * sum(1 for rank in RANKS if counts[rank] == 4)
    longest = run = 0
    for rank in RANKS[:-1]:  # chains stop at A
        run = run + 1 if counts[rank] else 0
        longest = max(longest, run)
    points += 2 if longest >= 8 else 1 if longest >= 6 else 0
    return points


def rule_bid(hand: str) -> int:
    """The bid the hand is worth: 0 (pass), 1, 2 or 3."""
    points = hand_points(hand)
    return next((bid for least, bid in THRESHOLDS if points >= least), 0)

