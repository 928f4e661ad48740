"""The CLI as a user meets it: tables, JSON, and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "selfplay.cli.main", *args], capture_output=True, text=True, timeout=300)


def test_games_lists_every_game_with_players_and_actions():
    out = run("games")
    assert out.returncode == 0, out.stderr
    for name in ("doudizhu", "leduc", "kuhn", "tictactoe", "connect4"):
        assert name in out.stdout
    assert "imperfect" in out.stdout and "perfect" in out.stdout


def test_agents_lists_specs():
    out = run("agents")
    assert out.returncode == 0 and "random" in out.stdout and "mcts" in out.stdout


def test_tournament_prints_a_table_and_writes_json(tmp_path):
    path = tmp_path / "result.json"
    out = run("tournament", "tictactoe", "--agent", "mcts:sims=50", "--agent", "random",
              "--games", "6", "--seed", "1", "--json", str(path))
    assert out.returncode == 0, out.stderr
    assert "mcts:sims=50" in out.stdout and "win rate" in out.stdout
    data = json.loads(path.read_text())
    assert data["agents"] == ["mcts:sims=50", "random"] and len(data["games"]) == 6
    assert data["stats"]["0:mcts:sims=50"]["all"]["games"] == 6


@pytest.mark.parametrize("args,message", [
    (["tournament", "chess", "-a", "random"], "unknown game"),
    (["tournament", "tictactoe", "-a", "nobody"], "unknown agent"),
    (["tournament", "tictactoe", "-a", "random", "--games", "0"], "--games"),
    (["tournament", "tictactoe", "-a", "random", "--games", "x"], "--games"),
    (["tournament", "tictactoe", "-a", "random", "--json", "/no/such/dir/r.json"], "cannot write"),
    (["tournament", "tictactoe", "-a", "random", "-o", "size"], "KEY=VALUE"),
    (["tournament", "tictactoe", "-a", "random", "-o", "size=4"], "unknown option"),
    (["tournament", "tictactoe", "-a", "random", "-a", "random", "-a", "random"], "seats 1 to 2"),
    (["nonsense"], "No such command"),
])
def test_bad_input_is_one_line_and_exit_code_2(args, message):
    out = run(*args)
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_version():
    out = run("--version")
    assert out.returncode == 0 and "selfplay" in out.stdout
