"""Kuhn poker: three cards (J, Q, K), ante 1 each, one betting round.

Cards are ranks 0 = J, 1 = Q, 2 = K. Actions follow OpenSpiel's convention:
0 = pass (check, or fold when facing a bet), 1 = bet (bet, or call when
facing a bet); both are legal at every decision. Player 0 acts first. The
game ends on pass-pass or bet-call (showdown, high card wins the pot), or on a
fold (the bettor wins the folder's chips). The five histories are ``pp``,
``bp``, ``bb``, ``pbp``, ``pbb``.
"""

from __future__ import annotations

import numpy as np

from selfplay.games.base import Game, GameInfo, IllegalActionError, State

RANKS = "JQK"
PASS, BET = 0, 1
ACTION_NAMES = ("pass", "bet")
OBSERVATION_SIZE = 2 + 3 + 3 * 2


def parse_card(card: int | str) -> int:
    """A card as its rank 0-2, from an int or a letter J, Q, K."""
    if isinstance(card, str):
        if card.upper() not in RANKS or len(card) != 1:
            raise ValueError(f"kuhn: unknown card {card!r}; cards are J, Q, K")
        return RANKS.index(card.upper())
    if int(card) != card or not 0 <= card < 3:
        raise ValueError(f"kuhn: unknown card {card!r}; cards are 0 (J), 1 (Q), 2 (K)")
    return int(card)


class KuhnState(State):
    """A Kuhn poker position. ``deal`` is ``(card of player 0, card of player
    1)``, ranks 0-2 or letters ``"J"``, ``"Q"``, ``"K"``; without it the three
    cards are shuffled from ``numpy.random.default_rng(seed)``."""

    __slots__ = ("game", "cards", "_history")

    def __init__(self, game: Game, seed: int | None = None, deal=None) -> None:
        self.game = game
        if deal is None:
            deck = np.random.default_rng(seed).permutation(3)
            self.cards = [int(deck[0]), int(deck[1])]
        else:
            if len(deal) != 2:
                raise ValueError(f"kuhn: a deal is (card of player 0, card of player 1), not {deal!r}")
            self.cards = [parse_card(c) for c in deal]
            if self.cards[0] == self.cards[1]:
                raise ValueError(f"kuhn: both players cannot hold the same card: {deal!r}")
        self._history: list[int] = []

    # ---- rules ---------------------------------------------------------
    @property
    def current_player(self) -> int:
        return len(self._history) % 2

    def is_terminal(self) -> bool:
        n = len(self._history)
        return n == 3 or (n == 2 and self._history != [PASS, BET])

    def _legal_actions(self) -> list[int]:
        return [PASS, BET]

    def is_legal(self, action: int) -> bool:
        return action in (PASS, BET) and not self.is_terminal()

    def _apply(self, action: int) -> None:
        self._history.append(action)

    def _returns(self) -> list[float]:
        chips = self.contributions
        h = self._history
        if h[-1] == PASS and BET in h:  # a fold: the last to act gives up its chips
            loser = (len(h) - 1) % 2
        else:
            loser = 0 if self.cards[0] < self.cards[1] else 1
        out = [0.0, 0.0]
        out[loser], out[1 - loser] = -float(chips[loser]), float(chips[loser])
        return out

    def _facing_bet(self) -> bool:
        return BET in self._history

    # ---- helpers for people and tests ---------------------------------
    @property
    def history(self) -> tuple[int, ...]:
        return tuple(self._history)

    @property
    def contributions(self) -> list[int]:
        """Chips each player has put in the pot (ante included)."""
        h = self._history
        return [1 + sum(h[0::2]), 1 + sum(h[1::2])]

    @property
    def pot(self) -> int:
        return 2 + sum(self._history)

    def private_card(self, player: int) -> int:
        return self.cards[player]

    # ---- naming --------------------------------------------------------
    def action_to_string(self, action: int) -> str:
        return ACTION_NAMES[action]

    def string_to_action(self, text: str) -> int:
        """``pass``/``bet``; also ``check`` (pass, no bet to face), ``fold``
        (pass, facing a bet) and ``call`` (bet, facing a bet); any case."""
        want = "".join(text.split()).lower()
        facing = self._facing_bet()
        names = {"pass": PASS, "bet": BET}
        names.update({"fold": PASS, "call": BET} if facing else {"check": PASS})
        if want not in names or self.is_terminal():
            raise IllegalActionError(f"kuhn: {text!r} is not a legal action here")
        return names[want]

    # ---- copying and what a player sees --------------------------------
    def clone(self) -> "KuhnState":
        new = KuhnState.__new__(KuhnState)
        new.game, new.cards, new._history = self.game, self.cards[:], self._history[:]
        return new

    def observation(self, player: int) -> np.ndarray:
        """Float32 vector of 11: seat one-hot (0:2), own card one-hot J/Q/K
        (2:5), then for each of the 3 possible actions in order a one-hot
        pass/bet pair (5:11; zeros for actions not taken yet)."""
        obs = np.zeros(OBSERVATION_SIZE, dtype=np.float32)
        obs[player] = 1.0
        obs[2 + self.cards[player]] = 1.0
        for i, action in enumerate(self._history):
            obs[5 + 2 * i + action] = 1.0
        return obs

    def information_state(self, player: int) -> str:
        """``"p<seat> <card> <history>"``, e.g. ``"p1 Q pb"``: the own card and
        the actions taken (``p`` pass, ``b`` bet); never the opponent's card."""
        return f"p{player} {RANKS[self.cards[player]]} " + "".join("pb"[a] for a in self._history)

    def resample_hidden(self, player: int, rng: np.random.Generator) -> "KuhnState":
        """A copy where the opponent's card is drawn uniformly from the two
        cards ``player`` does not hold."""
        new = self.clone()
        unseen = [c for c in range(3) if c != self.cards[player]]
        new.cards[1 - player] = unseen[int(rng.integers(2))]
        return new

    def _replay(self) -> tuple["KuhnState", list[int]]:
        start = self.clone()
        start._history = []
        return start, self._history[:]

    def __str__(self) -> str:
        if self.is_terminal():
            r = self.returns()
            head = f"game over: returns {r[0]:+g} {r[1]:+g}"
        else:
            head = f"player {self.current_player} to move"
        c = self.contributions
        history = " ".join(ACTION_NAMES[a] for a in self._history) or "-"
        return "\n".join([
            head,
            f"cards: p0 {RANKS[self.cards[0]]}, p1 {RANKS[self.cards[1]]}",
            f"pot {self.pot} (p0 {c[0]}, p1 {c[1]})",
            f"history: {history}",
        ])


class KuhnPoker(Game):
    state_class = KuhnState

    def __init__(self) -> None:
        self.info = GameInfo(
            name="kuhn", num_players=2, num_actions=2, perfect_information=False,
            observation_shape=(OBSERVATION_SIZE,),
            description="Kuhn poker: cards J, Q, K, ante 1, one bet; actions 0 = pass, 1 = bet",
            return_range=(-2.0, 2.0),  # the ante and the bet
        )
