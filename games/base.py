"""The game contract every engine implements, and the invariants enforced once.

A ``State`` needs seven things from a game (as OpenSpiel's): who moves
(``current_player``), what they may do (``legal_actions``), doing it
(``apply``), naming it (``action_to_string``), ending (``is_terminal`` and
``returns``) and copying (``clone``). Engines implement the underscored hooks
``_legal_actions``, ``_apply``, ``_returns`` plus ``current_player`` and
``is_terminal``; this base class checks the illegal action and the move after
the end, so no engine repeats those checks.

Everything else is optional and has a sensible default: a text rendering
(``__str__``), ``string_to_action`` (the inverse of ``action_to_string`` over
the legal actions), ``observation(player)`` (a float32 vector of
``Game.observation_shape``), and for imperfect-information games
``information_state(player)`` (a string key of what ``player`` has seen) and
``resample_hidden(player, rng)`` (a full state consistent with it: hidden
cards *and* undealt cards reshuffled, so a search never sees future chance)
and ``past_decisions()`` (the game so far as (state, action) pairs, so a
world's history can be replayed with that world's cards).

Chance is driven by the seed given to ``Game.new_initial_state``: engines draw
every chance outcome (the whole shuffled deck) at the start from
``numpy.random.default_rng(seed)``, so the same seed replays the same game.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class IllegalActionError(ValueError):
    """An action that the rules do not allow in this state."""


@dataclass(frozen=True)
class GameInfo:
    """What ``selfplay games`` lists, and what adapters need to size spaces."""

    name: str
    num_players: int
    num_actions: int
    perfect_information: bool
    observation_shape: tuple[int, ...]
    description: str = ""
    #: Seats that play as one side, e.g. DouDizhu ``((0,), (1, 2))``. The
    #: arena rotates agents over teams; by default every seat is its own team.
    teams: tuple[tuple[int, ...], ...] = ()
    team_names: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    #: The returns one player can get, ``(low, high)``: learners scale values by it and hold
    #: no constant of any one game. ``return_capped``: the stakes can grow past it in rare games
    #: (DouDizhu's points double with every bomb), so it is a cap that learners clip to.
    return_range: tuple[float, float] = (-1.0, 1.0)
    return_capped: bool = False

    def __post_init__(self) -> None:
        low, high = self.return_range
        if not low < high:
            raise ValueError(f"{self.name}: return_range must be (low, high) with low < high, not {self.return_range}")
        if not self.teams:
            object.__setattr__(self, "teams", tuple((p,) for p in range(self.num_players)))
        if not self.team_names:
            names = tuple(f"seat {t[0]}" if len(t) == 1 else "seats " + "+".join(map(str, t)) for t in self.teams)
            object.__setattr__(self, "team_names", names)


class Game:
    """A game with its options fixed. Subclasses set ``info`` and ``state_class``."""

    info: GameInfo
    state_class: type["State"]

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def num_players(self) -> int:
        return self.info.num_players

    @property
    def num_actions(self) -> int:
        return self.info.num_actions

    @property
    def observation_shape(self) -> tuple[int, ...]:
        return self.info.observation_shape

    def new_initial_state(self, seed: int | None = None, deal: Any = None) -> "State":
        """A fresh game. ``seed`` fixes every chance outcome; card games also
        accept an explicit ``deal`` (its form is in each engine's docstring)
        for fixed-deck evaluation and tests. Games without chance take neither."""
        if deal is None:
            return self.state_class(self, seed=seed)
        return self.state_class(self, seed=seed, deal=deal)

    def __repr__(self) -> str:
        opts = ",".join(f"{k}={v}" for k, v in self.info.options.items())
        return f"{self.info.name}({opts})"


class State:
    """One position of a game; see the module docstring for the contract."""

    __slots__ = ()
    game: Game

    # ---- hooks an engine implements -------------------------------------
    @property
    def current_player(self) -> int:
        raise NotImplementedError

    def is_terminal(self) -> bool:
        raise NotImplementedError

    def _legal_actions(self) -> list[int]:
        raise NotImplementedError

    def _apply(self, action: int) -> None:
        raise NotImplementedError

    def _returns(self) -> list[float]:
        """Final payoff per player; called only on terminal states."""
        raise NotImplementedError

    def action_to_string(self, action: int) -> str:
        raise NotImplementedError

    # ---- the contract, checked once here --------------------------------
    @property
    def num_players(self) -> int:
        return self.game.info.num_players

    def legal_actions(self) -> list[int]:
        """Sorted legal actions of the player to move; empty when terminal."""
        if self.is_terminal():
            return []
        return self._legal_actions()

    def is_legal(self, action: int) -> bool:
        return action in self.legal_actions()

    def apply(self, action: int) -> None:
        if self.is_terminal():
            raise IllegalActionError(f"{self.game.name}: the game is over; no action {action!r} can be applied")
        if not self.is_legal(action):
            raise IllegalActionError(f"{self.game.name}: action {action!r} is not legal here")
        self._apply(int(action))

    def child(self, action: int) -> "State":
        """A copy with ``action`` applied (this state is unchanged)."""
        nxt = self.clone()
        nxt.apply(action)
        return nxt

    def returns(self) -> list[float]:
        """One float per player; zeros until the game is over."""
        if not self.is_terminal():
            return [0.0] * self.num_players
        return self._returns()

    def details(self) -> dict:
        """Facts of a finished game that the arena reports beside the returns (JSON-able;
        DouDizhu with bidding: the landlord, the bids, the deals). None by default."""
        return {}

    def clone(self) -> "State":
        return copy.deepcopy(self)

    def string_to_action(self, text: str) -> int:
        """Parse ``text`` as one of the legal actions (case and spaces ignored)."""
        want = "".join(text.split()).lower()
        for action in self.legal_actions():
            if "".join(self.action_to_string(action).split()).lower() == want:
                return action
        raise IllegalActionError(f"{self.game.name}: {text!r} is not a legal action here")

    def observation(self, player: int) -> np.ndarray:
        raise NotImplementedError(f"{self.game.name} has no observation tensor")

    def information_state(self, player: int) -> str:
        """What ``player`` has seen, as a key; for perfect information, the state."""
        if self.game.info.perfect_information:
            return str(self)
        raise NotImplementedError

    def resample_hidden(self, player: int, rng: np.random.Generator) -> "State":
        """A full state consistent with what ``player`` has seen."""
        if self.game.info.perfect_information:
            return self.clone()
        raise NotImplementedError

    def past_decisions(self) -> list[tuple["State", int]]:
        """Every decision of this game so far, in order: (a copy of the state before it, the
        action taken). Beliefs (``search.beliefs``) replay a resampled world's history with it
        to ask how likely the opponents' moves were with the cards that world gives them."""
        replay, actions = self._replay()
        decisions = []
        for action in actions:
            decisions.append((replay.clone(), action))
            replay._apply(action)
        return decisions

    def _replay(self) -> tuple["State", list[int]]:
        """The hook of ``past_decisions``: this game's first state (with this state's cards) and
        the actions taken since."""
        raise NotImplementedError(f"{self.game.name} cannot replay its decisions")

    def __repr__(self) -> str:
        return f"<{self.game!r} state>\n{self}"
