"""Values the shell completes (click's ``shell_complete``); docs/cli.md turns completion on."""

from __future__ import annotations

import click


def complete_game(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """The registered game names that start with what was typed (GAME arguments)."""
    from selfplay.games import names

    return [name for name in names() if name.startswith(incomplete)]
