"""Rich tables for what the CLI prints, and the same rows as data for ``--json``."""

from __future__ import annotations

from rich.table import Table

from selfplay.agents import short_name
from selfplay.arena import ArenaResult, Stats
from selfplay.games import Game, options_of


def games_table(games: list[Game]) -> Table:
    table = Table(title="games")
    for col in ("name", "players", "information", "actions", "options", "description"):
        table.add_column(col, justify="right" if col in ("players", "actions") else "left")
    for g in games:
        opts = ", ".join(f"{k}={v}" for k, v in options_of(g.name).items()) or "-"
        info = "perfect" if g.info.perfect_information else "imperfect"
        table.add_row(g.name, str(g.num_players), info, f"{g.num_actions:,}", opts, g.info.description)
    return table


def games_data(games: list[Game]) -> list[dict]:
    """``selfplay games --json``: one object per game."""
    return [{"name": g.name, "players": g.num_players, "perfect_information": g.info.perfect_information,
             "actions": g.num_actions, "teams": [list(t) for t in g.info.teams], "team_names": list(g.info.team_names),
             "options": options_of(g.name), "description": g.info.description} for g in games]


def agents_table(registry: dict, others: tuple[tuple[str, str], ...]) -> Table:
    table = Table(title="agent specs (--agent)")
    table.add_column("spec")
    table.add_column("games")
    table.add_column("description")
    for name, entry in registry.items():
        table.add_row(name, ", ".join(entry.games) or "all", entry.summary)
    for spec, summary in others:
        table.add_row(spec, "its own", summary)
    return table


def agents_data(registry: dict, others: tuple[tuple[str, str], ...]) -> list[dict]:
    """``selfplay agents --json``: one object per spec; ``games`` null: any game (a name), the
    game its file learned (a checkpoint, a snapshot)."""
    rows = [{"spec": name, "games": list(entry.games) or None, "description": entry.summary}
            for name, entry in registry.items()]
    return rows + [{"spec": spec, "games": None, "description": summary} for spec, summary in others]


def defaults_table(defaults: list) -> Table:
    """Each game's default agent (``selfplay.agents.DefaultAgent``) and where it comes from."""
    table = Table(title="default agents (play, league baselines)")
    for col in ("game", "default", "from"):
        table.add_column(col, overflow="fold")  # the default whole, as --agent takes it
    for d in defaults:
        if d.source == "released model":
            origin = f"released model {d.note}"
        elif d.source == "built-in":
            origin = f"built-in: {d.note}"
        else:
            origin = f"[bold red]fallback[/]: {d.note}"
        table.add_row(d.game, d.spec, origin)
    return table


def defaults_data(defaults: list) -> list[dict]:
    """``selfplay agents --json``'s ``defaults``: one object per game; ``source`` is
    ``released model`` (``path`` its file), ``built-in`` or ``fallback`` (``note`` says why)."""
    return [{"game": d.game, "spec": d.spec, "source": d.source, "path": None if d.path is None else str(d.path),
             "note": d.note} for d in defaults]


def _row(stats: Stats) -> list[str]:
    return [
        str(stats.games),
        f"{stats.wins}/{stats.draws}/{stats.losses}",
        f"{stats.win_rate:.3f} [{stats.win_rate_low:.3f}, {stats.win_rate_high:.3f}]",
        f"{stats.score:+.3f} ± {stats.score_ci:.3f}",
    ]


def result_table(result: ArenaResult, seed: int) -> Table:
    decks = len({r.deck for r in result.records})
    table = Table(title=f"{result.game}: {len(result.records)} games on {decks} deals, seed {seed}")
    for col in ("agent", "as", "games", "W/D/L", "win rate [95% CI]", "mean return ± 95%"):
        table.add_column(col, justify="left" if col in ("agent", "as") else "right",
                         overflow="fold" if col == "agent" else "ellipsis")
    for key, per in result.stats().items():
        _, _, name = key.partition(":")
        table.add_row(name, "all", *_row(per["all"]), style="bold")
        if len(per) > 2:  # seats or sides, and with bidding the role each ended up in
            for part, stats in per.items():
                if part != "all" and stats.games:
                    table.add_row("", part if part in result.slot_names else f"as {part}", *_row(stats))
        table.add_section()
    return table


def bidding_table(result: ArenaResult) -> Table:
    """Games with bidding: how often each agent became landlord, its bids, the redeals."""
    data = result.bidding()
    share = lambda r, d=3: f"{r.rate:.{d}f} [{r.low:.{d}f}, {r.high:.{d}f}]"  # noqa: E731
    table = Table(title=f"bidding, {data['redealt'].n} games: redealt after all passed {share(data['redealt'])}, "
                        f"scoreless {data['scoreless'].count}")
    for col in ("agent", "became landlord [95% CI]", "pass", "bid 1", "bid 2", "bid 3"):
        table.add_column(col, justify="left" if col == "agent" else "right")
    for key, agent in data["agents"].items():
        table.add_row(key.partition(":")[2], share(agent["landlord"]), *[share(agent["bids"][b], 2) for b in range(4)])
    return table


def exploitability_table(game_name: str, rows: list[dict]) -> Table:
    """``selfplay exploitability``: NashConv, exploitability and each seat's values per agent."""
    seats = len(rows[0]["policy_values"]) if rows else 0
    table = Table(title=f"{game_name}: exact exploitability (best response over the whole game tree)")
    table.add_column("agent", no_wrap=True)
    for head in ("NashConv", "exploitability", *[f"value p{p}" for p in range(seats)],
                 *[f"best resp. p{p}" for p in range(seats)]):
        table.add_column(head, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(row["agent"], f"{row['nash_conv']:.6f}", f"{row['exploitability']:.6f}",
                      *[f"{v:+.4f}" for v in row["policy_values"]],
                      *[f"{v:+.4f}" for v in row["best_response_values"]])
    return table



def advice_table(advice) -> Table:
    """``selfplay advise``: the agent's best moves, with what it knows of them."""
    table = Table()
    columns = {"q": ["Q (expected points)"], "policy": ["probability", "value (expected points)"],
               "probability": ["probability"], "choice": []}[advice.value_kind]
    wins = any("win" in m for m in advice.moves)
    for col in ("#", "move", *columns, *(["win chance"] if wins else [])):
        table.add_column(col, justify="left" if col == "move" else "right")
    shown = {"q": "{:+.3f}", "probability": "{:.3f}", "value": "{:+.3f}", "win": "{:.3f}"}
    for i, move in enumerate(advice.moves, 1):
        table.add_row(str(i), move["move"], *(form.format(move[key]) for key, form in shown.items() if key in move))
    return table


def advice_header(advice) -> str:
    what = "bid" if advice.phase == "bid" else "play"
    return (f"seat {advice.seat} ({advice.role}) to {what}: {advice.legal} legal moves; "
            f"advice of {short_name(advice.agent)}")
