"""League store: one WAL SQLite file, snapshots copied before their rows, matches from the
arena, ratings history, one-line errors, and two processes writing at once losing nothing."""

import json
import multiprocessing
import os
import signal
import sqlite3
import time

import pytest

from selfplay import arena
from selfplay.agents import RandomAgent
from selfplay.games import make
from selfplay.league.ratings import Result, fit
from selfplay.league.store import DB_NAME, SCHEMA_VERSION, LeagueError, LeagueStore, Match


def one_line(err):
    text = str(err.value)
    assert text and "\n" not in text
    return text


def test_create_then_open_keeps_game_teams_and_wal_mode(tmp_path):
    with LeagueStore.create(tmp_path / "lg", "doudizhu") as store:
        assert store.teams == ((0,), (1, 2)) and store.team_names == ("landlord", "peasants")
        assert store.game_options == {"bidding": False, "objective": "adp", "spring": False}
    with LeagueStore.open(tmp_path / "lg", expect_game="doudizhu") as store:
        assert store.game_name == "doudizhu" and store.num_players == 3
        assert store.make_game().info.teams == ((0,), (1, 2))
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.integrity_check() == "ok"
    assert (tmp_path / "lg" / DB_NAME).is_file() and (tmp_path / "lg" / "snapshots").is_dir()


def test_not_a_league_another_game_newer_schema_and_twice_created_give_one_line_errors(tmp_path):
    with pytest.raises(LeagueError) as err:
        LeagueStore.open(tmp_path)
    assert "not a league directory" in one_line(err)
    assert not (tmp_path / DB_NAME).exists()  # opening never creates

    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LeagueError) as err:
        LeagueStore.open(junk)
    assert "not a readable" in one_line(err)
    with pytest.raises(LeagueError):
        LeagueStore.open_or_create(junk, "leduc")  # never written over
    assert (junk / DB_NAME).read_bytes().startswith(b"this is not sqlite")

    LeagueStore.create(tmp_path / "lg", "leduc").close()
    with pytest.raises(LeagueError) as err:
        LeagueStore.open(tmp_path / "lg", expect_game="connect4")
    assert "a league of leduc, not connect4" in one_line(err)
    with pytest.raises(LeagueError) as err:
        LeagueStore.open_or_create(tmp_path / "lg", "connect4")
    assert "a league of leduc" in one_line(err)
    with pytest.raises(LeagueError) as err:
        LeagueStore.create(tmp_path / "lg", "leduc")
    assert "already holds a league" in one_line(err)
    with pytest.raises(LeagueError) as err:
        LeagueStore.create(tmp_path / "other", "no-such-game")
    assert "no-such-game" in one_line(err)

    conn = sqlite3.connect(tmp_path / "lg" / DB_NAME)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    with pytest.raises(LeagueError) as err:
        LeagueStore.open(tmp_path / "lg")
    assert "newer" in one_line(err) and "upgrade selfplay" in one_line(err)


def test_open_or_create_resumes_the_same_league_and_refuses_other_options(tmp_path):
    with LeagueStore.open_or_create(tmp_path, "doudizhu", {"objective": "wp"}) as store:
        store.add_baseline("random")
    with LeagueStore.open_or_create(tmp_path, "doudizhu", {"objective": "wp"}) as store:
        assert [p.name for p in store.players()] == ["random"]
    with pytest.raises(LeagueError) as err:
        LeagueStore.open_or_create(tmp_path, "doudizhu", {"objective": "adp"})
    assert "options" in one_line(err)


def test_baselines_are_idempotent_and_names_unique(tmp_path):
    with LeagueStore.create(tmp_path, "doudizhu") as store:
        rnd = store.add_baseline("random")
        assert store.add_baseline("random") == rnd
        rule = store.add_baseline("rlcard-rule")
        assert [p.name for p in store.players(kind="baseline")] == ["random", "rlcard-rule"]
        assert store.agent_spec(rule) == "rlcard-rule" and store.player(rule.id) == store.player("rlcard-rule")
        with pytest.raises(LeagueError):
            store.add_baseline("mcts:sims=5", name="random")
        with pytest.raises(LeagueError):
            store.player("nobody")


def test_snapshots_are_copied_into_the_league_before_their_rows(tmp_path):
    src = tmp_path / "checkpoint.pt"
    src.write_bytes(b"weights v1")
    with LeagueStore.create(tmp_path / "lg", "leduc") as store:
        first = store.add_snapshot(src, frames=1000, step=10, train_seconds=60.0)
        src.write_bytes(b"weights v2")  # the learner keeps overwriting its checkpoint
        second = store.add_snapshot(src, parent=first.id, frames=2000, train_seconds=120.0)
        assert (first.name, second.name) == ("dmc-001", "dmc-002")
        assert first.spec == "snapshots/dmc-001.pt" and second.parent == first.id
        assert (tmp_path / "lg" / first.spec).read_bytes() == b"weights v1"
        assert store.agent_spec(second) == str(tmp_path / "lg" / "snapshots" / "dmc-002.pt")
        assert store.latest_snapshot() == second and (first.frames, first.step, first.learner) == (1000, 10, "dmc")

        named = store.add_snapshot(src, name="after-1h", learner="az")
        with pytest.raises(LeagueError):
            store.add_snapshot(src, name="after-1h")  # taken: the earlier file stays as it was
        with pytest.raises(LeagueError):
            store.add_snapshot(tmp_path / "absent.pt")
        with pytest.raises(LeagueError):
            store.add_snapshot(src, name="../escape")
        assert [p.name for p in store.players()] == ["dmc-001", "dmc-002", "after-1h"]
        assert (tmp_path / "lg" / named.spec).read_bytes() == b"weights v2"
        # every row's file is there, and no temporary file is left behind
        assert sorted(f.name for f in (tmp_path / "lg" / "snapshots").iterdir()) == \
            sorted(p.spec.split("/")[1] for p in store.players())


def test_arena_records_are_stored_with_the_players_of_each_slot(tmp_path):
    game = make("leduc")
    result = arena.play(game, [RandomAgent(), RandomAgent()], decks=4, seed=3)
    with LeagueStore.create(tmp_path, "leduc") as store:
        a, b = store.add_baseline("random"), store.add_baseline("random", name="random-2")
        assert store.record_matches(result.records, [a.id, b.id], source="eval") == 8
        stored = store.matches()
        assert len(stored) == 8 and store.match_count("eval") == 8 and store.match_count("selfplay") == 0
        for rec, m in zip(result.records, stored):
            assert m.slot_players == tuple(((a.id, b.id)[agent],) for agent in rec.slots)
            assert m.seat_returns == rec.returns and m.slot_scores == rec.returns
            assert (m.deck, m.seed, m.moves, m.source) == (rec.deck, rec.seed, rec.moves, "eval")
        results = store.results()
        assert results[0].slots == tuple(((("random", "random-2")[agent],) for agent in result.records[0].slots))
        assert store.matches(after=stored[5].id) == stored[6:]


def test_team_slots_and_mixed_seatings_in_doudizhu(tmp_path):
    with LeagueStore.create(tmp_path, "doudizhu") as store:
        a, b = store.add_baseline("random").id, store.add_baseline("rlcard-rule").id
        # agent 1 holds the landlord slot, agent 0 both peasant seats
        store.record_matches([arena.GameRecord(0, 0, 11, (1, 0), (-4.0, 2.0, 2.0), 30)], [a, b])
        # self-play style: landlord a, peasants a and b side by side
        store.record_results([Match(((a,), (a, b)), (2.0, -1.0, -1.0), source="selfplay")])
        first, second = store.matches()
        assert first.slot_players == ((b,), (a, a)) and first.slot_scores == (-4.0, 2.0)
        assert second.slot_players == ((a,), (a, b)) and second.slot_scores == (2.0, -1.0)
        assert store.results(source="selfplay")[0].slots == (("random",), ("random", "rlcard-rule"))
        with pytest.raises(LeagueError):  # wrong shape: nothing of the batch is written
            store.record_results([Match(((a,), (b, b)), (1.0, -0.5, -0.5)), Match(((a,), (b,)), (1.0, -1.0))])
        with pytest.raises(LeagueError):
            store.record_results([Match(((a,), (b, b)), (1.0, -0.5, -0.5)), Match(((a,), (99, b)), (1.0, 0, 0))])
        assert store.match_count() == 2


def test_ratings_are_saved_as_history(tmp_path):
    with LeagueStore.create(tmp_path, "leduc") as store:
        rnd, snap = store.add_baseline("random"), store.add_snapshot(_file(tmp_path), frames=5)
        games = [arena.GameRecord(i, i, i, (i % 2, 1 - i % 2), (1.0, -1.0) if i % 3 else (-1.0, 1.0), 5)
                 for i in range(12)]
        store.record_matches(games, [snap.id, rnd.id])
        first = store.save_ratings(store.fit_ratings())
        store.record_matches(games, [snap.id, rnd.id])
        second = store.save_ratings(store.fit_ratings())
        history = store.ratings_history()
        assert [r.fit for r in history if r.role is None] == [first, first, second, second]
        overall = [r for r in store.latest_ratings() if r.role is None]
        assert {r.player for r in overall} == {"random", snap.name}
        mine = [r for r in history if r.player == snap.name and r.role is None]
        assert mine[1].games == 2 * mine[0].games and mine[1].high - mine[1].low < mine[0].high - mine[0].low
        assert {r.role for r in store.ratings_history(player=snap.name)} == {None, "seat 0", "seat 1"}
        advantage = store.role_advantage(second)
        assert set(advantage) == {"seat 0", "seat 1"} and advantage["seat 0"][1] <= advantage["seat 0"][0]
        with pytest.raises(LeagueError):
            store.save_ratings(fit([*store.results(), *_stranger_results()]))


def _file(tmp_path):
    path = tmp_path / "ckpt.pt"
    path.write_bytes(b"w")
    return path


def _stranger_results():
    return [Result((("stranger",), ("random",)), (1.0, -1.0))]


def _write_many(directory, source, player_ids, start, count):
    start.wait()
    store = LeagueStore.open(directory)
    for i in range(count):  # one transaction each: as many lock hand-overs as possible
        store.record_matches([arena.GameRecord(i, i, i, (i % 2, 1 - i % 2), (1.0, -1.0), 3)], player_ids,
                             source=source)
    store.close()


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    with LeagueStore.create(tmp_path, "connect4") as store:
        ids = [store.add_baseline("random").id, store.add_baseline("mcts:sims=2").id]
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_write_many, args=(tmp_path, f"writer-{k}", ids, start, 200)) for k in range(2)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    with LeagueStore.open(tmp_path) as store:
        assert store.match_count() == 400
        assert store.match_count("writer-0") == store.match_count("writer-1") == 200
        assert sorted(m.deck for m in store.matches("writer-1")) == list(range(200))
        assert store.integrity_check() == "ok"
        assert json.loads(store._conn.execute("SELECT slot_players FROM matches LIMIT 1").fetchone()[0])[0][0] in ids


def _write_until_killed(directory, player_ids, committed):
    store = LeagueStore.open(directory)
    i = 0
    while True:
        store.record_matches([arena.GameRecord(i, i, i, (0, 1), (1.0, -1.0), 3)] * 5, player_ids)
        i += 1
        committed.value = i * 5


def test_a_writer_killed_mid_stream_loses_no_committed_match_and_leaves_a_sound_file(tmp_path):
    with LeagueStore.create(tmp_path, "leduc") as store:
        ids = [store.add_baseline("random").id, store.add_baseline("mcts:sims=2").id]
    ctx = multiprocessing.get_context("fork")
    committed = ctx.Value("i", 0)
    proc = ctx.Process(target=_write_until_killed, args=(tmp_path, ids, committed))
    proc.start()
    deadline = time.monotonic() + 30
    while committed.value < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    with LeagueStore.open(tmp_path) as store:
        assert store.integrity_check() == "ok"
        count = store.match_count()
        assert count >= committed.value >= 100 and count % 5 == 0  # whole transactions only


def test_snapshot_specs_resolve_to_files_best_by_the_last_fit(tmp_path):
    store = LeagueStore.create(tmp_path / "lg", "kuhn")
    with pytest.raises(LeagueError, match="no snapshot yet"):
        store.resolve("snapshot:best")
    src = tmp_path / "ck.pt"
    src.write_bytes(b"weights")
    random = store.add_baseline("random")
    a = store.add_snapshot(src, name="a")
    b = store.add_snapshot(src, name="b")
    assert store.resolve("random") == "random"
    assert store.resolve("snapshot:latest") == str(tmp_path / "lg" / b.spec)
    assert store.resolve("snapshot:a") == str(tmp_path / "lg" / a.spec)
    assert store.resolve("snapshot:best") == store.resolve("snapshot:latest")  # nothing rated yet
    # a beats everyone, b loses: a is the best
    store.record_results([Match(((a.id,), (random.id,)), (1.0, -1.0)), Match(((random.id,), (a.id,)), (-1.0, 1.0)),
                          Match(((b.id,), (random.id,)), (-1.0, 1.0)), Match(((random.id,), (b.id,)), (1.0, -1.0))])
    store.save_ratings(store.fit_ratings())
    assert store.resolve("snapshot:best") == str(tmp_path / "lg" / a.spec)
    with pytest.raises(LeagueError, match="no player 'zz'"):
        store.resolve("snapshot:zz")
    with pytest.raises(LeagueError, match="is a baseline"):
        store.resolve("snapshot:random")
