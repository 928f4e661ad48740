"""``selfplay league``: run a league, look at its directory.

Add a command with ``@league.command("name")``; open the directory with
``open_league(path)`` so a directory that is not a league is a one-line error.
"""

from __future__ import annotations

import click

from selfplay.cli.backend_option import backend_options
from selfplay.cli.completion import complete_game
from selfplay.cli.config_file import config_option
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
      selfplay league run doudizhu --dir runs/league --minutes 30   # train, snapshot, rate (resumes)
      selfplay league status runs/league            # game, players, last fit, run state
      selfplay league report runs/league            # ratings table + report.md/html, elo.png, heatmap.png
      selfplay league report runs/league --json ratings.json
      selfplay league run --config examples/league-doudizhu.toml
    """


@league.command("report")
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True), default=None, metavar="PATH",
              help="Also write the table's rows as JSON; - prints them instead of the table.")
def report_command(directory: str, json_path: str | None) -> None:
    """Fit the ratings, print the table and write the report files into DIR.

    \b
    Example:
      selfplay league report runs/league
      selfplay league report runs/league --json - | jq '.rows[0]'
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
    if json_path == "-":
        main.print_json(summary.to_json())
        return
    main.console.print(league_report.report_text(summary))
    for path in paths:
        main.console.print(f"wrote {path}")
    if json_path:
        main.write_json_atomic(json_path, summary.to_json())
        main.console.print(f"wrote {json_path}")


@league.command("status")
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (every rated player) instead.")
def status_command(directory: str, as_json: bool) -> None:
    """Show the league's game, players, matches, last ratings and whether it runs.

    \b
    Example:
      selfplay league status runs/league
      selfplay league status runs/league --json
    """
    from selfplay.league import report as league_report

    with open_league(directory) as store:
        if as_json:
            _main().print_json(league_report.status_data(store))
        else:
            _main().console.print(league_report.status(store))


@league.command("run")
@click.argument("game_name", metavar="GAME", shell_complete=complete_game)
@click.option("--dir", "directory", type=click.Path(file_okay=False), required=True,
              help="League directory (created; run again to resume).")
@click.option("--learner", type=click.Choice(["dmc", "az"]), default="dmc", show_default=True,
              help="dmc: Deep Monte-Carlo; az: AlphaZero-style learning from search.")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Training time in all, across resumes [default: until Ctrl-C].")
@click.option("--frames", type=click.IntRange(min=1), default=None, help="Or stop after this many frames.")
@click.option("--matchmaking", type=click.Choice(["past", "pfsp", "latest"]), default="past", show_default=True,
              help="Who the learner plays: past snapshots (OpenAI Five), pfsp (AlphaStar) or itself.")
@click.option("--snapshot-minutes", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="A new snapshot player every N minutes of training.")
@click.option("--snapshot-frames", type=click.IntRange(min=1), default=None,
              help="Or every N frames: by work, so a busy machine trains the same snapshots, only slower.")
@click.option("--actors", type=click.IntRange(min=1), default=None, help="Actor processes [default: cores - 1].")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where the learner's networks train: auto is CUDA when present (actors infer on the CPU).")
@click.option("--objective", type=click.Choice(["adp", "wp"]), default="adp", show_default=True,
              help="Learn points (adp) or wins (wp).")
@click.option("--baseline", "baselines", multiple=True, metavar="SPEC",
              help="A fixed player (repeat) [default: random, and the game's standard opponents].")
@click.option("--eval-decks", type=click.IntRange(min=1), default=20, show_default=True,
              help="Deals per evaluation round (each played with roles swapped).")
@click.option("--final-eval-seconds", type=click.FloatRange(min=0), default=120, show_default=True,
              help="After training, at most this long giving every player its minimum of rated games.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the networks, games and matchmaking.")
@click.option("--option", "-o", "options", multiple=True, metavar="KEY=VALUE", help="A game option (repeatable).")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="A learner hyper-parameter (repeatable), as `selfplay train --set`.")
@backend_options
@config_option
@click.pass_context
def run_command(ctx, game_name, directory, learner, minutes, frames, matchmaking, snapshot_minutes, snapshot_frames,
                actors, device, objective, baselines, eval_decks, final_eval_seconds, seed, options, settings,
                backend) -> None:
    """Train a learner against itself and its past, snapshot it, and rate everyone.

    Ctrl-C stops cleanly with everything written; running the same command again
    resumes. Then `selfplay league report DIR`. DIR/league.json records the
    resolved options, the seed, the package versions and a command line that
    repeats the run. One run writes DIR at a time: a second stops at once (exit
    code 2); `league status` and `league report` work while it runs.

    \b
    Example:
      selfplay league run doudizhu --dir runs/league --minutes 30 --matchmaking pfsp
      selfplay league run leduc --dir runs/lg --frames 200000 --snapshot-frames 50000   # by work, not time
      selfplay league run kuhn --dir runs/kuhn --learner az --set magnet=1 --minutes 5     # a hyper-parameter
      selfplay league run --config examples/league-doudizhu.toml --minutes 60
      selfplay league run doudizhu --dir runs/league --actors 30 --backend ray --address auto   # docs/ray.md

    \b
    A config file holds any of the options, named as the flags:
      game = "doudizhu"
      dir = "runs/league"
      minutes = 30
      snapshot-minutes = 5
      baseline = ["random", "rlcard-rule"]
    """
    from selfplay.backends import BackendError
    from selfplay.checkpoints import CheckpointError
    from selfplay.learners import az, dmc
    from selfplay.league import loop
    from selfplay.league.evaluation import EvaluationConfig
    from selfplay.locks import DirectoryInUse

    main = _main()
    game = main.build_game(game_name, options)
    if snapshot_frames is not None:
        if ctx.get_parameter_source("snapshot_minutes") not in (None, click.core.ParameterSource.DEFAULT):
            raise main.UserError("give --snapshot-minutes or --snapshot-frames, not both")
        snapshot_minutes = None
    _, changes = main.learner_config(az if learner == "az" else dmc, settings)
    if baselines and "random" not in baselines:
        baselines = ("random", *baselines)  # the ratings' zero
    config = loop.LeagueConfig(learner=learner, matchmaking=matchmaking, snapshot_minutes=snapshot_minutes,
                               snapshot_frames=snapshot_frames, device=device,
                               objective=objective, actors=actors, seed=seed, baselines=tuple(baselines) or None,
                               evaluation=EvaluationConfig(decks=eval_decks),
                               final_eval_seconds=final_eval_seconds, settings=changes)
    try:
        with main.invocation(ctx), backend.session(), dmc.live_status() as show:
            store = loop.run(game_name, directory, minutes=minutes, frames=frames, config=config,
                             game_options=dict(game.info.options), on_metrics=show, backend=backend)
    except (BackendError, LeagueError, CheckpointError, DirectoryInUse, ValueError, OSError) as err:
        raise main.UserError(str(err)) from None
    with store:
        main.console.print(f"league {directory}: {len(store.players('snapshot'))} snapshots, "
                           f"{store.match_count('eval'):,} rated games; see `selfplay league report {directory}`")
