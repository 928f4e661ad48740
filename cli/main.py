"""The ``selfplay`` command: games, agents, tournaments, training.

Errors a user can make (an unknown game or agent, a bad number, an unwritable
path, a bad ``--config`` file) end in one line on stderr, ``selfplay: error:
...``, and exit code 2, never a traceback. Conventions (docs/cli.md): every
command's help has an example; ``--json`` prints data as JSON on stdout, and
``--json PATH`` (commands that do work) also writes the results there.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from selfplay import __version__, arena, provenance
from selfplay.agents import OTHER_SPECS, REGISTRY, AgentSpecError, load, parse_spec
from selfplay.backends import BackendError
from selfplay.cli import tables
from selfplay.cli.completion import complete_game
from selfplay.cli.backend_option import backend_options
from selfplay.cli.config_file import config_option
from selfplay.games import UnknownGameError, make, names

# Tables are wider than 80 columns: give pipes and logs room instead of wrapping.
console = Console(width=None if sys.stdout.isatty() else 120)
NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())


class UserError(click.ClickException):
    exit_code = 2


def build_game(name: str, options: tuple[str, ...]):
    parsed = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"--option expects KEY=VALUE, got {item!r}")
        parsed[key] = parse_spec(f"x:v={value}")[1]["v"]
    try:
        return make(name, **parsed)
    except (UnknownGameError, ValueError) as err:
        raise UserError(str(err)) from None


def learner_config(module, pairs: tuple[str, ...]):
    """The learner's config dataclass with ``--set KEY=VALUE`` overrides, each value
    parsed as its field's default is typed (a tuple field takes ``128x128``), and the
    overrides alone as a dict (what a resumed run is asked to change)."""
    import dataclasses

    config_class = module.AZConfig if module.LEARNER == "az" else module.DMCConfig
    config = config_class()
    changes = {}
    fields = {f.name for f in dataclasses.fields(config)}
    for item in pairs:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not text:
            raise UserError(f"--set expects KEY=VALUE, got {item!r}")
        if key not in fields:
            raise UserError(f"--set: {module.LEARNER} has no setting {key!r} (it has: {', '.join(sorted(fields))})")
        default = getattr(config, key)
        try:
            if isinstance(default, bool):
                if text.lower() not in ("true", "false", "1", "0"):
                    raise ValueError
                value = text.lower() in ("true", "1")
            elif isinstance(default, tuple):
                value = tuple(int(v) for v in text.replace(",", "x").split("x"))
            else:
                value = type(default)(text)
        except ValueError:
            raise UserError(f"--set {key}: expected {type(default).__name__}, got {text!r}") from None
        setattr(config, key, value)
        changes[key] = value
    return config, changes


def resolve_league_specs(specs: tuple[str, ...], league_dir: str | None, game_name: str) -> list[str]:
    """``snapshot:NAME`` specs as their files in the league ``league_dir``; other specs as they are."""
    if not any(s.startswith("snapshot:") for s in specs):
        return list(specs)
    if league_dir is None:
        raise UserError("snapshot:NAME needs --league DIR (the league that holds it)")
    from selfplay.league.store import LeagueError, LeagueStore

    try:
        with LeagueStore.open(league_dir, expect_game=game_name) as store:
            return [store.resolve(s) for s in specs]
    except LeagueError as err:
        raise UserError(str(err)) from None


def check_writable(path: str) -> None:
    if path == "-":  # stdout
        return
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path) or not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise UserError(f"cannot write {path}: not a writable file path")


def write_json_atomic(path: str, data: object) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(data, out, indent=1)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def print_json(data: object) -> None:
    """``data`` as JSON on stdout (``--json``): nothing else goes there."""
    click.echo(json.dumps(data, indent=1))


def invocation(ctx: click.Context):
    """``provenance.invoked_as`` for this command: run records name its command line, every
    option as resolved (flags, --config file, defaults) and a command line that repeats them."""
    words: list[str] = ctx.command_path.split()
    options: list[str] = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if isinstance(param, click.Argument):
            words.append(str(value))
            continue
        if value is None or value is False or value == ():
            continue
        flag = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        if param.is_flag:
            options.append(flag)
        else:
            for item in value if param.multiple else (value,):
                options += [flag, str(item)]
    return provenance.invoked_as([os.path.basename(sys.argv[0]), *sys.argv[1:]], ctx.params,
                                 repeat=provenance.shell_line([*words, *options]))


def print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    v = provenance.versions()
    click.echo(f"selfplay {__version__} (python {v['python']}, torch {v['torch']}, numpy {v['numpy']}, "
               f"rlcard {v['rlcard']})")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=print_version,
              help="Show the versions of selfplay, python, torch, numpy and rlcard, and exit.")
def cli() -> None:
    """Self-play learning for multiplayer and imperfect-information card games.

    \b
    Examples:
      selfplay games
      selfplay tournament connect4 --agent mcts:sims=200 --agent random --games 50
      selfplay train doudizhu --learner dmc --out runs/ddz --minutes 10
      selfplay tournament doudizhu --agent runs/ddz/checkpoint.pt --agent rlcard-rule --decks 1000
      selfplay play doudizhu --seat peasant      # you against the default agents
      selfplay advise doudizhu --hand 4456789TTJQKKA22B --landlord 0 --played 3   # what should I play?
      selfplay exploitability leduc -a random -a cfr:iterations=300
      selfplay league run --config examples/league-doudizhu.toml

    \b
    Every command has --help. Shell completion and conventions: docs/cli.md.
    """


DEVICE_OPTION = click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
    help="Where the learner's networks train: auto is CUDA when present (actors infer on the CPU).")
JSON_FLAG = click.option("--json", "as_json", is_flag=True, help="Print the list as JSON instead of a table.")


@cli.command("games")
@JSON_FLAG
def games_command(as_json: bool) -> None:
    """List the games, with players, information type and action count.

    \b
    Example:
      selfplay games
      selfplay games --json
    """
    games = [make(n) for n in names()]
    if as_json:
        print_json(tables.games_data(games))
    else:
        console.print(tables.games_table(games))


@cli.command("agents")
@JSON_FLAG
def agents_command(as_json: bool) -> None:
    """List the agent specs that --agent accepts, and each game's default agent.

    \b
    Example:
      selfplay agents
      selfplay agents --json
    """
    from dataclasses import replace

    from selfplay.agents import RELEASED_WITH_OPTION, default_agent

    defaults = [default_agent(name) for name in names()]
    defaults += [replace(default_agent(game, {option: True}), game=f"{game} -o {option}=true")
                 for game, option in RELEASED_WITH_OPTION]
    if as_json:
        print_json({"specs": tables.agents_data(REGISTRY, OTHER_SPECS), "defaults": tables.defaults_data(defaults)})
    else:
        console.print(tables.agents_table(REGISTRY, OTHER_SPECS))
        console.print(tables.defaults_table(defaults))


@cli.command("tournament")
@click.argument("game_name", metavar="GAME", shell_complete=complete_game)
@click.option("--agent", "-a", "specs", multiple=True, required=True, metavar="SPEC",
              help="An agent (repeat: one per side); see `selfplay agents`.")
@click.option("--games", "-n", type=click.IntRange(min=1), default=None, help="Games to play, seats rotating [default: 100].")
@click.option("--decks", type=click.IntRange(min=1), default=None,
              help="Instead of --games: deals, each played once per seat rotation.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every deal and agent.")
@click.option("--workers", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (ray: tasks at a time).")
@click.option("--option", "-o", "options", multiple=True, metavar="KEY=VALUE", help="A game option (repeatable).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True), default=None, metavar="PATH",
              help="Also write the results (every game, the statistics) as JSON; - prints them instead of the table.")
@click.option("--league", "league_dir", type=click.Path(file_okay=False), default=None,
              help="A league directory: then --agent snapshot:NAME (or snapshot:best, snapshot:latest) names its snapshots.")
@backend_options
def tournament_command(game_name, specs, games, decks, seed, workers, options, json_path, league_dir, backend) -> None:
    """Play agents against each other and print who won, with 95% intervals.

    \b
    Example:
      selfplay tournament connect4 --agent mcts:sims=200 --agent random --games 50
      selfplay tournament doudizhu --league runs/league -a snapshot:best -a rlcard-rule --decks 1000
      selfplay tournament kuhn -a random -a random --games 1000 --json results.json
      selfplay tournament doudizhu -a models/doudizhu-dmc.pt -a rlcard-rule --decks 10000 --backend ray -j 16
    """
    game = build_game(game_name, options)
    specs = resolve_league_specs(specs, league_dir, game_name)
    if games is not None and decks is not None:
        raise UserError("give --games or --decks, not both")
    if games is None and decks is None:
        games = 100
    if json_path:
        check_writable(json_path)
    try:
        agents = [load(spec, game) for spec in specs]
        arena.check_agent_count(game, len(agents))
        total = len(arena.schedule(len(game.info.teams), games, decks, len(agents)))
        with backend.session(), Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                         TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task(f"{game.name}", total=total)
            result = arena.play(game, agents, games=games, decks=decks, seed=seed, workers=workers,
                                on_result=lambda _: bar.advance(task), backend=backend)
    except BackendError as err:
        raise UserError(str(err)) from None
    except (AgentSpecError, ValueError) as err:
        raise UserError(str(err)) from None
    data = result.to_json() | {"seed": seed}
    if json_path == "-":
        print_json(data)
        return
    console.print(tables.result_table(result, seed))
    if result.has_bidding:
        console.print(tables.bidding_table(result))
    if json_path:
        write_json_atomic(json_path, data)
        console.print(f"wrote {json_path}")


@cli.command("exploitability")
@click.argument("game_name", metavar="GAME", shell_complete=complete_game)
@click.option("--agent", "-a", "specs", multiple=True, required=True, metavar="SPEC",
              help="An agent that can say how likely each move is (repeat: one row each).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON instead of a table.")
@click.option("--league", "league_dir", type=click.Path(file_okay=False), default=None,
              help="A league directory: then --agent snapshot:NAME names its snapshots.")
def exploitability_command(game_name, specs, as_json, league_dir) -> None:
    """Exact NashConv and exploitability (NashConv / players) of each agent's policy.

    A best response over the whole game tree of Kuhn or Leduc: how much a player
    who knew the agent's policy would win against it, summed over the seats
    (0: a Nash equilibrium; uniform random: Kuhn 0.917, Leduc 4.747). Agents that
    give their move probabilities: random, cfr:iterations=N, DMC checkpoints
    (greedy, or checkpoint:path=...,temperature=T).

    \b
    Example:
      selfplay exploitability kuhn -a random -a cfr:iterations=1000
      selfplay exploitability leduc -a runs/leduc/checkpoint.pt -a checkpoint:path=runs/leduc/checkpoint.pt,temperature=0.1 --json
    """
    from selfplay.search.exploitability import exploitability_report, policy_of

    game = build_game(game_name, ())
    specs = resolve_league_specs(specs, league_dir, game_name)
    rows = []
    try:
        for spec in specs:
            report = exploitability_report(game, policy_of(load(spec, game)))
            rows.append({"agent": spec, **report.as_dict()})
    except (AgentSpecError, ValueError) as err:
        raise UserError(str(err)) from None
    if as_json:
        print_json({"game": game.name, "rows": rows})
    else:
        console.print(tables.exploitability_table(game.name, rows))


@cli.command("train")
@click.argument("game_name", metavar="GAME", shell_complete=complete_game)
@click.option("--learner", type=click.Choice(["dmc", "az"]), default="dmc", show_default=True,
              help="dmc: Deep Monte-Carlo (DouZero); az: AlphaZero-style learning from sampled search.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="Run directory (created).")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Training time in all, across resumes [default: until Ctrl-C].")
@click.option("--frames", type=click.IntRange(min=1), default=None, help="Or stop after this many frames.")
@click.option("--actors", type=click.IntRange(min=0), default=None,
              help="Actor processes [default: cores - 1]; 0 plays inside the learner, exactly reproducible.")
@DEVICE_OPTION
@click.option("--objective", type=click.Choice(["adp", "wp"]), default="adp", show_default=True,
              help="Learn points (adp) or wins (wp).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the networks and the actors' games.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--snapshot-minutes", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Also keep the networks every N minutes of training in OUT/snapshots/.")
@click.option("--snapshot-frames", type=click.IntRange(min=1), default=None,
              help="Or every N frames (by work: the same snapshots on a busy machine).")
@click.option("--option", "-o", "options", multiple=True, metavar="KEY=VALUE", help="A game option (repeatable).")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="A learner hyper-parameter (repeatable), e.g. --set simulations=100 --set hidden=256x256; "
                   "with --resume, only those safe mid-run (docs/cli.md).")
@click.option("--init", "init", type=click.Path(dir_okay=False), default=None, metavar="CHECKPOINT",
              help="Start a new run from this checkpoint. az: from DMC (its Q-values become the first logits and "
                   "values) or az (its network goes on under the new settings); dmc: from DMC (every network "
                   "of the same name and shape, e.g. a fixed-landlord model's roles in a bidding run).")
@backend_options
@config_option
@click.pass_context
def train_command(ctx, game_name, learner, out_dir, minutes, frames, actors, device, objective, seed, resume,
                  snapshot_minutes, snapshot_frames, options, settings, init, backend) -> None:
    """Train an agent by self-play; checkpoints land in OUT (an agent spec).

    OUT/config.json records the resolved options, the seed, the package versions,
    a command line that repeats the run, and every resume with what it changed.
    One command writes OUT at a time: a second stops at once (exit code 2).

    \b
    Example:
      selfplay train doudizhu --learner dmc --out runs/ddz --minutes 120 --snapshot-minutes 20
      selfplay train doudizhu --out runs/ddz --minutes 180 --resume    # continue it
      selfplay train tictactoe --learner az --out runs/ttt --minutes 10
      selfplay train connect4 --learner az --out runs/c4 --set simulations=100    # a hyper-parameter
      selfplay train doudizhu --learner az --out runs/ddz-az --init models/doudizhu-dmc.pt
      selfplay train doudizhu -o bidding=true --out runs/ddz-bid --init models/doudizhu-dmc.pt   # roles from DMC
      selfplay train --config examples/train-doudizhu.toml --seed 1    # a file's options, one changed
      selfplay train doudizhu --out runs/ddz --actors 30 --backend ray --address auto   # on a Ray cluster

    \b
    A config file holds any of the options, named as the flags:
      game = "doudizhu"
      out = "runs/ddz"
      minutes = 120
      snapshot-minutes = 20
    """
    from selfplay.checkpoints import CheckpointError
    from selfplay.learners import az, dmc
    from selfplay.locks import DirectoryInUse

    game = build_game(game_name, options)  # validates the name and options before any work
    module = az if learner == "az" else dmc
    config, changes = learner_config(module, settings)
    if snapshot_minutes and snapshot_frames:
        raise UserError("give --snapshot-minutes or --snapshot-frames, not both")
    if init is not None and resume:
        raise UserError("--init starts a new run; --resume continues one from its own checkpoint")
    if init is not None and not Path(init).is_file():
        raise UserError(f"--init {init}: no such file")
    try:
        with invocation(ctx), backend.session(), dmc.live_status() as show:
            path = module.train(config, game_name, out_dir, minutes=minutes, frames=frames, actors=actors,
                                objective=objective, seed=seed, resume=resume, on_metrics=show,
                                game_options=dict(game.info.options), snapshot_minutes=snapshot_minutes,
                                snapshot_frames=snapshot_frames, device=device, changes=changes, backend=backend,
                                **({"init": init} if init is not None else {}))
    except (BackendError, CheckpointError, dmc.RunExistsError, DirectoryInUse, ValueError, OSError) as err:
        raise UserError(str(err)) from None
    console.print(f"checkpoint: {path}")


@cli.command("advise")
@click.argument("game_name", metavar="GAME", shell_complete=complete_game)
@click.option("--hand", required=True, metavar="CARDS", help="The cards the seat to move holds now, e.g. 3345789TJQKA22BR.")
@click.option("--played", default="", metavar="SEQUENCE",
              help="Every turn so far, comma-separated, a pass as pass: card play from the landlord's lead "
                   "(with --landlord), or the bids so far (without).")
@click.option("--landlord", type=click.IntRange(0, 2), default=None, metavar="SEAT",
              help="The landlord's seat (0-2): a card-play position [default: a bid before play].")
@click.option("--seat", type=click.IntRange(0, 2), default=None, metavar="SEAT",
              help="The seat to move (checked against the history) [default: the one whose turn it is].")
@click.option("--kitty", default=None, metavar="CARDS", help="The landlord's three extra cards, shown to all.")
@click.option("--agent", "-a", "spec", default=None, metavar="SPEC",
              help="Who advises [default: the default agent, az's policy network; bids: the released bidding model].")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True, help="How many moves to show.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the unseen cards' draw and the agent.")
@click.option("--json", "as_json", is_flag=True, help="Print the advice as JSON.")
def advise_command(game_name, hand, played, landlord, seat, kitty, spec, top, seed, as_json) -> None:
    """An agent's best moves for a hand and what has been played.

    \b
    Example:
      selfplay advise doudizhu --hand 33455678999TJQKA22BR --landlord 0            # the landlord leads
      selfplay advise doudizhu --hand 4456789TTJQKKA22B --landlord 0 --played 3    # follow a 3
      selfplay advise doudizhu --hand 334455789999TJJBR --played pass              # bid, seat 1
      selfplay advise doudizhu --hand 4456789TTJQKKA22B --landlord 0 --played 3 --json
    """
    from selfplay.advice import PositionError, advise

    if game_name != "doudizhu":
        build_game(game_name, ())  # an unknown game says so
        raise UserError(f"advise knows DouDizhu positions only, not {game_name}")
    try:
        advice = advise(hand, played, landlord=landlord, seat=seat, kitty=kitty, agent=spec, top=top, seed=seed)
    except (PositionError, AgentSpecError, ValueError) as err:
        raise UserError(str(err)) from None
    if as_json:
        print_json(advice.to_json())
        return
    console.print(tables.advice_header(advice))
    console.print(tables.advice_table(advice))
    console.print(f"unseen: {advice.unseen} ({len(advice.unseen)} cards)")
    for line in advice.assumptions:
        console.print(f"assumed: {line}")


from selfplay.cli.league import league  # noqa: E402  (at the end: league.py uses this module when run)
cli.add_command(league)
from selfplay.cli.play import play_command  # noqa: E402  (at the end: play.py uses this module when run)
cli.add_command(play_command, "play")


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except NoArgsIsHelp as err:  # `selfplay` alone, or a group with no command
        click.echo(err.ctx.get_help() if err.ctx else "")
        sys.exit(0)
    except click.ClickException as err:
        sys.stderr.write(f"selfplay: error: {err.format_message()}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
