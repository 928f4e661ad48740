"""Rules engines on one small ``Game``/``State`` contract (see ``base``).

``make(name, **options)`` builds a game; ``env(name, **options)`` wraps it as a
PettingZoo AEC environment; ``from_pettingzoo`` goes the other way, so any
masked AEC env (``make("pettingzoo:classic.texas_holdem_v4")``) plays in the
arena.
"""

from __future__ import annotations

import importlib
import inspect

from selfplay.games.base import Game, GameInfo, IllegalActionError, State

# name -> "module:Class"; imported on first use so listing games stays cheap.
_REGISTRY = {
    "doudizhu": "selfplay.games.doudizhu.game:DouDizhu",
    "leduc": "selfplay.games.leduc:LeducPoker",
    "kuhn": "selfplay.games.kuhn:KuhnPoker",
    "tictactoe": "selfplay.games.tictactoe:TicTacToe",
    "connect4": "selfplay.games.connect4:ConnectFour",
}
PETTINGZOO_PREFIX = "pettingzoo:"


class UnknownGameError(ValueError):
    pass


def names() -> list[str]:
    """Registered game names, in the order ``selfplay games`` lists them."""
    return list(_REGISTRY)


def game_class(name: str) -> type[Game]:
    if name not in _REGISTRY:
        raise UnknownGameError(f"unknown game {name!r}; known games: {', '.join(_REGISTRY)}")
    module, cls = _REGISTRY[name].split(":")
    return getattr(importlib.import_module(module), cls)


def options_of(name: str) -> dict[str, object]:
    """The options ``make(name, ...)`` accepts, with their defaults."""
    params = inspect.signature(game_class(name).__init__).parameters
    return {p.name: p.default for p in params.values() if p.kind is p.KEYWORD_ONLY}


def make(name: str, **options: object) -> Game:
    """Build a registered game (or ``pettingzoo:MODULE`` for a PettingZoo env)."""
    if name.startswith(PETTINGZOO_PREFIX):
        from selfplay.games.from_pettingzoo import PettingZooGame

        return PettingZooGame(name[len(PETTINGZOO_PREFIX):], **options)
    cls = game_class(name)
    known = options_of(name)
    unknown = sorted(set(options) - set(known))
    if unknown:
        listing = ", ".join(f"{k}={v!r}" for k, v in known.items()) or "none"
        raise ValueError(f"{name}: unknown option(s) {', '.join(unknown)}; options: {listing}")
    return cls(**options)


def env(name: str, render_mode: str | None = None, **options: object):
    """A PettingZoo AEC env of a game; the mask is ``observation["action_mask"]``."""
    from selfplay.games.pettingzoo_env import AECEnv

    return AECEnv(make(name, **options), render_mode=render_mode)


__all__ = ["Game", "GameInfo", "IllegalActionError", "State", "UnknownGameError", "env", "make", "names", "options_of"]
