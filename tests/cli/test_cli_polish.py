"""The CLI finished: help with examples everywhere, one-line errors (exit code 2) through
the real console script, --config FILE.toml, --json, run records, shell completion."""

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from selfplay.cli.config_file import ConfigFileError, config_keys, config_option, read_config
from selfplay.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "selfplay"  # the console script of the venv running the tests


def script(*args, env=None):
    exe = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "selfplay.cli.main"]
    return subprocess.run([*exe, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def commands(group=cli, path=()):
    yield path
    if isinstance(group, click.Group):
        for name, command in group.commands.items():
            yield from commands(command, (*path, name))


# ---- help ----------------------------------------------------------------------------------------
def test_every_command_and_group_has_help_with_an_example():
    paths = list(commands())
    names = {" ".join(p) for p in paths}
    assert {"", "games", "agents", "tournament", "train", "play", "league", "league run", "league report",
            "league status"} <= names
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(cli, [*path, "--help"], prog_name="selfplay")
        assert result.exit_code == 0, (path, result.output)
        assert "Example" in result.output, f"`selfplay {' '.join(path)} --help` has no example"


# ---- one-line errors through the console script ------------------------------------------------
@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    (tmp / "malformed.toml").write_text('game = "leduc"\nout = \n')
    (tmp / "unknown-key.toml").write_text('game = "leduc"\nout = "x"\nsnapshot-minute = 3\n')
    (tmp / "wrong-type.toml").write_text('game = "leduc"\ndir = "x"\nminutes = "ten"\n')
    (tmp / "run-exists").mkdir()
    (tmp / "run-exists" / "checkpoint.pt").write_bytes(b"")  # a run is there: refused before any work
    from selfplay.league.store import LeagueStore

    LeagueStore.open_or_create(tmp / "kuhn-league", "kuhn", {}).close()
    return tmp


BAD = [
    ("unknown game", ["tournament", "chess", "-a", "random"], "unknown game"),
    ("unknown agent", ["tournament", "tictactoe", "-a", "nobody"], "unknown agent 'nobody'"),
    ("bad -o", ["tournament", "tictactoe", "-a", "random", "-o", "size"], "KEY=VALUE"),
    ("unknown game option", ["tournament", "tictactoe", "-a", "random", "-o", "size=4"], "unknown option"),
    ("--games 0", ["tournament", "tictactoe", "-a", "random", "--games", "0"], "--games"),
    ("unknown flag", ["games", "--bogus"], "No such option"),
    ("missing --out", ["train", "leduc"], "--out"),
    ("play unknown game", ["play", "chess"], "unknown game"),
    ("no league dir", ["league", "status", "{tmp}/no-league"], "not a league directory"),
    ("no league dir (report)", ["league", "report", "{tmp}/no-league", "--json", "-"], "not a league directory"),
    ("malformed TOML", ["train", "--config", "{tmp}/malformed.toml"], "malformed.toml is not valid TOML"),
    ("unknown TOML key", ["train", "--config", "{tmp}/unknown-key.toml"],
     "unknown-key.toml, line 3: unknown key 'snapshot-minute'"),
    ("wrong TOML type", ["league", "run", "--config", "{tmp}/wrong-type.toml"],
     "wrong-type.toml, line 3: minutes must be a number"),
    ("missing TOML file", ["league", "run", "--config", "{tmp}/missing.toml"], "cannot read config file"),
    ("run exists, no --resume", ["train", "leduc", "--out", "{tmp}/run-exists", "--actors", "0"],
     "already holds a run"),
    ("league of another game", ["league", "run", "leduc", "--dir", "{tmp}/kuhn-league", "--frames", "10"],
     "a league of kuhn, not leduc"),
]


@pytest.mark.parametrize("args,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_invocation_is_one_line_on_stderr_and_exit_code_2(bad_inputs, args, message):
    out = script(*[a.replace("{tmp}", str(bad_inputs)) for a in args])
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2, out.stderr
    assert len(lines) == 1 and lines[0].startswith("selfplay: error: "), out.stderr
    assert message in lines[0] and "Traceback" not in out.stderr


# ---- --config FILE.toml --------------------------------------------------------------------------
@click.command()
@click.argument("game_name", metavar="GAME")
@click.option("--out", "out_dir", required=True)
@click.option("--games", "-n", type=click.IntRange(min=1), default=10)
@click.option("--snapshot-minutes", type=click.FloatRange(min=0, min_open=True), default=None)
@click.option("--objective", type=click.Choice(["adp", "wp"]), default="adp")
@click.option("--resume", is_flag=True)
@click.option("--baseline", "baselines", multiple=True)
@config_option
def toy(**params):
    click.echo(json.dumps(params, sort_keys=True))


def toy_run(tmp_path, text, *args):
    path = tmp_path / "c.toml"
    path.write_text(text)
    return CliRunner().invoke(toy, ["--config", str(path), *args])


def test_config_file_sets_options_in_either_spelling_and_flags_win(tmp_path):
    text = ('game = "kuhn"\nout = "runs/x"\nsnapshot_minutes = 2\ngames = 5\nresume = true\n'
            'baseline = ["random", "mcts"]\nobjective = "wp"\n')
    result = toy_run(tmp_path, text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"game_name": "kuhn", "out_dir": "runs/x", "snapshot_minutes": 2.0,
                                         "games": 5, "resume": True, "baselines": ["random", "mcts"],
                                         "objective": "wp"}
    result = toy_run(tmp_path, text.replace("snapshot_minutes", "snapshot-minutes"),
                     "leduc", "--games", "7", "--baseline", "random")
    assert json.loads(result.output) == {"game_name": "leduc", "out_dir": "runs/x", "snapshot_minutes": 2.0,
                                              "games": 7, "resume": True, "baselines": ["random"],
                                              "objective": "wp"}


@pytest.mark.parametrize("text,message", [
    ('out = "x"\ngame = 3\n', "c.toml, line 2: game must be a string, not an integer (3)"),
    ('out = "x"\n\ngames = 1.5\n', "c.toml, line 3: games must be an integer, not a float (1.5)"),
    ('out = "x"\ngames = 0\n', "c.toml, line 2: games: 0 is not in the range x>=1."),
    ('out = "x"\nresume = "yes"\n', "resume must be true or false, not a string"),
    ('out = "x"\nobjective = "elo"\n', "objective: 'elo' is not one of 'adp', 'wp'."),
    ('out = "x"\nbaseline = [1]\n', "baseline must be a string (or a list of them), not an integer"),
    ('out = "x"\nsnapshot-minutes = 1\nsnapshot_minutes = 2\n', "line 3: snapshot_minutes is given twice"),
    ('out = "x"\n[games]\nn = 1\n', "games must be an integer, not a table"),
    ('out = "x"\nhelp = true\n', "unknown key 'help'"),
    ('out = "x"\nout-dir = "y"\n', "out-dir is given twice (also as out)"),
    ('out = "x\n', "c.toml is not valid TOML: "),
])
def test_config_file_mistakes_are_one_line_naming_the_key_and_line(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigFileError) as err:
        read_config(toy, str(path))
    assert message in err.value.message and "\n" not in err.value.message
    result = CliRunner().invoke(toy, ["--config", str(path), "kuhn"])
    assert result.exit_code == 2 and message in result.output


def test_config_keys_are_flags_and_names_but_not_config_or_help():
    keys = config_keys(toy)
    assert {"game", "game_name", "out", "out-dir", "games", "snapshot-minutes", "snapshot_minutes",
            "baseline", "baselines"} <= set(keys)
    assert "config" not in keys and "help" not in keys and "n" not in keys


@pytest.mark.parametrize("command,example,expect", [
    (("train",), "train-doudizhu.toml",
     {"game_name": "doudizhu", "out_dir": "runs/ddz", "minutes": 120.0, "snapshot_minutes": 20.0}),
    (("train",), "train-doudizhu-az-warm.toml",
     {"game_name": "doudizhu", "learner": "az", "init": "models/doudizhu-dmc.pt", "actors": 2, "minutes": 120.0}),
    (("league", "run"), "league-doudizhu.toml",
     {"game_name": "doudizhu", "directory": "runs/league", "minutes": 30.0, "snapshot_minutes": 5.0,
      "eval_decks": 20}),
])
def test_example_config_files_fit_their_commands(command, example, expect):
    target = cli
    for name in command:
        target = target.commands[name]
    values = read_config(target, str(ROOT / "examples" / example))
    assert expect.items() <= values.items()


# ---- run records -----------------------------------------------------------------------------------
def test_league_run_records_versions_options_and_a_repeat_line(tmp_path, monkeypatch):
    from selfplay.league import loop

    class Stop(Exception):
        pass

    def stop(*args, **kwargs):  # right after league.json is written: no training
        raise Stop

    monkeypatch.setattr(loop, "League", stop)
    config = tmp_path / "league.toml"
    config.write_text(f'game = "kuhn"\ndir = "{tmp_path / "lg"}"\nseed = 4\nbaseline = ["random"]\n')
    result = CliRunner().invoke(cli, ["league", "run", "--config", str(config), "--frames", "99"],
                                prog_name="selfplay")
    assert isinstance(result.exception, Stop), result.output
    record = json.loads((tmp_path / "lg" / "league.json").read_text())
    assert record["seed"] == 4 and record["frames"] == 99
    prov = record["provenance"]
    assert set(prov["versions"]) == {"python", "selfplay", "torch", "numpy", "rlcard"}
    assert prov["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert prov["options"]["seed"] == 4 and prov["options"]["baselines"] == ["random"]
    assert prov["options"]["frames"] == 99 and prov["options"]["game_name"] == "kuhn"
    assert prov["repeat"].startswith(f"selfplay league run kuhn --dir {tmp_path / 'lg'} --learner dmc --frames 99 ")
    assert "--baseline random" in prov["repeat"] and "--seed 4" in prov["repeat"]
    assert prov["cwd"] == os.getcwd()


def test_run_record_outside_the_cli_names_argv():
    from selfplay.provenance import invoked_as, run_record

    assert run_record()["command"][1:] == sys.argv[1:] and "options" not in run_record()
    with invoked_as(["selfplay", "x"], {"seed": 3, "specs": ("a", "b")}, repeat="selfplay x --seed 3"):
        inner = run_record()
    assert inner["options"] == {"seed": 3, "specs": ["a", "b"]} and inner["repeat"] == "selfplay x --seed 3"
    assert "options" not in run_record()


# ---- --json, --version ------------------------------------------------------------------------------
def test_json_output_of_games_agents_and_league_status(tmp_path):
    runner = CliRunner()
    games = json.loads(runner.invoke(cli, ["games", "--json"]).stdout)
    assert [g["name"] for g in games][:5] == ["doudizhu", "leduc", "kuhn", "tictactoe", "connect4"]
    assert games[0]["players"] == 3 and games[0]["team_names"] == ["landlord", "peasants"]
    agents = json.loads(runner.invoke(cli, ["agents", "--json"]).stdout)
    assert {"random", "mcts", "rlcard-rule"} <= {a["spec"] for a in agents["specs"]}
    ddz, *others, bidding = agents["defaults"]
    assert ddz["game"] == "doudizhu" and ddz["source"] == "released model"
    assert Path(ddz["path"]).name == "doudizhu-az.pt" and ddz["spec"] == f"az:path={ddz['path']},sims=0"
    assert {d["spec"] for d in others} == {"mcts:sims=1000"} and {d["source"] for d in others} == {"built-in"}
    assert bidding["game"] == "doudizhu -o bidding=true" and bidding["source"] == "released model"
    assert Path(bidding["spec"]).name == "doudizhu-bid.pt" and bidding["spec"] == bidding["path"]
    from selfplay.league.store import LeagueStore

    LeagueStore.open_or_create(tmp_path / "lg", "kuhn", {}).close()
    status = json.loads(runner.invoke(cli, ["league", "status", str(tmp_path / "lg"), "--json"]).stdout)
    assert status["game"] == "kuhn" and status["matches"] == {"eval": 0, "all": 0} and status["last_fit"] is None


def test_tournament_json_dash_prints_only_json(tmp_path):
    result = CliRunner().invoke(cli, ["tournament", "kuhn", "-a", "random", "-a", "random", "-n", "4", "--json", "-"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["games"]) == 4 and data["seed"] == 0


def test_version_names_the_packages():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("selfplay ") and "python" in result.output and "torch" in result.output


# ---- shell completion -------------------------------------------------------------------------------
def test_shell_completion_script_and_requests():
    source = script(env={"_SELFPLAY_COMPLETE": "bash_source"})
    assert source.returncode == 0 and "complete -o nosort -F _selfplay_completion selfplay" in source.stdout
    command = script(env={"_SELFPLAY_COMPLETE": "bash_complete", "COMP_WORDS": "selfplay tour", "COMP_CWORD": "1"})
    assert command.stdout.split() == ["plain,tournament"]
    game = script(env={"_SELFPLAY_COMPLETE": "bash_complete", "COMP_WORDS": "selfplay play con", "COMP_CWORD": "2"})
    assert game.stdout.split() == ["plain,connect4"]
