"""What a league has learned so far: the ratings table, plots and the run's status.

``summarize(store)`` fits the ratings on the evaluation matches (anchored at
``random`` = 0), saves the fit (one more point of the ratings history) and
gathers a row per player: Elo with its 95% interval, games and score, the
per-role Elo of a team game (DouDizhu: landlord / peasants), and WP / ADP
against every baseline, as DouZero's tables report them. It also asks whether
the newest snapshot beats the best earlier one (likelihood of superiority and
an SPRT on their head-to-head games).

``report_table`` renders it for the terminal; ``write_report`` writes
``report.md``, ``report.html``, ``elo.png`` (Elo over training time) and
``heatmap.png`` (head-to-head score matrix) into the league directory;
``status`` is the short view of a running league, its state read from the
``status.json`` the league loop rewrites every few seconds (``status_data``:
the same as data, for ``--json``).
"""

from __future__ import annotations

import html
import io
import json
import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Hashable, Sequence

from rich.console import Group
from rich.table import Table

from selfplay.league.exact import MetaNash, exact_game, exploitabilities, league_meta_nash, snapshot_policies
from selfplay.league.ratings import Fit, Rating, Result, Superiority, WinsLosses, superiority
from selfplay.league.store import LeagueStore

STATUS_FILE = "status.json"
STALE_SECONDS = 120.0  # a run that has not rewritten status.json for this long is not running
ACTIVE_STATES = ("running", "evaluating")
DASH = "-"


@dataclass(frozen=True)
class VersusBaseline:
    """A player's games against one baseline: WP = share won, ADP = mean score of its slot."""

    games: int
    wp: float
    adp: float


SIGNIFICANT = 0.95  # the LOS a report calls significant


@dataclass(frozen=True)
class Gap:
    """Elo of one player minus another's, its 95% interval, and the likelihood that the
    first is the stronger (``Phi(gap / sd)``, from the joint fit's covariance)."""

    elo: float
    low: float
    high: float
    los: float


def gap(fit: Fit, a: str, b: str) -> Gap:
    diff, sd = fit.players[a].elo - fit.players[b].elo, fit.difference_sd(a, b)
    los = 0.5 * (1 + math.erf(diff / (sd * math.sqrt(2)))) if sd > 0 else float(diff > 0)
    return Gap(diff, diff - 1.96 * sd, diff + 1.96 * sd, los)


@dataclass(frozen=True)
class PlayerRow:
    name: str
    kind: str  # "snapshot" or "baseline"
    rank: int | None  # None: no rated games
    rating: Rating | None
    minutes: float | None  # a snapshot's training time
    frames: int | None
    by_role: dict[str, Rating] = field(default_factory=dict)  # team games only
    versus: dict[str, VersusBaseline] = field(default_factory=dict)  # baseline name -> record
    exploitability: float | None = None  # Kuhn, Leduc: exact (``league.exact``)


@dataclass(frozen=True)
class LeagueReport:
    game: str
    created_at: float
    matches: int  # evaluation matches
    anchor: str | None
    fit_id: int | None  # the saved fit; None before any rated game
    roles: tuple[str, ...]  # per-role columns: a team game's roles, else ()
    baselines: tuple[str, ...]
    rows: tuple[PlayerRow, ...]
    role_advantage: dict[str, Rating]
    newest: str | None = None  # superiority check: the newest rated snapshot vs the best earlier one
    best_earlier: str | None = None
    superiority: Superiority | None = None
    first: str | None = None  # the first rated snapshot: has the league learned since?
    progress: Gap | None = None  # newest - first, from the joint fit
    standing: dict[str, Gap] = field(default_factory=dict)  # newest - each rated baseline
    meta_nash: MetaNash | None = None  # Kuhn, Leduc: the snapshots' Nash mixture, judged exactly

    def verdict(self) -> str:
        """One line: is the newest snapshot stronger than the best earlier one?"""
        if self.superiority is None:
            return "newest vs best earlier snapshot: needs two snapshots with rated games"
        s, rec = self.superiority, self.superiority.record
        return (f"newest {self.newest} vs best earlier {self.best_earlier}: {rec.wins}-{rec.losses}-{rec.draws} "
                f"(W-L-D), LOS {s.los:.2f}, SPRT: {s.test.verdict} "
                f"(LLR {s.test.llr:+.2f} in [{s.test.lower:.2f}, {s.test.upper:.2f}])")

    def learning_lines(self) -> list[str]:
        """In words: is the newest snapshot significantly stronger than the first (LOS from the
        joint fit, 0.95 as the bar), and where does it stand against the baselines?"""
        if self.progress is None:
            return []
        g = self.progress
        verdict = "is significantly stronger than" if g.los >= SIGNIFICANT else \
            "is significantly weaker than" if g.los <= 1 - SIGNIFICANT else "is not significantly stronger than"
        lines = [f"learning: the newest snapshot {self.newest} {verdict} the first, {self.first}: "
                 f"{g.elo:+.0f} Elo [{g.low:+.0f}, {g.high:+.0f}], LOS {g.los:.3f}"]
        if self.standing:
            parts = [f"{'above' if g.los >= SIGNIFICANT else 'below' if g.los <= 1 - SIGNIFICANT else 'level with'} "
                     f"{name} ({g.elo:+.0f} Elo, LOS {g.los:.2f})" for name, g in self.standing.items()]
            lines.append(f"against the baselines, {self.newest} stands " + ", ".join(parts))
        return lines

    def meta_nash_line(self) -> str:
        if self.meta_nash is None:
            return ""
        mix = ", ".join(f"{n} {w:.2f}" for n, w in sorted(self.meta_nash.weights.items(), key=lambda x: -x[1])
                        if w >= 0.005)
        return (f"meta-Nash mixture of the snapshots ({mix}): exploitability {self.meta_nash.exploitability:.4f} "
                "(exact; each snapshot's in the exploitability column)")

    def advantage_line(self) -> str:
        if not self.role_advantage:
            return ""
        return "role advantage: " + ", ".join(f"{role} {r.elo:+.0f} [{r.low:+.0f}, {r.high:+.0f}]"
                                              for role, r in self.role_advantage.items())

    def to_json(self) -> dict:
        data = asdict(self)
        data["verdict"] = self.verdict()
        data["learning"] = self.learning_lines()
        return data


# ---- gathering ---------------------------------------------------------------------------
def summarize(store: LeagueStore) -> LeagueReport:
    """Fit and save the ratings of the evaluation matches; one row per player, ranked."""
    players, results = store.players(), store.results("eval")
    met = {a for a, _ in pair_records(results)}
    fit = _fit(store, [p.name for p in players if p.name in met])
    fit_id = store.save_ratings(fit) if fit is not None else None
    # a player seated only against itself has a fitted rating but no rated game: "-"
    rated = {n: r for n, r in fit.players.items() if r.games} if fit is not None else {}
    rank = {n: k for k, n in enumerate(sorted(rated, key=lambda n: -rated[n].elo), 1)}
    roles = tuple(store.team_names) if fit is not None and any(len(t) > 1 for t in store.teams) else ()
    baselines = tuple(p.name for p in players if p.kind == "baseline")
    versus = versus_baselines(results, baselines)
    exact, meta = {}, None
    snapshot_names = [p.name for p in players if p.kind == "snapshot"]
    if exact_game(store) and snapshot_names:
        policies = snapshot_policies(store, snapshot_names)
        exact = exploitabilities(store, policies)
        met_snapshots = [n for n in snapshot_names if n in rated]
        if len(met_snapshots) >= 2:
            meta = league_meta_nash(store, met_snapshots, policies, pair_records(results), fit)
    rows = []
    for p in sorted(players, key=lambda p: rank.get(p.name, len(rank) + p.id)):
        rows.append(PlayerRow(
            p.name, p.kind, rank.get(p.name), rated.get(p.name),
            p.train_seconds / 60 if p.train_seconds is not None else None, p.frames,
            {role: fit.by_role[role][p.name] for role in roles if p.name in fit.by_role.get(role, {})},
            versus.get(p.name, {}), exact.get(p.name)))
    # the newest snapshot with rated games against the best rated one before it
    snapshots = [p.name for p in players if p.kind == "snapshot" and p.name in rated]
    newest = best = check = first = progress = None
    standing = {}
    if len(snapshots) >= 2:
        newest, best, first = snapshots[-1], max(snapshots[:-1], key=lambda s: rated[s].elo), snapshots[0]
        check = superiority(results, newest, best)
        progress = gap(fit, newest, first)
        standing = {b: gap(fit, newest, b) for b in baselines if b in rated}
    return LeagueReport(store.game_name, time.time(), len(results), str(fit.anchor) if fit else None, fit_id,
                        roles, baselines, tuple(rows), dict(fit.role_advantage) if fit else {}, newest, best, check,
                        first, progress, standing, meta)


def _fit(store: LeagueStore, played: list[str]) -> Fit | None:
    """The joint fit anchored at ``random`` (else the first player with games); None
    while nobody has played anybody."""
    if not played:
        return None
    try:
        return store.fit_ratings(anchor="random" if "random" in played else played[0])
    except ValueError:
        return None


def versus_baselines(results: Sequence[Result], baselines: Sequence[Hashable]) -> dict[Hashable, dict]:
    """``{player: {baseline: VersusBaseline}}`` from the games where the baseline sat in
    a slot other than the player's (one pass; the games ``ratings.records_against``
    counts). A win: the player's slot scored more than the baseline's."""
    tally: dict[tuple, list] = {}
    wanted = set(baselines)
    for r in results:
        for i, mine in enumerate(r.slots):
            for j, theirs in enumerate(r.slots):
                if i == j:
                    continue
                for b in wanted.intersection(theirs):
                    for p in set(mine).difference(theirs):
                        t = tally.setdefault((p, b), [0, 0, 0.0])
                        t[0], t[1], t[2] = t[0] + 1, t[1] + (r.scores[i] > r.scores[j]), t[2] + r.scores[i]
    out: dict[Hashable, dict] = {}
    for (p, b), (games, wins, points) in tally.items():
        out.setdefault(p, {})[b] = VersusBaseline(games, wins / games, points / games)
    return out


def pair_records(results: Sequence[Result]) -> dict[tuple, WinsLosses]:
    """``{(a, b): a's record against b}`` for every pair that met: ``ratings.head_to_head``
    for all pairs at once (one pass instead of one per player)."""
    counts: dict[tuple, list[int]] = {}
    for r in results:
        for i, mine in enumerate(r.slots):
            for j, theirs in enumerate(r.slots):
                if i != j:
                    k = {1.0: 0, 0.0: 1}.get(r.outcome(i, j), 2)
                    for a in set(mine).difference(theirs):
                        for b in set(theirs):
                            counts.setdefault((a, b), [0, 0, 0])[k] += 1
    return {pair: WinsLosses(*c) for pair, c in counts.items()}


# ---- formatting ----------------------------------------------------------------------------
def _cells(row: PlayerRow, report: LeagueReport) -> list[str]:
    r = row.rating
    if r is None:
        rating = [DASH] * 4
    else:
        spread = "anchor" if row.name == report.anchor else f"-{r.elo - r.low:.0f}/+{r.high - r.elo:.0f}"
        rating = [f"{r.elo:.0f}", spread, str(r.games), f"{r.score:.3f}"]
    minutes = f"{row.minutes:.1f}" if row.minutes is not None else DASH
    roles = [f"{row.by_role[role].elo:.0f}" if role in row.by_role else DASH for role in report.roles]
    versus = [f"{v.wp:.3f}/{v.adp:+.2f}" if (v := row.versus.get(b)) else DASH for b in report.baselines]
    exact = ([f"{row.exploitability:.4f}" if row.exploitability is not None else DASH]
             if _exact(report) else [])
    return [str(row.rank) if row.rank else DASH, row.name, minutes, *rating, *roles, *exact, *versus]


def _exact(report: LeagueReport) -> bool:
    return any(r.exploitability is not None for r in report.rows)


def _headers(report: LeagueReport) -> list[str]:
    return (["rank", "player", "train min", "Elo", "-/+", "games", "score"]
            + [f"Elo {role}" for role in report.roles] + (["exploitability"] if _exact(report) else [])
            + [f"WP/ADP vs {b}" for b in report.baselines])


def report_table(report: LeagueReport) -> Group:
    """The ratings table (rank, player, Elo and its interval, games, score, per-role Elo
    for team games; the verdict as the caption) and, below it, each player's WP / ADP
    against every baseline: two tables, so each fits a 100-column terminal."""
    headers = _headers(report)
    split = len(headers) - len(report.baselines)
    ratings = Table(title=f"{report.game} league: {report.matches} rated games", caption=_caption(report),
                    caption_justify="left")
    for h in headers[:split]:
        ratings.add_column(h, justify="left" if h == "player" else "right", no_wrap=True)
    versus = Table(title="against the baselines: WP / ADP per game (- : no games)")
    for h in ["player"] + headers[split:]:
        versus.add_column(h, justify="left" if h == "player" else "right", no_wrap=True)
    for row in report.rows:
        cells = _cells(row, report)
        style = "dim" if row.kind == "baseline" else None
        ratings.add_row(*cells[:split], style=style)
        versus.add_row(row.name, *cells[split:], style=style)
    return Group(ratings, versus) if report.baselines else Group(ratings)


def _caption(report: LeagueReport) -> str:
    return "\n".join(line for line in (report.verdict(), report.advantage_line(), report.meta_nash_line()) if line)


def report_text(report: LeagueReport) -> Group:
    """What the terminal shows: the tables, then the learning lines last, in words."""
    from rich.text import Text

    return Group(report_table(report), *(Text(line) for line in report.learning_lines()))


def report_markdown(report: LeagueReport) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(report.created_at))
    head = _headers(report)
    lines = [f"# {report.game} league", "", f"{stamp}; {report.matches} rated games; "
             f"Elo anchored at {report.anchor or DASH} = 0, 95% intervals.", "",
             "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in _cells(row, report)) + " |" for row in report.rows]
    lines += ["", report.verdict()] + ([report.advantage_line()] if report.role_advantage else [])
    lines += [report.meta_nash_line()] if report.meta_nash is not None else []
    lines += ["", *report.learning_lines()] if report.progress is not None else []
    return "\n".join(lines + ["", "![Elo over training time](elo.png)", "", "![head to head](heatmap.png)", ""])


def report_html(report: LeagueReport) -> str:
    esc = html.escape
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(report.created_at))
    head = "".join(f"<th>{esc(h)}</th>" for h in _headers(report))
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in _cells(row, report)) + "</tr>\n"
                   for row in report.rows)
    notes = "".join(f"<p>{esc(line)}</p>" for line in [*_caption(report).splitlines(), *report.learning_lines()])
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{esc(report.game)} league</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}} td:nth-child(2){{text-align:left}}
img{{max-width:100%;margin-top:1em}}</style></head>
<body><h1>{esc(report.game)} league</h1>
<p>{esc(stamp)}; {report.matches} rated games; Elo anchored at {esc(report.anchor or DASH)} = 0, 95% intervals.</p>
<table><thead><tr>{head}</tr></thead><tbody>
{body}</tbody></table>
{notes}
<img src="elo.png" alt="Elo over training time"><br><img src="heatmap.png" alt="head-to-head scores">
</body></html>
"""


# ---- files -----------------------------------------------------------------------------------
def write_report(store: LeagueStore, report: LeagueReport | None = None) -> list[Path]:
    """Write report.md, report.html, elo.png and heatmap.png into the league directory
    (each atomically); returns their paths."""
    report = report or summarize(store)
    results = store.results("eval")
    outputs = {"report.md": report_markdown(report).encode(), "report.html": report_html(report).encode(),
               "elo.png": elo_plot(report), "heatmap.png": heatmap_plot(report, results)}
    if _exact(report):
        outputs["exploitability.png"] = exploitability_plot(report)
    for name, data in outputs.items():
        write_atomic(store.root / name, data)
    return [store.root / name for name in outputs]


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _figure(width: float, height: float):
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI
    return Figure(figsize=(width, height), dpi=100)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def elo_plot(report: LeagueReport) -> bytes:
    """Elo of the snapshots over training minutes (95% error bars), baselines as
    labelled horizontal lines with their interval shaded; PNG bytes."""
    fig = _figure(8, 5)
    ax = fig.add_subplot()
    snaps = [r for r in report.rows if r.kind == "snapshot" and r.rating is not None]
    timed = all(r.minutes is not None for r in snaps)
    snaps.sort(key=lambda r: r.minutes if timed else 0)
    xs = [r.minutes if timed else k for k, r in enumerate(snaps)]
    if snaps:
        ys = [r.rating.elo for r in snaps]
        err = [[r.rating.elo - r.rating.low for r in snaps], [r.rating.high - r.rating.elo for r in snaps]]
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label="snapshots")
        ax.legend(loc="upper left")
    for k, row in enumerate(r for r in report.rows if r.kind == "baseline" and r.rating is not None):
        color = f"C{k + 1}"
        ax.axhline(row.rating.elo, color=color, linestyle="--", linewidth=1)
        ax.axhspan(row.rating.low, row.rating.high, color=color, alpha=0.12)
        ax.annotate(row.name, (1.0, row.rating.elo), xycoords=("axes fraction", "data"), xytext=(-4, 3),
                    textcoords="offset points", ha="right", color=color, fontsize=9)
    if report.fit_id is None:
        ax.text(0.5, 0.5, "no rated games yet", transform=ax.transAxes, ha="center", va="center")
    ax.set_xlabel("training minutes" if timed else "snapshot")
    ax.set_ylabel(f"Elo ({report.anchor or 'anchor'} = 0), 95% interval")
    ax.set_title(f"{report.game} league: Elo over training time")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def exploitability_plot(report: LeagueReport) -> bytes:
    """Each snapshot's exact exploitability over training minutes (log scale), the meta-Nash
    mixture's as a line; PNG bytes."""
    fig = _figure(8, 5)
    ax = fig.add_subplot()
    snaps = sorted((r for r in report.rows if r.exploitability is not None),
                   key=lambda r: (r.minutes or 0.0, r.frames or 0))
    ax.plot([r.minutes or 0.0 for r in snaps], [max(r.exploitability, 1e-6) for r in snaps], marker="o",
            label="snapshots")
    if report.meta_nash is not None:
        ax.axhline(max(report.meta_nash.exploitability, 1e-6), color="C1", linestyle="--",
                   label=f"meta-Nash mixture {report.meta_nash.exploitability:.4f}")
    ax.set_yscale("log")
    ax.set_xlabel("training minutes")
    ax.set_ylabel("exploitability (NashConv / players)")
    ax.set_title(f"{report.game} league: exploitability over training time")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return _png(fig)


def heatmap_plot(report: LeagueReport, results: Sequence[Result]) -> bytes:
    """Head-to-head score share of the row player against the column player (1 win,
    0.5 draw), annotated with the value and the number of games; PNG bytes."""
    import numpy as np

    names = [r.name for r in report.rows if r.rating is not None]
    records = pair_records(results)
    n = len(names)
    share = np.full((n, n), np.nan)
    size = min(max(4.0, 1.0 + 0.8 * n), 16.0)  # a long league: smaller cells, no numbers past 20 players
    fig = _figure(size + 1.5, size)
    ax = fig.add_subplot()
    if not n:
        ax.text(0.5, 0.5, "no rated games yet", transform=ax.transAxes, ha="center", va="center")
        ax.set_axis_off()
        return _png(fig)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            rec = records.get((a, b))
            if i != j and rec is not None and rec.games:
                share[i, j] = rec.score
                if n <= 20:
                    ax.text(j, i, f"{rec.score:.2f}\n({rec.games})", ha="center", va="center", fontsize=8)
    image = ax.imshow(share, cmap="RdYlGn", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, shrink=0.8, label="row player's score share")
    ax.set_xticks(range(n), names, rotation=45 if n <= 20 else 90, ha="right", fontsize=min(10, 300 / n))
    ax.set_yticks(range(n), names, fontsize=min(10, 300 / n))
    ax.set_title(f"{report.game}: head to head (row player's score share, games)")
    fig.tight_layout()
    return _png(fig)


# ---- status ---------------------------------------------------------------------------------
def run_state(root: Path, now: float | None = None) -> str:
    """The league loop's state from ``status.json``: ``running`` only while its process
    lives and it wrote the file in the last two minutes."""
    path = Path(root) / STATUS_FILE
    if not path.is_file():
        return "not started (no status.json)"
    try:
        data = json.loads(path.read_text())
        state, pid, updated = str(data["state"]), int(data["pid"]), float(data["updated_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown (status.json unreadable)"
    now = time.time() if now is None else now
    ago = _ago(now - updated)
    if state not in ACTIVE_STATES:
        return f"{state} (last update {ago})"
    if not (_alive(pid) and now - updated < STALE_SECONDS):
        return f"stopped (last update {ago})"
    detail = [f"pid {pid}", f"{int(data.get('frames') or 0):,} frames"]
    if data.get("frames_per_second"):
        detail.append(f"{float(data['frames_per_second']):,.0f} frames/s")
    trained = float(data.get("train_seconds") or 0) / 60
    detail.append(f"{trained:.1f} of {float(data['minutes']):g} min" if data.get("minutes") else f"{trained:.1f} min")
    return f"{state} ({', '.join(detail)}; updated {ago})"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:  # exists, another user's
        return True
    except OSError:  # ProcessLookupError: gone
        return False
    return True


def _ago(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def status_data(store: LeagueStore) -> dict:
    """What ``status`` shows, as JSON data: every player of the last fit (overall), not only the top 3,
    and ``status.json`` as the loop wrote it (``run`` says what it means now)."""
    latest = store.latest_snapshot()
    rows = sorted((r for r in store.latest_ratings() if r.role is None), key=lambda r: -r.elo)
    try:
        raw = json.loads((Path(store.root) / STATUS_FILE).read_text())
    except (OSError, ValueError):
        raw = None
    return {
        "game": store.game_name, "game_options": dict(store.game_options),
        "snapshots": len(store.players("snapshot")), "baselines": len(store.players("baseline")),
        "matches": {"eval": store.match_count("eval"), "all": store.match_count()},
        "latest_snapshot": None if latest is None else
        {"name": latest.name, "frames": latest.frames, "train_seconds": latest.train_seconds},
        "last_fit": None if not rows else {"created_at": rows[0].created_at, "ratings": [
            {"player": r.player, "elo": r.elo, "low": r.low, "high": r.high, "games": r.games, "score": r.score}
            for r in rows]},
        "run": run_state(store.root), "status": raw,
    }


def status(store: LeagueStore) -> Group:
    """A short view: game, players, matches, latest snapshot, last fit, top 3, run state."""
    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold")
    info.add_column()
    options = ", ".join(f"{k}={v}" for k, v in sorted(store.game_options.items()))
    info.add_row("game", store.game_name + (f" ({options})" if options else ""))
    info.add_row("players", f"snapshots {len(store.players('snapshot'))}, baselines {len(store.players('baseline'))}")
    info.add_row("matches", f"{store.match_count('eval'):,} eval ({store.match_count():,} in all)")
    latest = store.latest_snapshot()
    if latest is not None:
        minutes = f"{latest.train_seconds / 60:.1f}" if latest.train_seconds is not None else "?"
        frames = f"{latest.frames:,}" if latest.frames is not None else "?"
    info.add_row("latest snapshot", f"{latest.name} ({minutes} min, {frames} frames)" if latest else DASH)
    rows = [r for r in store.latest_ratings() if r.role is None]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rows[0].created_at)) if rows else ""
    info.add_row("last ratings fit", f"{stamp} ({_ago(time.time() - rows[0].created_at)})" if rows else "none yet")
    info.add_row("run", run_state(store.root))
    top = Table(title="top 3 (last fit)")
    for h in ("rank", "player", "Elo", "-/+", "games"):
        top.add_column(h, justify="left" if h == "player" else "right")
    for k, r in enumerate(sorted(rows, key=lambda r: -r.elo)[:3], 1):
        top.add_row(str(k), r.player, f"{r.elo:.0f}", f"-{r.elo - r.low:.0f}/+{r.high - r.elo:.0f}", str(r.games))
    return Group(info, top) if rows else Group(info)
