"""selfplay: agents that learn multiplayer and imperfect-information card games by self-play.

Rooms, imports pointing down: ``selfplay.cli -> selfplay.league -> selfplay
(agents, arena, learners) -> selfplay.search -> selfplay.games``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("selfplay")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"


def advise(hand: str, played=(), **options):
    """An agent's best moves in a DouDizhu position: ``selfplay.advice.advise`` (its
    docstring has the arguments); returns an ``Advice``, raises ``PositionError``."""
    from selfplay.advice import advise as advise_position

    return advise_position(hand, played, **options)
