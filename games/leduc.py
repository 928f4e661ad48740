"""Leduc hold'em: six cards (J, Q, K in two suits), two betting rounds.

Cards are ints 0-5, rank ``card // 2`` (J, Q, K) and suit ``card % 2``
(spades, hearts): ``Js Jh Qs Qh Ks Kh``, the same numbering as OpenSpiel's
``leduc_poker``. Each player antes 1 and holds one private card; player 0
opens both rounds. A raise puts in 2 chips more than the opponent in round 1
and 4 in round 2, at most 2 raises a round. A round ends when a call answers
a raise or when both players check; the public card is then revealed. At the
showdown a private card pairing the public card wins, otherwise the higher
private rank; equal ranks split the pot.

Actions (OpenSpiel's convention): 0 = fold, 1 = call (a check when there is
nothing to call), 2 = raise (a bet when there is nothing to call). Fold is
legal only when facing a raise, as in OpenSpiel: folding for free is never
better than checking, so allowing it would only add a dominated action.
"""

from __future__ import annotations

import numpy as np

from selfplay.games.base import Game, GameInfo, IllegalActionError, State

CARD_NAMES = ("Js", "Jh", "Qs", "Qh", "Ks", "Kh")
FOLD, CALL, RAISE = 0, 1, 2
ACTION_NAMES = ("fold", "call", "raise")
RAISE_SIZES = (2, 4)
MAX_RAISES = 2
MAX_ROUND_ACTIONS = 4  # check, raise, raise, call
HISTORY_START = 2 + 6 + 6
CHIPS_START = HISTORY_START + 2 * MAX_ROUND_ACTIONS * 3
OBSERVATION_SIZE = CHIPS_START + 2


def parse_card(card: int | str) -> int:
    """A card as its int 0-5, from an int or a name such as ``"Ks"``."""
    if isinstance(card, str):
        names = [n.lower() for n in CARD_NAMES]
        if card.lower() not in names:
            raise ValueError(f"leduc: unknown card {card!r}; cards are {', '.join(CARD_NAMES)}")
        return names.index(card.lower())
    if int(card) != card or not 0 <= card < 6:
        raise ValueError(f"leduc: unknown card {card!r}; cards are 0-5 ({' '.join(CARD_NAMES)})")
    return int(card)


class LeducState(State):
    """A Leduc hold'em position. ``deal`` is ``(card of player 0, card of
    player 1, public card)``, ints 0-5 or names such as ``"Ks"``; without it
    the six cards are shuffled from ``numpy.random.default_rng(seed)`` and the
    first three dealt in that order. The public card is fixed at the start
    but seen by no one until round 2."""

    __slots__ = ("game", "cards", "contributions", "betting_round", "rounds", "_raises", "_player", "_folded", "_done")

    def __init__(self, game: Game, seed: int | None = None, deal=None) -> None:
        self.game = game
        if deal is None:
            deck = np.random.default_rng(seed).permutation(6)
            self.cards = [int(c) for c in deck[:3]]
        else:
            if len(deal) != 3:
                raise ValueError(f"leduc: a deal is (card of player 0, card of player 1, public card), not {deal!r}")
            self.cards = [parse_card(c) for c in deal]
            if len(set(self.cards)) != 3:
                raise ValueError(f"leduc: a deal needs three different cards: {deal!r}")
        self.contributions = [1, 1]  # chips each player has in the pot
        self.betting_round = 0  # 0 before the public card, 1 after
        self.rounds: list[list[int]] = [[], []]  # actions of each round
        self._raises = 0
        self._player = 0
        self._folded = -1
        self._done = False

    # ---- rules ---------------------------------------------------------
    @property
    def current_player(self) -> int:
        return self._player

    def is_terminal(self) -> bool:
        return self._done

    def _facing_raise(self) -> bool:
        p = self._player
        return self.contributions[p] < self.contributions[1 - p]

    def _legal_actions(self) -> list[int]:
        actions = [FOLD, CALL] if self._facing_raise() else [CALL]
        if self._raises < MAX_RAISES:
            actions.append(RAISE)
        return actions

    def is_legal(self, action: int) -> bool:
        if self._done:
            return False
        if action == CALL:
            return True
        if action == RAISE:
            return self._raises < MAX_RAISES
        return action == FOLD and self._facing_raise()

    def _apply(self, action: int) -> None:
        p = self._player
        chips = self.contributions
        history = self.rounds[self.betting_round]
        history.append(action)
        if action == FOLD:
            self._folded, self._done = p, True
            return
        if action == RAISE:
            chips[p] = chips[1 - p] + RAISE_SIZES[self.betting_round]
            self._raises += 1
        else:
            chips[p] = chips[1 - p]
            if len(history) >= 2:  # check-check, or a call answering a raise
                if self.betting_round == 1:
                    self._done = True
                    return
                self.betting_round, self._raises, self._player = 1, 0, 0
                return
        self._player = 1 - p

    def _returns(self) -> list[float]:
        chips = self.contributions
        if self._folded >= 0:
            loser = self._folded
        else:
            public = self.cards[2] // 2
            strength = [(c // 2 == public, c // 2) for c in self.cards[:2]]
            if strength[0] == strength[1]:
                return [0.0, 0.0]
            loser = 0 if strength[0] < strength[1] else 1
        out = [0.0, 0.0]
        out[loser], out[1 - loser] = -float(chips[loser]), float(chips[loser])
        return out

    # ---- helpers for people and tests ---------------------------------
    @property
    def pot(self) -> int:
        return self.contributions[0] + self.contributions[1]

    @property
    def public_card(self) -> int | None:
        """The public card once revealed (round 2), else ``None``."""
        return self.cards[2] if self.betting_round == 1 else None

    def private_card(self, player: int) -> int:
        return self.cards[player]

    @property
    def history(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The actions of round 1 and of round 2."""
        return tuple(self.rounds[0]), tuple(self.rounds[1])

    # ---- naming --------------------------------------------------------
    def action_to_string(self, action: int) -> str:
        return ACTION_NAMES[action]

    def string_to_action(self, text: str) -> int:
        """``fold``/``call``/``raise``; also ``check`` (call with nothing to
        call) and ``bet`` (raise with nothing to call); any case."""
        want = "".join(text.split()).lower()
        names = {"fold": FOLD, "call": CALL, "raise": RAISE}
        if not self._done and not self._facing_raise():
            names.update(check=CALL, bet=RAISE)
        if want not in names or not self.is_legal(names[want]):
            raise IllegalActionError(f"leduc: {text!r} is not a legal action here")
        return names[want]

    # ---- copying and what a player sees --------------------------------
    def clone(self) -> "LeducState":
        new = LeducState.__new__(LeducState)
        new.game, new.cards, new.contributions = self.game, self.cards[:], self.contributions[:]
        new.betting_round, new.rounds = self.betting_round, [self.rounds[0][:], self.rounds[1][:]]
        new._raises, new._player, new._folded, new._done = self._raises, self._player, self._folded, self._done
        return new

    def observation(self, player: int) -> np.ndarray:
        """Float32 vector of 40: seat one-hot (0:2), own card one-hot over
        the six cards (2:8), public card one-hot (8:14, zeros until revealed),
        the betting: round r, action slot k, a one-hot fold/call/raise at
        ``14 + 12 r + 3 k`` (14:38), and the chips in the pot, own then the
        opponent's (38:40, 1 to 13)."""
        obs = np.zeros(OBSERVATION_SIZE, dtype=np.float32)
        obs[player] = 1.0
        obs[2 + self.cards[player]] = 1.0
        if self.betting_round == 1:
            obs[8 + self.cards[2]] = 1.0
        for r, history in enumerate(self.rounds):
            for k, action in enumerate(history):
                obs[HISTORY_START + 12 * r + 3 * k + action] = 1.0
        obs[CHIPS_START] = self.contributions[player]
        obs[CHIPS_START + 1] = self.contributions[1 - player]
        return obs

    def information_state(self, player: int) -> str:
        """``"p<seat> <card> <public or ??> <round 1>/<round 2>"`` with actions
        as ``f``/``c``/``r``, e.g. ``"p0 Ks Qh rc/cr"``. It holds what the
        player has seen while playing; the opponent's card is never in it."""
        public = CARD_NAMES[self.cards[2]] if self.betting_round == 1 else "??"
        betting = "/".join("".join("fcr"[a] for a in h) for h in self.rounds[:self.betting_round + 1])
        return f"p{player} {CARD_NAMES[self.cards[player]]} {public} {betting}"

    def resample_hidden(self, player: int, rng: np.random.Generator) -> "LeducState":
        """A copy where the opponent's card, and the public card while it is
        unrevealed, are dealt uniformly (without replacement) from the cards
        ``player`` has not seen."""
        new = self.clone()
        seen = {self.cards[player]}
        hidden = [1 - player]
        if self.betting_round == 1:
            seen.add(self.cards[2])
        else:
            hidden.append(2)
        unseen = [c for c in range(6) if c not in seen]
        for slot, card in zip(hidden, rng.choice(unseen, size=len(hidden), replace=False)):
            new.cards[slot] = int(card)
        return new

    def _replay(self) -> tuple["LeducState", list[int]]:
        return LeducState(self.game, deal=self.cards), self.rounds[0] + self.rounds[1]

    def _round_words(self, history: list[int]) -> str:
        words, raised = [], False
        for a in history:
            if a == CALL:
                words.append("call" if raised else "check")
            elif a == RAISE:
                words.append("raise" if raised else "bet")
            else:
                words.append("fold")
            raised = a == RAISE
        return " ".join(words) or "-"

    def __str__(self) -> str:
        if self._done:
            r = self.returns()
            head = f"game over: returns {r[0]:+g} {r[1]:+g}"
        else:
            head = f"round {self.betting_round + 1}, player {self._player} to move"
        c, names = self.contributions, [CARD_NAMES[x] for x in self.cards]
        public = names[2] if self.betting_round == 1 else f"{names[2]} (not revealed)"
        lines = [head, f"cards: p0 {names[0]}, p1 {names[1]}, public {public}",
                 f"pot {self.pot} (p0 {c[0]}, p1 {c[1]})"]
        lines += [f"round {r + 1}: {self._round_words(self.rounds[r])}" for r in range(self.betting_round + 1)]
        return "\n".join(lines)


class LeducPoker(Game):
    state_class = LeducState

    def __init__(self) -> None:
        self.info = GameInfo(
            name="leduc", num_players=2, num_actions=3, perfect_information=False,
            observation_shape=(OBSERVATION_SIZE,),
            description="Leduc hold'em: J, Q, K in two suits, two rounds; actions 0 = fold, 1 = call, 2 = raise",
            return_range=(-13.0, 13.0),  # ante 1, two raises of 2 in the first round and of 4 in the second
        )
