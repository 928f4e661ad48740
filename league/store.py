"""The league's memory: one SQLite file beside the snapshot files.

A league directory holds ``league.sqlite`` and ``snapshots/``. The database
keeps the players (learner snapshots and fixed baselines), every match
played (deal, who sat where, payoffs), and every ratings fit, so a report
can draw ratings over training time and a stopped league resumes where it
was.

Several processes write at once (the loop, evaluation workers): the file is
in WAL mode (readers never block the writer), each process opens its own
connection, every write is one ``BEGIN IMMEDIATE`` transaction (the write
lock is taken up front, so two writers never deadlock on a lock upgrade),
and a busy timeout makes a writer wait for the lock instead of failing.
``synchronous=NORMAL`` in WAL mode keeps every committed transaction through
a killed process; only a power cut may lose the last few.

A snapshot's file is copied into ``snapshots/`` (temporary file, fsync,
rename) before its row is inserted, so a crash can leave a stray file but
never a player whose weights are missing.

``LeagueError`` (one line) for a directory that is not a league, a league
of another game, or a database written by a newer selfplay.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from selfplay.arena import GameRecord
from selfplay.games import make
from selfplay.league.ratings import Fit, Result
from selfplay.league.ratings import fit as fit_results

SCHEMA_VERSION = 1
DB_NAME = "league.sqlite"
SNAPSHOT_DIR = "snapshots"
BUSY_TIMEOUT_SECONDS = 60.0
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

_SCHEMA = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # spec: an agent spec; a snapshot's is its file, relative to the league directory
    """CREATE TABLE players (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'baseline')), spec TEXT NOT NULL, learner TEXT,
        parent INTEGER REFERENCES players(id), step INTEGER, frames INTEGER, train_seconds REAL,
        created_at REAL NOT NULL)""",
    # source: e.g. 'eval', 'selfplay'; JSON: slot_players per slot the player id of each seat,
    # slot_scores per slot its seats' mean return, seat_returns per seat
    """CREATE TABLE matches (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, deck INTEGER,
        seed INTEGER, slot_players TEXT NOT NULL, slot_scores TEXT NOT NULL, seat_returns TEXT NOT NULL,
        moves INTEGER, created_at REAL NOT NULL)""",
    "CREATE INDEX matches_by_source ON matches (source, id)",
    # results: games the fit saw; role_advantage JSON: role -> [elo, low, high]
    """CREATE TABLE fits (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, anchor TEXT NOT NULL,
        results INTEGER NOT NULL, role_advantage TEXT NOT NULL)""",
    # role NULL: the overall rating
    """CREATE TABLE ratings (fit INTEGER NOT NULL REFERENCES fits(id), player INTEGER NOT NULL REFERENCES players(id),
        role TEXT, elo REAL NOT NULL, low REAL NOT NULL, high REAL NOT NULL, games INTEGER NOT NULL,
        score REAL NOT NULL)""",
    "CREATE INDEX ratings_by_fit ON ratings (fit)",
]


class LeagueError(ValueError):
    """A directory that cannot be used as this league; the message is one line."""


@dataclass(frozen=True)
class Player:
    id: int
    name: str
    kind: str  # "snapshot" or "baseline"
    spec: str  # agent spec; for a snapshot, its file relative to the league directory
    learner: str | None
    parent: int | None
    step: int | None
    frames: int | None
    train_seconds: float | None
    created_at: float


@dataclass(frozen=True)
class Match:
    """One game. ``slot_players[t]``: the player id at each seat of team slot t (in
    ``game.info.teams`` order); ``seat_returns``: per seat. ``slot_scores`` is filled
    in by the store (the mean return of each slot's seats)."""

    slot_players: tuple[tuple[int, ...], ...]
    seat_returns: tuple[float, ...]
    source: str = "eval"
    deck: int | None = None
    seed: int | None = None
    moves: int | None = None
    slot_scores: tuple[float, ...] = ()
    id: int | None = None
    created_at: float | None = None


@dataclass(frozen=True)
class RatingRow:
    fit: int
    created_at: float
    player: str
    role: str | None  # None: overall
    elo: float
    low: float
    high: float
    games: int
    score: float


class LeagueStore:
    """A league directory, opened through its own SQLite connection (one per process)."""

    def __init__(self, root: Path, conn: sqlite3.Connection, meta: dict[str, str]) -> None:
        self.root, self._conn = root, conn
        self.game_name = meta["game"]
        self.game_options: dict = json.loads(meta["game_options"])
        self.teams: tuple[tuple[int, ...], ...] = tuple(tuple(t) for t in json.loads(meta["teams"]))
        self.team_names: tuple[str, ...] = tuple(json.loads(meta["team_names"]))
        self.num_players = sum(len(t) for t in self.teams)

    # ---- opening ---------------------------------------------------------------------
    @classmethod
    def create(cls, directory: str | os.PathLike, game_name: str, game_options: dict | None = None) -> "LeagueStore":
        """A new league of ``game_name`` in ``directory``; LeagueError if one is there already."""
        info = _game_info(game_name, game_options)
        root = Path(directory)
        root.mkdir(parents=True, exist_ok=True)
        (root / SNAPSHOT_DIR).mkdir(exist_ok=True)
        conn = _connect(root / DB_NAME)
        try:
            with _transaction(conn):
                if _has_table(conn, "meta"):
                    raise LeagueError(f"{root} already holds a league; open it instead")
                for statement in _SCHEMA:
                    conn.execute(statement)
                meta = {"schema_version": str(SCHEMA_VERSION), "game": game_name,
                        "game_options": json.dumps(info.options, sort_keys=True),
                        "teams": json.dumps(info.teams), "team_names": json.dumps(info.team_names),
                        "created_at": repr(time.time())}
                conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        except BaseException:
            conn.close()
            raise
        return cls(root, conn, meta)

    @classmethod
    def open(cls, directory: str | os.PathLike, expect_game: str | None = None) -> "LeagueStore":
        """An existing league; LeagueError if it is none, of another game, or newer."""
        root = Path(directory)
        path = root / DB_NAME
        if not path.is_file():
            raise LeagueError(f"{root}: not a league directory (no {DB_NAME})")
        conn = _connect(path)
        try:
            if not _has_table(conn, "meta"):
                raise LeagueError(f"{root}: not a league directory ({DB_NAME} has no league tables)")
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            version = int(meta["schema_version"]) if meta.get("schema_version", "").isdigit() else 0
            if version > SCHEMA_VERSION:
                raise LeagueError(f"{root}: league schema version {version} is newer than this selfplay reads "
                                  f"({SCHEMA_VERSION}); upgrade selfplay")
            if version < 1 or "game" not in meta:
                raise LeagueError(f"{root}: not a league directory (its {DB_NAME} has no valid meta)")
            if expect_game is not None and meta["game"] != expect_game:
                raise LeagueError(f"{root}: a league of {meta['game']}, not {expect_game}")
        except sqlite3.DatabaseError as err:
            conn.close()
            raise LeagueError(f"{root}: not a league directory ({DB_NAME} is not a readable database: {err})") from None
        except BaseException:
            conn.close()
            raise
        return cls(root, conn, meta)

    @classmethod
    def open_or_create(cls, directory: str | os.PathLike, game_name: str,
                       game_options: dict | None = None) -> "LeagueStore":
        """Resume the league in ``directory`` (same game and options) or start one there."""
        root = Path(directory)
        try:
            store = cls.open(root, expect_game=game_name)
        except LeagueError:
            if (root / DB_NAME).is_file() and _file_has_meta(root / DB_NAME):
                raise
            return cls.create(root, game_name, game_options)
        want = json.loads(json.dumps(_game_info(game_name, game_options).options, sort_keys=True))
        if store.game_options != want:
            store.close()
            raise LeagueError(f"{root}: a league of {game_name} with options {store.game_options}, not {want}")
        return store

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "LeagueStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def make_game(self):
        return make(self.game_name, **self.game_options)

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: ``"ok"`` for a sound file."""
        return "; ".join(row[0] for row in self._conn.execute("PRAGMA integrity_check"))

    # ---- players ---------------------------------------------------------------------
    def add_baseline(self, spec: str, name: str | None = None) -> Player:
        """A fixed opponent (``random``, ``rlcard-rule``, ``mcts:sims=200``); adding the
        same one again returns it, so a resumed loop may simply add its baselines."""
        name = name or spec
        with _transaction(self._conn):
            row = self._conn.execute("SELECT * FROM players WHERE name = ?", (name,)).fetchone()
            if row is not None:
                if (row[2], row[3]) != ("baseline", spec):
                    raise LeagueError(f"league already has a player {name!r} ({row[2]} {row[3]})")
                return Player(*row)
            self._conn.execute("INSERT INTO players (name, kind, spec, created_at) VALUES (?, 'baseline', ?, ?)",
                               (name, spec, time.time()))
        return self.player(name)

    def add_snapshot(self, checkpoint: str | os.PathLike, *, name: str | None = None, learner: str = "dmc",
                     parent: int | None = None, step: int | None = None, frames: int | None = None,
                     train_seconds: float | None = None) -> Player:
        """Freeze a copy of ``checkpoint`` as a new player (default name ``LEARNER-NNN``).
        The copy is in ``snapshots/NAME.pt`` before the row is committed."""
        if name is not None and not _SAFE_NAME.match(name):
            raise LeagueError(f"snapshot name {name!r}: use letters, digits, '.', '_' and '-'")
        src = Path(checkpoint)
        if not src.is_file():
            raise LeagueError(f"{src}: no such checkpoint file")
        folder = self.root / SNAPSHOT_DIR
        folder.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".incoming-", suffix=".pt", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
                shutil.copyfileobj(inp, out)
                out.flush()
                os.fsync(out.fileno())
            with _transaction(self._conn):
                if name is None:
                    name = self._next_snapshot_name(learner)
                elif self._conn.execute("SELECT 1 FROM players WHERE name = ?", (name,)).fetchone():
                    raise LeagueError(f"league already has a player {name!r}")
                spec = f"{SNAPSHOT_DIR}/{name}.pt"
                os.replace(tmp, self.root / spec)  # no row names this path yet: any file there is a stray
                _fsync_dir(folder)
                self._conn.execute(
                    "INSERT INTO players (name, kind, spec, learner, parent, step, frames, train_seconds, created_at)"
                    " VALUES (?, 'snapshot', ?, ?, ?, ?, ?, ?, ?)",
                    (name, spec, learner, parent, step, frames, train_seconds, time.time()))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return self.player(name)

    def _next_snapshot_name(self, learner: str) -> str:
        count = self._conn.execute("SELECT COUNT(*) FROM players WHERE kind = 'snapshot'").fetchone()[0]
        while True:
            count += 1
            name = f"{learner}-{count:03d}"
            if not self._conn.execute("SELECT 1 FROM players WHERE name = ?", (name,)).fetchone():
                return name

    def players(self, kind: str | None = None) -> list[Player]:
        """Players in the order they joined; ``kind``: only snapshots or only baselines."""
        rows = self._conn.execute("SELECT * FROM players WHERE ? IS NULL OR kind = ? ORDER BY id", (kind, kind))
        return [Player(*row) for row in rows]

    def player(self, key: int | str) -> Player:
        """A player by id or name; LeagueError if there is none."""
        column = "id" if isinstance(key, int) else "name"
        row = self._conn.execute(f"SELECT * FROM players WHERE {column} = ?", (key,)).fetchone()
        if row is None:
            raise LeagueError(f"league has no player {key!r}")
        return Player(*row)

    def latest_snapshot(self) -> Player | None:
        row = self._conn.execute("SELECT * FROM players WHERE kind = 'snapshot' ORDER BY id DESC LIMIT 1").fetchone()
        return Player(*row) if row else None

    def best_snapshot(self) -> Player | None:
        """The snapshot rated highest by the last saved fit; the latest snapshot if none is rated."""
        rated = [r for r in self.latest_ratings() if r.role is None]
        snapshots = {p.name: p for p in self.players("snapshot")}
        ranked = sorted((r for r in rated if r.player in snapshots), key=lambda r: -r.elo)
        return snapshots[ranked[0].player] if ranked else self.latest_snapshot()

    def resolve(self, spec: str) -> str:
        """An agent spec with league names resolved: ``snapshot:NAME`` (``snapshot:best``,
        ``snapshot:latest``) becomes the snapshot's file; any other spec is returned as it is."""
        kind, _, name = spec.partition(":")
        if kind != "snapshot":
            return spec
        player = {"best": self.best_snapshot, "latest": self.latest_snapshot}.get(name, lambda: None)()
        if player is None and name in ("best", "latest"):
            raise LeagueError(f"{self.root}: the league has no snapshot yet")
        player = player or self.player(name)
        if player.kind != "snapshot":
            raise LeagueError(f"{name!r} is a baseline ({player.spec}), not a snapshot")
        return self.agent_spec(player)

    def agent_spec(self, player: Player) -> str:
        """What ``selfplay.agents.load`` takes for this player: a snapshot's absolute path."""
        return str(self.root / player.spec) if player.kind == "snapshot" else player.spec

    # ---- matches ---------------------------------------------------------------------
    def record_matches(self, records: Iterable[GameRecord], players: Sequence[int], source: str = "eval") -> int:
        """Record arena games in one transaction; ``players[a]``: the player id of the
        arena's agent ``a`` (``GameRecord.slots`` names agents by index)."""
        matches = [Match(tuple((players[agent],) * len(self.teams[t]) for t, agent in enumerate(rec.slots)),
                         tuple(rec.returns), source, rec.deck, rec.seed, rec.moves) for rec in records]
        return self.record_results(matches)

    def record_results(self, matches: Iterable[Match]) -> int:
        """Record games in one transaction (any seating: e.g. the learner as one peasant
        beside a past snapshot); returns how many."""
        matches, rows, now = list(matches), [], time.time()
        for m in matches:
            if [len(s) for s in m.slot_players] != [len(t) for t in self.teams] or \
                    len(m.seat_returns) != self.num_players:
                raise LeagueError(f"a {self.game_name} match needs players for seats {list(self.teams)} and "
                                  f"{self.num_players} returns")
            scores = [sum(m.seat_returns[s] for s in team) / len(team) for team in self.teams]
            rows.append((m.source, m.deck, m.seed, json.dumps([list(s) for s in m.slot_players]), json.dumps(scores),
                         json.dumps(list(m.seat_returns)), m.moves, now))
        with _transaction(self._conn):
            known = {row[0] for row in self._conn.execute("SELECT id FROM players")}
            unknown = {p for m in matches for slot in m.slot_players for p in slot} - known
            if unknown:
                raise LeagueError(f"league has no player with id {', '.join(map(str, sorted(unknown)))}")
            self._conn.executemany("INSERT INTO matches (source, deck, seed, slot_players, slot_scores, seat_returns,"
                                   " moves, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def matches(self, source: str | None = None, after: int = 0) -> list[Match]:
        """Matches in the order recorded; ``after``: only those with a larger id."""
        rows = self._conn.execute("SELECT * FROM matches WHERE id > ? AND (? IS NULL OR source = ?) ORDER BY id",
                                  (after, source, source))
        return [Match(tuple(tuple(s) for s in json.loads(slots)), tuple(json.loads(returns)), src, deck, seed, moves,
                      tuple(json.loads(scores)), id_, created)
                for id_, src, deck, seed, slots, scores, returns, moves, created in rows]

    def match_count(self, source: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM matches WHERE ? IS NULL OR source = ?"
        return self._conn.execute(sql, (source, source)).fetchone()[0]

    def results(self, source: str | None = "eval") -> list[Result]:
        """Matches as rating results, players by name (``ratings.fit`` takes them)."""
        names = {p.id: p.name for p in self.players()}
        return [Result(tuple(tuple(names[p] for p in slot) for slot in m.slot_players), m.slot_scores)
                for m in self.matches(source)]

    # ---- ratings ---------------------------------------------------------------------
    def fit_ratings(self, anchor: str = "random", source: str | None = "eval", **options) -> Fit:
        """``ratings.fit`` over the stored matches of ``source`` (None: all), roles named
        after the game's team slots."""
        return fit_results(self.results(source), anchor=anchor, roles=self.team_names, **options)

    def save_ratings(self, fit: Fit) -> int:
        """Keep a fit (overall and per-role ratings, keyed by player name) as the next
        point of the ratings history; returns its id."""
        ids = {p.name: p.id for p in self.players()}
        missing = [str(p) for p in fit.players if p not in ids]
        if missing:
            raise LeagueError(f"ratings name players the league does not have: {', '.join(missing)}")
        advantage = {role: [r.elo, r.low, r.high] for role, r in fit.role_advantage.items()}
        with _transaction(self._conn):
            cur = self._conn.execute(
                "INSERT INTO fits (created_at, anchor, results, role_advantage) VALUES (?, ?, ?, ?)",
                (time.time(), str(fit.anchor), fit.results, json.dumps(advantage)))
            fit_id = cur.lastrowid
            rows = [(fit_id, ids[p], None, r.elo, r.low, r.high, r.games, r.score) for p, r in fit.players.items()]
            rows += [(fit_id, ids[p], role, r.elo, r.low, r.high, r.games, r.score)
                     for role, table in fit.by_role.items() for p, r in table.items()]
            self._conn.executemany("INSERT INTO ratings VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return fit_id

    def ratings_history(self, player: str | None = None) -> list[RatingRow]:
        """Every saved rating, oldest fit first (role ``None``: overall)."""
        sql = ("SELECT f.id, f.created_at, p.name, r.role, r.elo, r.low, r.high, r.games, r.score"
               " FROM ratings r JOIN fits f ON r.fit = f.id JOIN players p ON r.player = p.id"
               " WHERE ? IS NULL OR p.name = ? ORDER BY f.id, r.role IS NOT NULL, r.role, p.id")
        return [RatingRow(*row) for row in self._conn.execute(sql, (player, player))]

    def latest_ratings(self) -> list[RatingRow]:
        """The rows of the last saved fit (empty before the first)."""
        last = self._conn.execute("SELECT MAX(id) FROM fits").fetchone()[0]
        return [r for r in self.ratings_history() if r.fit == last] if last is not None else []

    def role_advantage(self, fit_id: int) -> dict[str, tuple[float, float, float]]:
        row = self._conn.execute("SELECT role_advantage FROM fits WHERE id = ?", (fit_id,)).fetchone()
        if row is None:
            raise LeagueError(f"league has no ratings fit {fit_id}")
        return {role: tuple(v) for role, v in json.loads(row[0]).items()}


# ---- SQLite plumbing ---------------------------------------------------------------------
def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: no implicit transactions; _transaction opens them explicitly
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as err:
        conn.close()
        raise LeagueError(f"{path}: not a readable league database ({err})") from None
    return conn


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, the write lock taken at its start."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def _file_has_meta(path: Path) -> bool:
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            return _has_table(conn, "meta")
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return True  # not a database we made: do not write over it


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _game_info(game_name: str, game_options: dict | None):
    try:
        return make(game_name, **(game_options or {})).info
    except ValueError as err:  # unknown game or option: the games module's message says which
        raise LeagueError(str(err)) from None
