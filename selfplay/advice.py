"""Move advice on demand: "here is my hand and what has been played, what should I play?"

``advise(hand, played, landlord=..., seat=...)`` builds the DouDizhu position
those describe and asks an agent for its best moves:

- **card play** (``landlord`` given, a seat 0-2): ``played`` is every turn
  since the landlord's first lead, in order, a pass as ``pass``; the seat to
  move follows from its length. ``hand`` is the cards the seat to move holds
  now. ``kitty`` (the landlord's three extra cards, shown to everyone) may be
  given; otherwise it is assumed, and the advice says so.
- **bidding** (no ``landlord``): ``played`` is the bids so far (``pass``,
  ``1``, ``bid 2``...), seat 0 bidding first; ``hand`` the 17 cards dealt.

The cards nobody has seen (not in the hand, not played) are dealt at random
(``seed``) between the other seats by their card counts, as a real table would
have them; the agents read only what the seat to move sees (its hand, the
history, the counts, the kitty), so with the kitty given the draw does not
change a DMC agent's answer, and an agent that searches samples its own
worlds from the same unseen cards.
A position that cannot be (cards that do not exist, a hand that disagrees
with the history, a move that does not follow) raises ``PositionError`` with
one line saying what is wrong.

The answer (``Advice``): the agent's top moves with what it knows of them
(a DMC checkpoint: Q, its expected points, and a win chance when it was
trained on wins; az's policy network, the default: each move's probability
and the points it expects after it; other agents with move probabilities, a
search's among them: those), the number of legal moves, and what was assumed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from selfplay.games import make
from selfplay.games.doudizhu import cards as ddz_cards
from selfplay.games.doudizhu.cards import CardError

ROLE = ("landlord", "landlord_down", "landlord_up")  # engine seat of the fixed-landlord game -> role


class PositionError(ValueError):
    """A position that cannot happen; the message says why in one line."""


@dataclass
class Advice:
    phase: str  # "bid" or "play"
    seat: int  # the seat to move, as given (0-2)
    role: str  # landlord, landlord_down, landlord_up; "bidder" while bidding
    agent: str
    legal: int  # how many legal moves
    moves: list[dict]  # best first: {"move", and what the agent knows: "q", "win", "probability", "value"}
    value_kind: str  # "q" (points, or wins when "win" is there), "policy" (probability and value in points),
    # "probability", or "choice" (no values)
    unseen: str  # the cards nobody at the seat has seen, in notation
    holders: dict[int, int]  # seat -> how many of them it holds
    assumptions: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


def _cards(text: str, what: str) -> int:
    try:
        return ddz_cards.parse(text)
    except CardError as err:
        raise PositionError(f"{what}: {err}") from None


def _moves(played: str | Sequence[str]) -> list[str]:
    if isinstance(played, str):
        played = [m for m in (p.strip() for p in played.split(",")) if m] if played.strip() else []
    return [m.strip() for m in played]


def position(hand: str, played: str | Sequence[str] = (), landlord: int | None = None, seat: int | None = None,
             kitty: str | None = None, seed: int = 0):
    """(state, user seat of engine seat 0, assumptions) of the described position; PositionError
    if it cannot be. The engine's fixed-landlord game puts the landlord at seat 0: user seat u
    is engine seat (u - landlord) % 3."""
    moves = _moves(played)
    mine = _cards(hand, "--hand")
    rng = np.random.default_rng(seed)
    assumptions = []
    if landlord is None:
        return _bidding_position(mine, moves, seat, rng)
    if landlord not in (0, 1, 2):
        raise PositionError(f"--landlord must be a seat 0, 1 or 2, not {landlord}")
    me = len(moves) % 3  # engine seat to move: the landlord (0) leads
    user_seat = (me + landlord) % 3
    if seat is not None and seat != user_seat:
        raise PositionError(f"after {len(moves)} turns from the landlord's (seat {landlord}) lead it is seat "
                            f"{user_seat}'s turn, not seat {seat}'s")
    # what each seat played, parsed by the rules as the game goes (after the deal below)
    played_by = [0, 0, 0]
    for k, text in enumerate(moves):
        if text.lower() not in ("pass", ""):
            played_by[k % 3] += _cards(text, f"--played move {k + 1} ({text!r})")
    start = [ddz_cards.HAND_SIZE + (ddz_cards.KITTY_SIZE if s == 0 else 0) for s in range(3)]
    my_start = mine + played_by[me]
    if ddz_cards.size(my_start) != start[me]:
        raise PositionError(
            f"seat {user_seat} ({ROLE[me]}) starts with {start[me]} cards: a hand of {ddz_cards.size(mine)} after "
            f"playing {ddz_cards.size(played_by[me])} makes {ddz_cards.size(my_start)}")
    seen = my_start + played_by[(me + 1) % 3] + played_by[(me + 2) % 3]
    counts = ddz_cards.unpack(seen)
    over = [ddz_cards.RANKS[r] for r, (n, limit) in enumerate(zip(counts, ddz_cards.RANK_LIMITS)) if n > limit]
    if over:
        raise PositionError(f"the hand and the history hold more cards of {''.join(over)} than a deck has")
    unseen = ddz_cards.FULL_DECK - seen
    left = {s: start[s] - ddz_cards.size(played_by[s]) for s in range(3) if s != me}
    for s, n in left.items():
        if n < 0:
            raise PositionError(f"seat {(s + landlord) % 3} played {ddz_cards.size(played_by[s])} cards, "
                                f"more than the {start[s]} it was dealt")
    # the kitty: part of the landlord's 20 cards, shown to all; given, or assumed
    kit = None
    if kitty is not None:
        kit = _cards(kitty, "--kitty")
        if ddz_cards.size(kit) != ddz_cards.KITTY_SIZE:
            raise PositionError(f"--kitty: the kitty is 3 cards, not {ddz_cards.size(kit)}")
        landlord_cards = my_start if me == 0 else played_by[0] + unseen
        if not ddz_cards.contains(landlord_cards, kit):
            raise PositionError("--kitty: the landlord cannot hold those cards with this hand and history")
    # deal the unseen cards: the landlord's unplayed kitty cards to it, the rest at random by count
    hands = {me: my_start}
    must = {s: 0 for s in left}
    if kit is not None and me != 0:
        must[0] = kit - _common(kit, played_by[0])  # what of it the landlord has not played yet
        if ddz_cards.size(must[0]) > left[0]:
            raise PositionError("--kitty: the landlord has too few cards left to hold the rest of the kitty")
    rest = unseen - sum(must.values())
    order = list(rng.permutation(_deck_list(rest)))
    for s in sorted(left):
        n = left[s] - ddz_cards.size(must[s])
        hands[s] = played_by[s] + must[s] + ddz_cards.pack(np.bincount(order[:n], minlength=ddz_cards.NUM_RANKS))
        order = order[n:]
    if kit is None:
        kit = _draw(hands[0], ddz_cards.KITTY_SIZE, rng)
        assumptions.append(f"the kitty was not given (--kitty): assumed {ddz_cards.format_hand(kit)}")
    deal = [ddz_cards.format_hand(hands[0] - kit), ddz_cards.format_hand(hands[1]), ddz_cards.format_hand(hands[2]),
            ddz_cards.format_hand(kit)]
    state = make("doudizhu").new_initial_state(deal=deal)
    _replay(state, moves, lambda k: (k % 3 + landlord) % 3)
    return state, landlord, assumptions, unseen, {(s + landlord) % 3: n for s, n in left.items()}


def _bidding_position(mine: int, moves: list[str], seat: int | None, rng):
    if ddz_cards.size(mine) != ddz_cards.HAND_SIZE:
        raise PositionError(f"bidding: a hand is the 17 cards dealt, not {ddz_cards.size(mine)} "
                            "(give --landlord SEAT for a position in card play)")
    if len(moves) > 2:
        raise PositionError(f"bidding: {len(moves)} bids so far, but after the third bid it is card play "
                            "(give --landlord SEAT)")
    me = len(moves)
    if seat is not None and seat != me:
        raise PositionError(f"after {len(moves)} bids it is seat {me}'s turn to bid, not seat {seat}'s")
    pool = _deck_list(ddz_cards.FULL_DECK - mine)
    order = rng.permutation(len(pool))
    parts, at = [], 0
    for n in (ddz_cards.HAND_SIZE, ddz_cards.HAND_SIZE, ddz_cards.KITTY_SIZE):
        parts.append(ddz_cards.pack(np.bincount([pool[i] for i in order[at:at + n]], minlength=ddz_cards.NUM_RANKS)))
        at += n
    others = [s for s in range(3) if s != me]
    hands = {me: mine, others[0]: parts[0], others[1]: parts[1]}
    deal = [ddz_cards.format_hand(hands[s]) for s in range(3)] + [ddz_cards.format_hand(parts[2])]
    state = make("doudizhu", bidding=True).new_initial_state(deal=deal)
    _replay(state, moves, lambda k: k)
    unseen = ddz_cards.FULL_DECK - mine
    return state, 0, [], unseen, {others[0]: ddz_cards.HAND_SIZE, others[1]: ddz_cards.HAND_SIZE}


def _replay(state, moves: list[str], seat_of) -> None:
    for k, text in enumerate(moves):
        try:
            action = state.string_to_action(text)
        except ValueError as err:
            raise PositionError(f"--played move {k + 1} ({text!r}, seat {seat_of(k)}): {err}") from None
        state.apply(action)
        if state.is_terminal():
            raise PositionError(f"--played: the game is over after move {k + 1} ({text!r})")


def _deck_list(packed: int) -> list[int]:
    """The ranks of a packed set, one entry per card."""
    return [r for r, n in enumerate(ddz_cards.unpack(packed)) for _ in range(n)]


def _common(a: int, b: int) -> int:
    """The cards two packed sets share (per rank, the fewer)."""
    return ddz_cards.pack([min(x, y) for x, y in zip(ddz_cards.unpack(a), ddz_cards.unpack(b))])


def _draw(packed: int, n: int, rng) -> int:
    cards = _deck_list(packed)
    pick = rng.choice(len(cards), size=n, replace=False)
    return ddz_cards.pack(np.bincount([cards[i] for i in pick], minlength=ddz_cards.NUM_RANKS))


def advise(hand: str, played: str | Sequence[str] = (), *, landlord: int | None = None, seat: int | None = None,
           kitty: str | None = None, agent: str | None = None, top: int = 5, seed: int = 0) -> Advice:
    """The ``agent``'s ``top`` moves in the described position (see the module docstring);
    ``agent`` is a spec (default: the game's default agent, ``agents.default_spec``: in card
    play az's policy network ``models/doudizhu-az.pt``; bids: the bidding game's,
    ``models/doudizhu-bid.pt``). PositionError for an impossible position, AgentSpecError
    (a ValueError) for a bad spec."""
    from selfplay.agents import default_spec, load

    if top < 1:
        raise ValueError("top must be at least 1")
    state, _, assumptions, unseen, holders = position(hand, played, landlord, seat, kitty, seed)
    bidding = landlord is None
    spec = agent or default_spec("doudizhu", dict(state.game.info.options))
    player = load(spec, state.game)
    player.reset(seed)
    legal = state.legal_actions()
    moves, kind = _ranked(player, state, legal)
    mover = state.current_player
    user_seat = mover if bidding else (mover + landlord) % 3
    assumptions.append(f"the {ddz_cards.size(unseen)} cards not in the hand and not played are somewhere among "
                       + ", ".join(f"seat {s} ({n})" for s, n in sorted(holders.items()))
                       + (" and the kitty (3)" if bidding else "")
                       + "; the agent sees their counts, not who holds which")
    return Advice("bid" if bidding else "play", user_seat, "bidder" if bidding else state.role(mover), spec,
                  len(legal), [{"move": state.action_to_string(a) or "pass", **v} for a, v in moves[:top]], kind,
                  ddz_cards.format_hand(unseen), holders, assumptions)


def _ranked(player, state, legal: list[int]) -> tuple[list[tuple[int, dict]], str]:
    """Moves best first with what the agent knows of them, and which kind of value that is."""
    if hasattr(player, "q_values"):  # DMC: Q per move (points; wins when trained on WP)
        actions, q = player.q_values(state)
        wins = getattr(player, "objective", "adp") == "wp"
        ranked = sorted(zip(actions, q.tolist()), key=lambda aq: (-aq[1], aq[0]))
        return [(a, {"q": round(v, 4), **({"win": round((v + 1) / 2, 4)} if wins else {})}) for a, v in ranked], "q"
    if hasattr(player, "move_values"):  # az's policy network: probability and expected points per move
        actions, probs, points = player.move_values(state)
        ranked = sorted(zip(actions, probs.tolist(), points.tolist()), key=lambda apv: (-apv[1], apv[0]))
        return [(a, {"probability": round(p, 4), "value": round(v, 4)}) for a, p, v in ranked], "policy"
    probabilities = getattr(player, "action_probabilities", None)
    if probabilities is not None and len(legal) > 1:
        probs = probabilities(state)
        ranked = sorted(legal, key=lambda a: (-probs.get(a, 0.0), a))
        return [(a, {"probability": round(float(probs.get(a, 0.0)), 4)}) for a in ranked], "probability"
    return [(player.act(state), {})], "choice"
