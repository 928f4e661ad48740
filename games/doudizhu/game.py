"""DouDizhu (Fight the Landlord): three players, 54 cards, one landlord against two peasants.

Flow. A deal gives 17 cards to each seat and 3 to the kitty. By default the
landlord is fixed at seat 0, as in DouZero and RLCard: it takes the kitty
(revealed to everyone) and leads. With ``bidding=True`` the seats bid first,
in the order 0, 1, 2, each once: pass or a bid higher than the highest so far
(1, 2 or 3; a 3 ends the bidding at once). The highest bidder becomes
landlord, takes the kitty and leads; if all three pass the cards are redealt
(from the game's seed) and bidding restarts at seat 0; after ``MAX_DEALS``
deals without a bid the game ends scoreless, so every game ends.

Play. The player to lead plays any move; the others in turn (seat ``s``
plays after ``s - 1``: seat ``landlord + 1`` is *landlord_down*,
``landlord + 2`` *landlord_up*) beat it or pass; after two passes the last
player to have played leads again. The first to empty their hand wins for
their side (the landlord alone, or both peasants).

Scoring. The multiplier is the base (1, or the winning bid when bidding),
doubled per bomb or rocket played, and doubled once more for a spring when
``spring=True`` (the landlord wins before either peasant played a card, or
the peasants win after the landlord's only play was its opening lead).
``objective="adp"`` (default) returns points: the landlord gets ``+2x`` for a
win or ``-2x`` for a loss, each peasant the opposite ``x``, so returns sum to
zero. ``objective="wp"`` scores the win itself, as DouZero's WP objective:
``+1`` to each player of the winning side and ``-1`` to each of the losing
side (so returns do not sum to zero: two peasants win or lose together).

Return range (``GameInfo.return_range``): ``wp`` is +-1; ``adp`` points have
no practical bound (each bomb doubles them), so the game declares a cap,
``ADP_CAP = 16`` (the landlord's stake after three doublings, one peasant's
after four), which learners clip values to (``GameInfo.return_capped``).

Actions. Indices ``0..27471`` are the move table of ``moves`` (pass is
``PASS = 27471``); ``27472 + b`` is the bid ``b`` (0 = no bid, 1, 2, 3).
``NUM_ACTIONS = 27476`` in both modes (bid actions are never legal without
bidding), so one network fits both.

Deals. ``new_initial_state(seed)`` shuffles with ``numpy.random.default_rng(seed)``:
the first 17 cards of the shuffled deck go to seat 0, the next 17 to seat 1,
then seat 2, and the last 3 are the kitty. ``deal=(hand0, hand1, hand2,
kitty)`` (strings of 17, 17, 17 and 3 cards in standard notation, together
the whole deck) fixes the first deal instead.
"""

from __future__ import annotations

import numpy as np

from selfplay.games.base import Game, GameInfo, IllegalActionError, State
from selfplay.games.doudizhu.cards import (
    FULL_DECK, GUARD, HAND_SIZE, KITTY_SIZE, NUM_RANKS, format_hand, pack, parse_counts, parse_deal, random_deal,
    unpack,
)
from selfplay.games.doudizhu.features import OBSERVATION_SIZE
from selfplay.games.doudizhu.features import observation as _observation
from selfplay.games.doudizhu.legal import follow_indices, lead_indices
from selfplay.games.doudizhu.moves import (
    BOMB, MOVE_CARDS, MOVE_MASK, MOVE_SIZE, MOVE_TYPE, NUM_MOVES, PASS, MoveError, beats_index, index_of,
)

BID_BASE = NUM_MOVES
NUM_ACTIONS = NUM_MOVES + 4
MAX_DEALS = 10
ADP_CAP = 16.0  # the declared return range of objective="adp" (module docstring), a cap
ROLE_NAMES = ("landlord", "landlord_down", "landlord_up")
_NEXT = (1, 2, 0)
_BID_WORDS = {"pass": 0, "no bid": 0, "nobid": 0, "0": 0, "bid 0": 0, "1": 1, "bid 1": 1, "2": 2, "bid 2": 2,
              "3": 3, "bid 3": 3}


class DouDizhuState(State):
    """One position; see the module docstring for flow, scoring and actions."""

    __slots__ = ("game", "_hands", "_left", "_played", "_plays", "_player", "_to_beat", "_passes", "_history",
                 "_play_start", "_over", "_winner", "_landlord", "_bidding", "_bid", "_bidder", "_kitty", "_bombs",
                 "_deal_no", "_deal_seed", "_legal")

    def __init__(self, game: "DouDizhu", seed: int | None = None, deal=None) -> None:
        self.game = game
        rng = np.random.default_rng(seed)
        hands, kitty = random_deal(rng) if deal is None else parse_deal(deal)
        self._deal_seed = int(rng.integers(1 << 62)) if game.bidding else 0
        self._deal_no = 1
        self._start_deal(hands, kitty)

    def _start_deal(self, hands: list[int], kitty: int) -> None:
        self._hands = hands
        self._kitty = kitty
        self._left = [HAND_SIZE] * 3
        self._played = [0, 0, 0]
        self._plays = [0, 0, 0]
        self._history: list[int] = []
        self._to_beat = -1
        self._passes = 0
        self._over = False
        self._winner = -1
        self._bid = 0
        self._bidder = -1
        self._bombs = 0
        self._legal = None
        self._player = 0
        if self.game.bidding:
            self._bidding, self._landlord, self._play_start = True, -1, -1
        else:
            self._bidding = False
            self._begin_play(0)

    def _begin_play(self, landlord: int) -> None:
        self._landlord = landlord
        self._hands[landlord] += self._kitty
        self._left[landlord] += KITTY_SIZE
        self._player = landlord
        self._play_start = len(self._history)
        self._bidding = False

    # ---- the contract ---------------------------------------------------
    @property
    def current_player(self) -> int:
        return self._player

    def is_terminal(self) -> bool:
        return self._over

    def _legal_actions(self) -> list[int]:
        legal = self._legal
        if legal is None:
            if self._bidding:
                legal = [BID_BASE] + [BID_BASE + b for b in range(self._bid + 1, 4)]
            elif self._to_beat < 0:
                legal = lead_indices(self._hands[self._player])
            else:
                legal = follow_indices(self._hands[self._player], self._to_beat)
            self._legal = legal
        return legal[:]

    def is_legal(self, action: int) -> bool:
        if self._bidding:
            return action == BID_BASE or self._bid < action - BID_BASE < 4
        if not 0 <= action <= PASS:
            return False
        if action == PASS:
            return self._to_beat >= 0
        if ((self._hands[self._player] | GUARD) - MOVE_MASK[action]) & GUARD != GUARD:
            return False
        return self._to_beat < 0 or beats_index(action, self._to_beat)

    def _apply(self, action: int) -> None:
        p = self._player
        self._history.append(action)
        self._legal = None
        if self._bidding:
            self._apply_bid(p, action - BID_BASE)
            return
        if action == PASS:
            self._passes += 1
            if self._passes == 2:
                self._to_beat = -1
        else:
            mask = MOVE_MASK[action]
            self._hands[p] -= mask
            self._played[p] += mask
            self._plays[p] += 1
            self._to_beat = action
            self._passes = 0
            if MOVE_TYPE[action] >= BOMB:
                self._bombs += 1
            left = self._left[p] - MOVE_SIZE[action]
            self._left[p] = left
            if left == 0:
                self._over = True
                self._winner = p
        self._player = _NEXT[p]

    def _apply_bid(self, p: int, bid: int) -> None:
        if bid:
            self._bid, self._bidder = bid, p
        if bid == 3 or len(self._history) == 3:
            if self._bid:
                self._begin_play(self._bidder)
            elif self._deal_no < MAX_DEALS:
                self._deal_no += 1
                self._start_deal(*random_deal(np.random.default_rng([self._deal_seed, self._deal_no])))
            else:
                self._over = True
        else:
            self._player = _NEXT[p]

    def _returns(self) -> list[float]:
        if self._winner < 0:
            return [0.0, 0.0, 0.0]
        landlord_won = self._winner == self._landlord
        if self.game.objective == "wp":  # +1 each winner, -1 each loser (DouZero's WP)
            return [1.0 if (s == self._landlord) == landlord_won else -1.0 for s in range(3)]
        x = float(self.multiplier)
        side = x if landlord_won else -x
        return [2 * side if s == self._landlord else -side for s in range(3)]

    def action_to_string(self, action: int) -> str:
        if 0 <= action < PASS:
            return MOVE_CARDS[action]
        if action == PASS:
            return "pass"
        if BID_BASE <= action < NUM_ACTIONS:
            return "no bid" if action == BID_BASE else f"bid {action - BID_BASE}"
        raise IllegalActionError(f"doudizhu: {action!r} is not an action (0..{NUM_ACTIONS - 1})")

    def string_to_action(self, text: str) -> int:
        """Parse a move in any order/case/spacing (``"pass"`` passes) or, while
        bidding, ``"pass"``/``"no bid"``/``"1"``/``"bid 2"``... Raises
        IllegalActionError saying why: not a card, not in hand, not a valid
        combination, does not beat, cannot pass."""
        if self._over:
            raise IllegalActionError("doudizhu: the game is over")
        if self._bidding:
            bid = _BID_WORDS.get(" ".join(text.lower().split()))
            if bid is None or not self.is_legal(BID_BASE + bid):
                raise IllegalActionError(
                    f"doudizhu: {text!r} is not a legal bid here (bid higher than {self._bid}, or pass)")
            return BID_BASE + bid
        try:
            action = index_of(text)
        except MoveError as err:
            if err.reason == "not a valid combination":
                counts = parse_counts(text)
                if ((self._hands[self._player] | GUARD) - pack(counts)) & GUARD != GUARD:
                    raise IllegalActionError(f"doudizhu: {format_hand(pack(counts))!r} is not in your hand") from None
            raise IllegalActionError(f"doudizhu: {err}") from None
        if action == PASS:
            if self._to_beat < 0:
                raise IllegalActionError("doudizhu: you lead this trick: you cannot pass")
            return PASS
        if ((self._hands[self._player] | GUARD) - MOVE_MASK[action]) & GUARD != GUARD:
            raise IllegalActionError(f"doudizhu: {MOVE_CARDS[action]!r} is not in your hand")
        if self._to_beat >= 0 and not beats_index(action, self._to_beat):
            raise IllegalActionError(f"doudizhu: {MOVE_CARDS[action]!r} does not beat {MOVE_CARDS[self._to_beat]!r}")
        return action

    def clone(self) -> "DouDizhuState":
        new = DouDizhuState.__new__(DouDizhuState)
        new.game = self.game
        new._hands, new._left, new._played, new._plays = self._hands[:], self._left[:], self._played[:], self._plays[:]
        new._history = self._history[:]
        new._player, new._to_beat, new._passes = self._player, self._to_beat, self._passes
        new._play_start = self._play_start
        new._over, new._winner, new._landlord, new._bidding = self._over, self._winner, self._landlord, self._bidding
        new._bid, new._bidder, new._kitty, new._bombs = self._bid, self._bidder, self._kitty, self._bombs
        new._deal_no, new._deal_seed, new._legal = self._deal_no, self._deal_seed, self._legal
        return new

    # ---- roles and scoring, for the arena -------------------------------
    @property
    def landlord(self) -> int | None:
        """The landlord's seat, or None while bidding."""
        return None if self._landlord < 0 else self._landlord

    def role(self, seat: int) -> str:
        """``landlord``, ``landlord_down``, ``landlord_up``, or ``undecided`` while bidding."""
        return "undecided" if self._landlord < 0 else ROLE_NAMES[(seat - self._landlord) % 3]

    @property
    def bombs_played(self) -> int:
        """Bombs and rockets played so far."""
        return self._bombs

    @property
    def spring(self) -> bool:
        """Whether the finished game is a spring (or anti-spring), whether or not it scores."""
        if self._winner < 0:
            return False
        if self._winner == self._landlord:
            return sum(self._plays) == self._plays[self._landlord]
        return self._plays[self._landlord] == 1

    @property
    def multiplier(self) -> int:
        """Base (winning bid or 1) x 2 per bomb/rocket (x 2 for a scoring spring at the end)."""
        x = max(self._bid, 1) << self._bombs
        if self.game.spring_doubles and self.spring:
            x *= 2
        return x

    @property
    def winners(self) -> tuple[int, ...]:
        """Seats of the winning side (empty until the end, or for a scoreless game)."""
        if self._winner < 0:
            return ()
        if self._winner == self._landlord:
            return (self._landlord,)
        return tuple(s for s in range(3) if s != self._landlord)

    def hand(self, seat: int) -> str:
        """Seat's current hand in standard notation (hidden information!)."""
        return format_hand(self._hands[seat])

    def cards_left(self, seat: int) -> int:
        return self._left[seat]

    @property
    def to_beat(self) -> str | None:
        """The move the player to act must beat, or None when leading or bidding."""
        return None if self._to_beat < 0 else MOVE_CARDS[self._to_beat]

    def details(self) -> dict:
        """With bidding, once the game is over: ``landlord`` (its seat, None after ten deals
        without a bid), ``bids`` (each seat's bid in the last deal, 0 a pass, None for a seat
        after a 3) and ``deals`` (1 + the all-pass redeals). Without bidding: nothing."""
        if not self.game.bidding:
            return {}
        bids = [a - BID_BASE for a in (self._history if self._play_start < 0 else self._history[:self._play_start])]
        return {"landlord": None if self._landlord < 0 else self._landlord,
                "bids": bids + [None] * (3 - len(bids)), "deals": self._deal_no}

    @property
    def history(self) -> list[int]:
        """Actions of the current deal so far (bids, then card play from the landlord)."""
        return self._history[:]

    # ---- observations ----------------------------------------------------
    def _card_history(self) -> list[int]:
        return [] if self._play_start < 0 else self._history[self._play_start:]

    def _last_actions(self) -> list[int]:
        """Per seat, its latest card-play action (-1 if none yet)."""
        last = [-1, -1, -1]
        play = self._card_history()
        for k in range(max(0, len(play) - 3), len(play)):
            last[(self._landlord + k) % 3] = play[k]
        return last

    def _kitty_public(self) -> int:
        return 0 if self._landlord < 0 else self._kitty

    def _unseen(self, player: int) -> int:
        """Packed cards not in ``player``'s hand and not played."""
        return FULL_DECK - self._hands[player] - sum(self._played)

    def observation(self, player: int) -> np.ndarray:
        """Float32 vector of ``observation_shape``; layout in ``features``."""
        return _observation(self, player)

    def information_state(self, player: int) -> str:
        """Key of all ``player`` has seen: seat, deal number, own hand, the kitty
        once revealed, and every action of this deal in order."""
        moves = " ".join(self.action_to_string(a).replace(" ", "") for a in self._history)
        kitty = format_hand(self._kitty) if self._landlord >= 0 else "?"
        return f"seat {player} deal {self._deal_no} hand {format_hand(self._hands[player])} kitty {kitty} | {moves}"

    def _replay(self) -> tuple["DouDizhuState", list[int]]:
        """This deal from its start: every seat's hand then is what it holds plus what it
        played (the landlord's less the kitty)."""
        start = self.clone()
        hands = [h + p for h, p in zip(self._hands, self._played)]
        if self._landlord >= 0:
            hands[self._landlord] -= self._kitty
        start._start_deal(hands, self._kitty)
        return start, self._history[:]

    def resample_hidden(self, player: int, rng: np.random.Generator) -> "DouDizhuState":
        """A full state ``player`` cannot tell from this one: the cards it cannot
        see are dealt uniformly at random to the other seats (and the kitty
        while bidding), keeping every seat's card count, and keeping with the
        landlord the revealed kitty cards it cannot have played yet (for each
        rank, kitty count minus what the landlord played of it). Future
        redeals are reshuffled too."""
        new = self.clone()
        new._legal = None if player != self._player else self._legal
        others = [s for s in range(3) if s != player]
        pool = unpack(self._unseen(player))
        fixed = [0, 0, 0]
        if self._landlord >= 0 and self._landlord != player:
            kitty, played = unpack(self._kitty), unpack(self._played[self._landlord])
            known = [max(0, k - p) for k, p in zip(kitty, played)]
            fixed[self._landlord] = pack(known)
            pool = [n - k for n, k in zip(pool, known)]
        cards = [1 << (4 * r) for r in range(NUM_RANKS) for _ in range(pool[r])]
        rng.shuffle(cards)
        at = 0
        for s in others:
            n = self._left[s] - sum(unpack(fixed[s]))
            new._hands[s] = fixed[s] + sum(cards[at:at + n])
            at += n
        if self._landlord < 0:
            new._kitty = sum(cards[at:])
        if self.game.bidding:
            new._deal_seed = int(rng.integers(1 << 62))
        return new

    def __str__(self) -> str:
        lines = [f"DouDizhu deal {self._deal_no}, multiplier x{self.multiplier} ({self._bombs} bombs/rockets)"
                 + (f", bid {self._bid}" if self.game.bidding else "")]
        if self._bidding:
            lines.append(f"bidding: highest bid {self._bid}" + (f" by seat {self._bidder}" if self._bid else ""))
        else:
            lines.append(f"kitty: {format_hand(self._kitty)}")
        for s in range(3):
            mark = "  <- to move" if s == self._player and not self._over else ""
            lines.append(f"seat {s} {self.role(s):13} {self._left[s]:2} cards: {format_hand(self._hands[s])}{mark}")
        last = self._last_actions()
        if self._landlord >= 0:
            lines.append("last: " + ", ".join(f"seat {s} {self.action_to_string(last[s]) if last[s] >= 0 else '-'}"
                                               for s in range(3)))
        if self._to_beat >= 0:
            lines.append(f"to beat: {MOVE_CARDS[self._to_beat]}")
        if self._over:
            lines.append(f"over: winners {list(self.winners)}, returns {self.returns()}")
        return "\n".join(lines)


class DouDizhu(Game):
    """DouDizhu with options ``bidding`` (bid for landlord instead of a fixed
    seat 0), ``objective`` (``"adp"`` points or ``"wp"`` +1/-1) and ``spring``
    (a spring doubles the score)."""

    state_class = DouDizhuState

    def __init__(self, *, bidding: bool = False, objective: str = "adp", spring: bool = False) -> None:
        if not isinstance(bidding, bool):
            raise ValueError(f"doudizhu: bidding must be True or False, not {bidding!r}")
        if objective not in ("adp", "wp"):
            raise ValueError(f"doudizhu: objective must be 'adp' (points) or 'wp' (+1/-1), not {objective!r}")
        if not isinstance(spring, bool):
            raise ValueError(f"doudizhu: spring must be True or False, not {spring!r}")
        self.bidding, self.objective, self.spring_doubles = bidding, objective, spring
        teams = {} if bidding else {"teams": ((0,), (1, 2)), "team_names": ("landlord", "peasants")}
        self.info = GameInfo(
            name="doudizhu", num_players=3, num_actions=NUM_ACTIONS, perfect_information=False,
            observation_shape=(OBSERVATION_SIZE,),
            description="DouDizhu (Fight the Landlord), 3 players; "
            + ("bidding for landlord" if bidding else "seat 0 is landlord"),
            options={"bidding": bidding, "objective": objective, "spring": spring}, **teams,
            **({"return_range": (-1.0, 1.0)} if objective == "wp" else
               {"return_range": (-ADP_CAP, ADP_CAP), "return_capped": True}),
        )

    def new_initial_state(self, seed: int | None = None, deal=None) -> DouDizhuState:
        """A new game: ``seed`` drives every shuffle; ``deal=(hand0, hand1, hand2, kitty)`` fixes the first deal."""
        return DouDizhuState(self, seed=seed, deal=deal)
