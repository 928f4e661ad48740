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


def test_train_then_play_the_checkpoint_and_refuse_to_overwrite(tmp_path):
    out = tmp_path / "run"
    first = run("train", "leduc", "--out", str(out), "--frames", "3200", "--actors", "0", "--seed", "3")
    assert first.returncode == 0, first.stderr
    ckpt = out / "checkpoint.pt"
    assert ckpt.is_file() and (out / "config.json").is_file() and (out / "metrics.jsonl").is_file()
    record = json.loads((out / "config.json").read_text())  # enough to repeat the run
    assert record["seed"] == 3 and record["actors"] == 0 and record["frames"] == 3200
    assert set(record["provenance"]["versions"]) == {"python", "selfplay", "torch", "numpy", "rlcard"}
    assert record["provenance"]["command"][1:] == ["train", "leduc", "--out", str(out), "--frames", "3200",
                                                   "--actors", "0", "--seed", "3"]
    assert record["provenance"]["options"]["seed"] == 3
    assert record["provenance"]["repeat"].endswith(f"train leduc --learner dmc --out {out} --frames 3200 "
                                                   "--actors 0 --device auto --objective adp --seed 3 --backend local "
                                                   "--cpus-per-actor 1.0")
    again = run("train", "leduc", "--out", str(out), "--frames", "3200", "--actors", "0")
    assert again.returncode == 2 and "already holds a run" in again.stderr
    result = tmp_path / "match.json"
    match = run("tournament", "leduc", "--agent", str(ckpt), "--agent", "random", "--games", "4", "--json", str(result))
    assert match.returncode == 0, match.stderr
    assert json.loads(result.read_text())["agents"] == [str(ckpt), "random"]
    wrong_game = run("tournament", "kuhn", "--agent", str(ckpt))
    assert wrong_game.returncode == 2 and len(wrong_game.stderr.strip().splitlines()) == 1


def test_corrupt_or_missing_checkpoint_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    for spec in (str(bad), str(tmp_path / "missing.pt")):
        out = run("tournament", "leduc", "--agent", spec)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1


def test_rlcard_rule_plays_only_doudizhu():
    out = run("tournament", "kuhn", "--agent", "rlcard-rule")
    assert out.returncode == 2 and "plays only doudizhu" in out.stderr
    out = run("tournament", "doudizhu", "--agent", "rlcard-rule", "--agent", "random", "--decks", "3")
    assert out.returncode == 0, out.stderr
    assert "doudizhu: 6 games on 3 deals" in out.stdout, out.stdout  # each deck once per seating
    # the table: a row per agent and role, every agent in both roles on every deck
    rows, agent = {}, None
    for line in out.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) == 6 and cells[1] in ("all", "landlord", "peasants"):
            agent = cells[0] or agent
            rows[agent, cells[1]] = int(cells[2])
    assert rows == {(a, role): games for a in ("rlcard-rule", "random")
                    for role, games in (("all", 6), ("landlord", 3), ("peasants", 3))}, (rows, out.stdout)
