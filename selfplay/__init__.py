"""selfplay: agents that learn multiplayer and imperfect-information card games by self-play.

Rooms, imports pointing down: ``selfplay.cli -> selfplay.league -> selfplay
(agents, arena, learners) -> selfplay.search -> selfplay.games``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("selfplay")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"
