"""League report: ranks and intervals from simulated leagues, WP / ADP against baselines
by hand, per-role columns for DouDizhu, the files (markdown, HTML, two real PNGs), the
status view with the loop's status.json, and the CLI's table and one-line errors."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

from selfplay.cli.main import cli
from selfplay.league import report as lr
from selfplay.league.ratings import WinsLosses, elo_to_score, head_to_head
from selfplay.league.store import LeagueStore, Match

TRUE = {"random": 0.0, "mcts-100": 300.0, "dmc-001": 100.0, "dmc-002": 200.0, "dmc-003": 350.0, "dmc-004": 500.0}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def text_of(renderable, width=160):
    console = Console(record=True, width=width, file=open(os.devnull, "w"))
    console.print(renderable)
    return console.export_text()


def build(directory, game="connect4", games=60, seed=0, true=TRUE):
    """A league whose snapshots (10, 20, 30, 40 training minutes) get stronger; every
    ordered pair plays ``games`` games, the winner drawn from the Elo model."""
    store = LeagueStore.create(directory, game)
    src = directory / "checkpoint.pt"
    src.write_bytes(b"weights")
    ids = {"random": store.add_baseline("random").id,
           "mcts-100": store.add_baseline("mcts:sims=100", name="mcts-100").id}
    for k in range(1, 5):
        ids[f"dmc-00{k}"] = store.add_snapshot(src, frames=k * 1000, train_seconds=600.0 * k).id
    rng = np.random.default_rng(seed)
    team = len(store.teams[1]) == 2
    matches = []
    for a in true:
        for b in true:
            if a != b:
                for won in rng.random(games) < elo_to_score(true[a] - true[b]):
                    s = 1.0 if won else -1.0
                    if team:
                        matches.append(Match(((ids[a],), (ids[b], ids[b])), (2 * s, -s, -s)))
                    else:
                        matches.append(Match(((ids[a],), (ids[b],)), (s, -s)))
    store.record_results(matches)
    return store


@pytest.fixture(scope="module")
def league(tmp_path_factory):
    directory = tmp_path_factory.mktemp("league")
    store = build(directory)
    yield store
    store.close()


def test_later_snapshots_rank_higher_and_intervals_hold_the_truth(league):
    fits_before = len({r.fit for r in league.ratings_history()})
    report = lr.summarize(league)
    assert len({r.fit for r in league.ratings_history()}) == fits_before + 1  # the history grows
    assert report.fit_id is not None and report.anchor == "random" and report.matches == 30 * 60
    names = [row.name for row in report.rows]
    assert names == sorted(TRUE, key=lambda n: -TRUE[n])  # the strengths are 100+ Elo apart
    assert [row.rank for row in report.rows] == [1, 2, 3, 4, 5, 6]
    for row in report.rows:
        r = row.rating
        half = (r.high - r.low) / 2
        assert r.low - 0.5 * half <= TRUE[row.name] <= r.high + 0.5 * half, row
        assert r.games == 10 * 60
    random_row = next(row for row in report.rows if row.name == "random")
    assert random_row.rating.elo == 0 and random_row.rating.low == random_row.rating.high == 0
    snap = {row.name: row for row in report.rows}["dmc-003"]
    assert (snap.kind, snap.minutes, snap.frames) == ("snapshot", 30.0, 3000)
    assert report.roles == () and set(report.role_advantage) == {"seat 0", "seat 1"}

    assert (report.newest, report.best_earlier) == ("dmc-004", "dmc-003")
    assert report.superiority.los > 0.95 and report.superiority.test.verdict == "stronger"
    assert report.superiority.record.games == 120

    text = text_of(lr.report_table(report))
    for header in ("rank", "player", "Elo", "-/+", "games", "score", "WP/ADP vs random", "WP/ADP vs mcts-100"):
        assert header in text
    lines = [line for line in text.splitlines() if line.startswith("│")][:len(names)]  # the ratings table
    assert [next(n for n in TRUE if f" {n} " in line) for line in lines] == names
    assert "anchor" in lines[-1] and "newest dmc-004 vs best earlier dmc-003" in text and "stronger" in text
    r = report.rows[0].rating
    assert f"-{r.elo - r.low:.0f}/+{r.high - r.elo:.0f}" in lines[0]


def test_wp_and_adp_against_baselines_match_hand_counts(tmp_path):
    store = LeagueStore.create(tmp_path, "doudizhu")
    src = tmp_path / "c.pt"
    src.write_bytes(b"w")
    rnd, a, b = store.add_baseline("random").id, store.add_snapshot(src).id, store.add_snapshot(src).id
    store.record_results([
        Match(((a,), (rnd, rnd)), (2.0, -1.0, -1.0)),  # a landlord wins: slot score +2
        Match(((rnd,), (a, a)), (-4.0, 2.0, 2.0)),  # a's peasants win a doubled game: +2
        Match(((rnd,), (a, b)), (2.0, -1.0, -1.0)),  # a and b peasants together lose: -1 each
        Match(((a,), (b, b)), (-2.0, 1.0, 1.0)),  # no baseline: not counted against random
        Match(((a,), (rnd, rnd)), (0.0, 0.0, 0.0)),  # a draw is no win
        Match(((b,), (a, rnd)), (-2.0, 1.0, 1.0)),  # a beside random: not against it; b lost to it
        Match(((rnd,), (rnd, a)), (2.0, -1.0, -1.0)),  # against the landlord random, beside another: a loss
        Match(((rnd,), (a, a)), (0.0, 0.0, 0.0), source="selfplay"),  # not an eval match
    ])
    report = lr.summarize(store)
    rows = {row.name: row for row in report.rows}
    assert rows["dmc-001"].versus["random"] == lr.VersusBaseline(games=5, wp=0.4, adp=0.4)
    assert rows["dmc-002"].versus["random"] == lr.VersusBaseline(games=2, wp=0.0, adp=-1.5)
    assert rows["random"].versus == {}  # a baseline has no column against itself
    assert report.roles == ("landlord", "peasants")  # a team game: per-role ratings
    assert report.baselines == ("random",)
    text = text_of(lr.report_table(report))
    assert "0.400/+0.40" in text and "0.000/-1.50" in text

    results = store.results()  # the heatmap's one-pass records agree with ratings.head_to_head
    pairs = lr.pair_records(results)
    names = ["random", "dmc-001", "dmc-002"]
    for x in names:
        for y in names:
            if x != y:
                assert pairs.get((x, y), WinsLosses(0, 0, 0)) == head_to_head(results, x, y), (x, y)
    assert pairs[("dmc-001", "random")] == WinsLosses(2, 2, 1) and ("dmc-001", "dmc-001") not in pairs
    store.close()


def test_doudizhu_league_has_per_role_elo_columns(tmp_path):
    true = {"random": 0.0, "mcts-100": 150.0, "dmc-001": 50.0, "dmc-002": 100.0, "dmc-003": 250.0, "dmc-004": 400.0}
    store = build(tmp_path, "doudizhu", games=30, true=true)
    report = lr.summarize(store)
    assert report.roles == ("landlord", "peasants")
    top = report.rows[0]
    assert top.name == "dmc-004" and set(top.by_role) == {"landlord", "peasants"}
    assert top.by_role["landlord"].elo > 150 and top.by_role["peasants"].elo > 150
    text = text_of(lr.report_table(report), width=220)
    assert "Elo landlord" in text and "Elo peasants" in text
    markdown = lr.report_markdown(report)
    assert "| Elo landlord | Elo peasants |" in markdown and "role advantage: landlord" in markdown
    saved = [r for r in store.latest_ratings() if r.player == "dmc-004"]
    assert {r.role for r in saved} == {None, "landlord", "peasants"}
    store.close()


def read_png(path):
    from matplotlib import image

    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 5000
    return image.imread(str(path))


def test_write_report_writes_markdown_html_and_two_pngs(league):
    report = lr.summarize(league)
    paths = lr.write_report(league, report)
    root = league.root
    assert [p.name for p in paths] == ["report.md", "report.html", "elo.png", "heatmap.png"]
    assert all(p.parent == root and p.stat().st_size > 0 for p in paths)
    assert not [p for p in os.listdir(root) if p.endswith(".tmp")]  # atomic writes leave no temp files

    markdown = (root / "report.md").read_text()
    table = [line for line in markdown.splitlines() if line.startswith("| ") and "player" not in line]
    assert [line.split(" | ")[1] for line in table] == [row.name for row in report.rows]
    assert "connect4" in markdown and "newest dmc-004" in markdown and time.strftime("%Y-") in markdown
    page = (root / "report.html").read_text()
    assert page.startswith("<!doctype html>") and '<img src="elo.png"' in page and '<img src="heatmap.png"' in page
    assert page.count("<tr>") == 1 + len(report.rows) and "<td>dmc-004</td>" in page

    assert read_png(root / "elo.png").shape == (500, 800, 4)  # 8 x 5 inches at 100 dpi
    n = len(report.rows)
    side = max(4.0, 1.0 + 0.8 * n)
    assert read_png(root / "heatmap.png").shape == (round(side * 100), round((side + 1.5) * 100), 4)


def test_empty_league_single_player_and_players_without_games(tmp_path):
    store = LeagueStore.create(tmp_path / "empty", "kuhn")
    report = lr.summarize(store)
    assert report.rows == () and report.fit_id is None and report.superiority is None
    assert store.ratings_history() == []  # nothing fitted, nothing saved
    assert all(p.stat().st_size > 0 for p in lr.write_report(store, report))
    assert "needs two snapshots" in text_of(lr.report_table(report))

    store.add_baseline("random")
    (row,) = lr.summarize(store).rows
    assert (row.name, row.rank, row.rating) == ("random", None, None)
    assert lr._cells(row, lr.summarize(store))[:7] == ["-", "random", "-", "-", "-", "-", "-"]
    assert "none yet" in text_of(lr.status(store))
    store.close()

    store = build(tmp_path / "lg", games=4)
    src = tmp_path / "lg" / "checkpoint.pt"
    fresh = store.add_snapshot(src, name="fresh", train_seconds=3000.0)  # no games but against itself
    store.record_results([Match(((fresh.id,), (fresh.id,)), (1.0, -1.0))])
    report = lr.summarize(store)
    assert report.rows[-1].name == "fresh" and report.rows[-1].rank is None
    assert report.newest == "dmc-004"  # the newest snapshot with rated games
    assert " fresh " in text_of(lr.report_table(report))
    lr.write_report(store, report)
    store.close()


def test_status_reads_the_loops_status_json(league, tmp_path):
    lr.summarize(league)
    status_path = league.root / lr.STATUS_FILE
    now = time.time()

    def write(**fields):
        data = {"pid": os.getpid(), "state": "running", "started_at": now - 600, "updated_at": now, "game": "connect4",
                "learner": "dmc", "matchmaking": "past", "frames": 123456, "frames_per_second": 2000.0,
                "train_seconds": 300.0, "minutes": 60.0} | fields
        status_path.write_text(json.dumps(data))

    try:
        assert lr.run_state(league.root).startswith("not started")
        write()
        state = lr.run_state(league.root, now=now + 5)
        assert state.startswith("running (") and "123,456 frames" in state and "5.0 of 60 min" in state
        assert lr.run_state(league.root, now=now + 600).startswith("stopped (last update 10 min ago")
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        write(pid=gone.pid)
        assert lr.run_state(league.root, now=now + 5).startswith("stopped (last update 5 s ago")
        write(state="finished")
        assert lr.run_state(league.root, now=now + 5).startswith("finished")
        status_path.write_text("{not json")
        assert lr.run_state(league.root).startswith("unknown")

        write(updated_at=time.time())
        text = text_of(lr.status(league))
        assert "connect4" in text and "snapshots 4, baselines 2" in text and "1,800 eval" in text
        assert "dmc-004 (40.0 min, 4,000 frames)" in text and "running (" in text
        top = [line for line in text.splitlines() if line.startswith("│")]
        assert [line.split("│")[2].strip() for line in top] == ["dmc-004", "dmc-003", "mcts-100"]
    finally:
        status_path.unlink(missing_ok=True)


def test_cli_report_and_status_print_tables_and_write_files(league, tmp_path):
    runner = CliRunner()
    out = runner.invoke(cli, ["league", "report", str(league.root), "--json", str(tmp_path / "rows.json")])
    assert out.exit_code == 0, out.output
    assert "WP/ADP vs random" in out.output and "dmc-004" in out.output
    assert f"wrote {league.root / 'heatmap.png'}" in out.output
    data = json.loads((tmp_path / "rows.json").read_text())
    assert [row["name"] for row in data["rows"]][:2] == ["dmc-004", "dmc-003"]
    assert data["rows"][0]["versus"]["random"]["games"] == 120 and "stronger" in data["verdict"]

    out = runner.invoke(cli, ["league", "status", str(league.root)])
    assert out.exit_code == 0 and "top 3" in out.output and "dmc-004" in out.output

    out = runner.invoke(cli, ["league", "status", str(tmp_path)])
    assert out.exit_code == 2 and "not a league directory" in out.output
    out = runner.invoke(cli, ["league", "--help"])
    assert out.exit_code == 0 and "selfplay league report" in out.output


def test_cli_on_a_directory_that_is_not_a_league_is_one_line_exit_2(tmp_path):
    out = subprocess.run([sys.executable, "-m", "selfplay.cli.main", "league", "report", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip() == f"selfplay: error: {tmp_path}: not a league directory (no league.sqlite)"
    assert not (tmp_path / "report.md").exists()


def test_the_last_lines_say_in_words_whether_the_league_learned(tmp_path, league):
    """Newest (500) minus first (100): +400 Elo, far outside the interval: significantly
    stronger, and above random, above mcts-100 (300). A league whose snapshots are equally
    strong says it is not significantly stronger."""
    report = lr.summarize(league)
    gap = report.progress
    assert (report.first, report.newest) == ("dmc-001", "dmc-004")
    assert gap.low < 400 < gap.high and gap.los > 0.999
    assert set(report.standing) == {"random", "mcts-100"} and report.standing["mcts-100"].elo > 0
    lines = report.learning_lines()
    assert lines[0].startswith("learning: the newest snapshot dmc-004 is significantly stronger than the first, "
                               "dmc-001: +")
    assert "above random" in lines[1] and "above mcts-100" in lines[1]
    assert text_of(lr.report_text(report), width=300).rstrip().splitlines()[-1] == lines[1]  # the last line
    assert lines[0] in lr.report_markdown(report) and report.to_json()["learning"] == lines

    flat = {**TRUE, "dmc-001": 200.0, "dmc-002": 200.0, "dmc-003": 200.0, "dmc-004": 200.0, "mcts-100": 200.0}
    store = build(tmp_path / "flat", games=40, seed=1, true=flat)
    try:
        level = lr.summarize(store)
        assert 0.05 < level.progress.los < 0.95, level.progress
        words = level.learning_lines()
        assert "is not significantly stronger than the first" in words[0]
        assert "level with mcts-100" in words[1] and "above random" in words[1]
    finally:
        store.close()
