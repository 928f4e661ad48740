"""``selfplay league``: look at a league directory (and, later, run one).

Add a command with ``@league.command("name")``; open the directory with
``open_league(path)`` so a directory that is not a league is a one-line error.
"""

from __future__ import annotations

import click

from selfplay.league.store import LeagueError, LeagueStore


def _main():
    """``selfplay.cli.main`` (UserError, console, ...), imported when a command runs:
    main.py imports this module at its end, and under ``python -m selfplay.cli.main``
    a top-level import here would import main.py a second time, half-way through."""
    from selfplay.cli import main
    return main


def open_league(directory: str) -> LeagueStore:
    """The league in ``directory``; a one-line UserError (exit code 2) if it is none."""
    try:
        return LeagueStore.open(directory)
    except LeagueError as err:
        raise _main().UserError(str(err)) from None


@click.group("league")
def league() -> None:
    """A league of snapshots rated against each other and fixed baselines.

    \b
    Examples:
      selfplay league status runs/league            # game, players, last fit, run state
      selfplay league report runs/league            # ratings table + report.md/html, elo.png, heatmap.png
      selfplay league report runs/league --json ratings.json
    """


@league.command("report")
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the table's rows as JSON.")
def report_command(directory: str, json_path: str | None) -> None:
    """Fit the ratings, print the table and write the report files into DIR.

    \b
    Example:
      selfplay league report runs/league
    """
    from selfplay.league import report as league_report  # matplotlib only when a report is made

    main = _main()
    if json_path:
        main.check_writable(json_path)
    with open_league(directory) as store:
        try:
            summary = league_report.summarize(store)
            paths = league_report.write_report(store, summary)
        except (LeagueError, OSError) as err:
            raise main.UserError(str(err)) from None
    main.console.print(league_report.report_table(summary))
    for path in paths:
        main.console.print(f"wrote {path}")
    if json_path:
        main.write_json_atomic(json_path, summary.to_json())
        main.console.print(f"wrote {json_path}")


@league.command("status")
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False))
def status_command(directory: str) -> None:
    """Show the league's game, players, matches, last ratings and whether it runs.

    \b
    Example:
      selfplay league status runs/league
    """
    from selfplay.league import report as league_report

    with open_league(directory) as store:
        _main().console.print(league_report.status(store))
