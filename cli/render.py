"""How each game looks at the terminal table: rich renderables that ``play`` prints.

One family of functions per kind of game, and dispatchers over them:
``table_view`` (the position as the person at ``seat`` may see it),
``legal_view`` (what they may play), ``move_line`` (an action as the table
announces it) and ``result_view`` (who won, with the points). DouDizhu shows the
hand grouped by rank, the other seats' roles and card counts, the current
trick and the multiplier; tic-tac-toe and Connect Four a board with the cell
or column numbers that are their actions; Kuhn and Leduc poker the cards, the
pot and the betting; any other game its own text and numbered actions.

Nothing here reads what ``seat`` may not see before the game is over.
"""

from __future__ import annotations

from itertools import groupby

from rich.console import Group
from rich.table import Table
from rich.text import Text

from selfplay.games import State
from selfplay.games.doudizhu import BID_BASE, PASS, move_info

# ---- DouDizhu ---------------------------------------------------------------------------
CARD_STYLES = {"B": "bold black on white", "R": "bold red on white", "2": "bold yellow"}
TYPE_LABELS = {
    "solo": "single", "pair": "pair", "trio": "trio", "trio_solo": "trio + single", "trio_pair": "trio + pair",
    "solo_chain": "chain", "pair_chain": "pair chain", "airplane": "airplane", "airplane_solo": "airplane + singles",
    "airplane_pair": "airplane + pairs", "four_two_solo": "four + two singles", "four_two_pair": "four + two pairs",
    "bomb": "bomb", "rocket": "rocket", "pass": "pass", "bid": "bid",
}
MAX_SHOWN_PER_TYPE = 16  # leading with a long hand allows thousands of airplanes with wings


def cards_text(cards: str, grouped: bool = False) -> Text:
    """Cards in standard notation with jokers and 2s coloured; ``grouped``: a space
    between ranks, as a hand shows (``33 4 555 2 B R``), else as typed (``334555``)."""
    text = Text()
    for i, (rank, group) in enumerate(groupby(cards)):
        if i and grouped:
            text.append(" ")
        text.append(rank * len(list(group)), style=CARD_STYLES.get(rank, "bold"))
    return text


def move_type(action: int) -> str:
    """``chain``, ``pair``, ``bomb``, ``pass``, ``bid``... for a DouDizhu action."""
    return "bid" if action >= BID_BASE else TYPE_LABELS[move_info(action).type]


def tricks(state: State) -> list[list[tuple[int, int]]]:
    """The card play of this deal as tricks of ``(seat, action)``; a trick ends after two
    passes, so the last list is the trick in progress (empty: the player to move leads)."""
    out: list[list[tuple[int, int]]] = [[]]
    if state.landlord is None:
        return out
    passes = 0
    for k, action in enumerate(a for a in state.history if a < BID_BASE):
        out[-1].append(((state.landlord + k) % 3, action))
        passes = passes + 1 if action == PASS else 0
        if passes == 2:
            out.append([])
            passes = 0
    return out


def _role(state: State, seat: int) -> str:
    role = state.role(seat)
    return role if role in ("landlord", "undecided") else "peasant"


def doudizhu_table(state: State, seat: int, names: list[str], labels: list[str]) -> Group:
    trick = tricks(state)[-1]
    last = {s: a for s, a in trick}
    if state.landlord is None:  # bidding: the seats bid in order 0, 1, 2
        last = {i % 3: a for i, a in enumerate(a for a in state.history if a >= BID_BASE)}
    leader = trick[0][0] if trick else state.current_player
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="dim")
    for col in ("", "player", "agent", "role", "cards", "this trick"):
        table.add_column(col, justify="right" if col == "cards" else "left")
    for s in range(3):
        move = Text()
        if s in last:
            move = cards_text(state.action_to_string(last[s])) if last[s] < PASS else Text(
                state.action_to_string(last[s]), style="dim")
        if trick and s == leader:
            move.append("  (led)", style="dim")
        to_move = "▶" if s == state.current_player and not state.is_terminal() else ""
        table.add_row(to_move, names[s], labels[s], _role(state, s), str(state.cards_left(s)), move,
                      style="bold" if s == seat else None)
    lines = [Text(f"bombs played {state.bombs_played} · multiplier ×{state.multiplier}", style="dim")]
    hand = Text(f"your hand ({state.cards_left(seat)}): ", style="bold").append_text(
        cards_text(state.hand(seat), grouped=True))
    lines += [table, _to_beat_line(state, trick, names), hand]
    return Group(*lines)


def _to_beat_line(state: State, trick: list[tuple[int, int]], names: list[str]) -> Text:
    if state.is_terminal():
        return Text("")
    if state.landlord is None:
        return Text(f"{names[state.current_player]} to bid: pass or a bid above the highest so far")
    plays = [(s, a) for s, a in trick if a != PASS]
    if not plays:
        return Text(f"{names[state.current_player]} to lead: any move")
    s, a = plays[-1]
    return Text("to beat: ").append_text(cards_text(state.to_beat)).append(f"  ({move_type(a)}, by {names[s]})")


def doudizhu_legal(state: State) -> Group:
    """The legal moves grouped by type, in the move table's order."""
    groups: dict[str, list[str]] = {}
    for action in state.legal_actions():
        groups.setdefault(move_type(action), []).append(state.action_to_string(action))
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(justify="right", style="dim", no_wrap=True)
    table.add_column()
    for kind, moves in groups.items():
        line = Text()
        for i, move in enumerate(moves[:MAX_SHOWN_PER_TYPE]):
            line.append("  " if i else "")
            line.append_text(cards_text(move) if kind not in ("pass", "bid") else Text(move))
        if len(moves) > MAX_SHOWN_PER_TYPE:
            line.append(f"  … and {len(moves) - MAX_SHOWN_PER_TYPE} more", style="dim")
        table.add_row(kind, line)
    return Group(Text(f"legal moves ({sum(map(len, groups.values()))}):"), table)


def doudizhu_history(state: State, names: list[str]) -> Group:
    """Every move of the deal, one trick a line."""
    lines = []
    bids = [a for a in state.history if a >= BID_BASE]
    if bids:
        lines.append(Text("bidding: " + " · ".join(f"{names[i % 3]} {state.action_to_string(a)}"
                                                     for i, a in enumerate(bids))))
    for n, trick in enumerate(tricks(state), 1):
        if not trick:
            continue
        line = Text(f"trick {n:>2}: ", style="dim")
        for i, (s, a) in enumerate(trick):
            line.append(" · " if i else "").append(f"{names[s]} ")
            line.append_text(cards_text(state.action_to_string(a)) if a < PASS else Text("pass", style="dim"))
        lines.append(line)
    return Group(*(lines or [Text("no moves yet")]))


def doudizhu_result(state: State, seat: int, names: list[str], labels: list[str]) -> Group:
    winners = state.winners
    if not winners:
        return Group(Text("No one bid in any deal: the game ends without a score."))
    side = "The landlord wins" if winners == (state.landlord,) else "The peasants win"
    verdict = Text(f"{side}: ", style="bold").append(
        "you win!" if seat in winners else "you lose.", style="bold green" if seat in winners else "bold red")
    scoring = (f"bombs played {state.bombs_played} · multiplier ×{state.multiplier}"
               + (" · spring" if state.spring else ""))
    table = Table(box=None, pad_edge=False, header_style="dim")
    for col in ("player", "agent", "role", "points", "cards left"):
        table.add_column(col, justify="right" if col == "points" else "left")
    for s, points in enumerate(state.returns()):
        table.add_row(names[s], labels[s], _role(state, s), f"{points:+g}", cards_text(state.hand(s), grouped=True),
                      style="bold" if s == seat else None)
    return Group(verdict, Text(scoring, style="dim"), table)


# ---- boards: tic-tac-toe and Connect Four --------------------------------------------------
MARK_STYLES = ("bold red", "bold blue")


def board_view(state: State, seat: int) -> Group:
    cols, rows = state.COLS, state.ROWS
    mark = lambda v: Text("XO"[v - 1], style=MARK_STYLES[v - 1])  # noqa: E731
    lines = []
    if state.game.name == "tictactoe":  # cells 0-8, free cells show their number
        for r in range(rows):
            line = Text(" ")
            for c in range(cols):
                v = state.board[r * cols + c]
                line.append(" │ " if c else "").append_text(mark(v) if v else Text(str(r * cols + c), style="dim"))
            lines.append(line)
            if r < rows - 1:
                lines.append(Text("───┼───┼───", style="dim"))
    else:  # connect4: row 0 is the bottom; actions are the column numbers under the board
        for r in reversed(range(rows)):
            line = Text(" ")
            for c in range(cols):
                v = state.board[r * cols + c]
                line.append(" ").append_text(mark(v) if v else Text("·", style="dim"))
            lines.append(line)
        lines.append(Text("  " + " ".join(str(c) for c in range(cols)), style="bold"))
    you = Text("you play ").append_text(mark(seat + 1)).append(f" (seat {seat})")
    return Group(*lines, you)


# ---- poker: Kuhn and Leduc -----------------------------------------------------------------
def poker_label(state: State, action: int) -> str:
    """The action's name with what it means here: ``pass (check)``, ``call (check)``..."""
    name = state.action_to_string(action)
    if state.game.name == "kuhn":
        facing = 1 in state.history
        meaning = {"pass": "fold" if facing else "check", "bet": "call" if facing else ""}[name]
    else:
        p = state.current_player
        facing = state.contributions[p] < state.contributions[1 - p]
        meaning = {"fold": "", "call": "" if facing else "check", "raise": "" if facing else "bet"}[name]
    return f"{name} ({meaning})" if meaning else name


def _betting(game: str, rounds) -> str:
    words = {"kuhn": ("pass", "bet"), "leduc": ("fold", "call", "raise")}[game]
    parts = []
    for r, history in enumerate(rounds):
        said = " ".join(f"p{i % 2}:{words[a]}" for i, a in enumerate(history)) or "-"
        parts.append(said if len(rounds) == 1 else f"round {r + 1}: {said}")
    return " · ".join(parts)


def poker_view(state: State, seat: int) -> Group:
    name = state.game.name
    card = lambda c: Text(c, style="bold magenta")  # noqa: E731
    if name == "kuhn":
        cards = Text("your card: ").append_text(card("JQK"[state.private_card(seat)]))
        rounds = [state.history]
    else:
        from selfplay.games.leduc import CARD_NAMES

        public = state.public_card
        cards = Text("your card: ").append_text(card(CARD_NAMES[state.private_card(seat)])).append("   public card: ")
        cards.append_text(card(CARD_NAMES[public]) if public is not None else Text("not yet (round 1)", style="dim"))
        rounds = list(state.history[:state.betting_round + 1])
    chips = state.contributions
    pot = Text(f"pot {state.pot}: you {chips[seat]}, seat {1 - seat} {chips[1 - seat]}")
    return Group(cards, pot, Text(f"betting: {_betting(name, rounds)}  (you are p{seat})", style="dim"))


def poker_showdown(state: State) -> Text:
    if state.game.name == "kuhn":
        return Text(f"cards: p0 {'JQK'[state.cards[0]]}, p1 {'JQK'[state.cards[1]]}")
    from selfplay.games.leduc import CARD_NAMES

    return Text(f"cards: p0 {CARD_NAMES[state.cards[0]]}, p1 {CARD_NAMES[state.cards[1]]}, "
                f"public {CARD_NAMES[state.cards[2]]}")


# ---- dispatch ---------------------------------------------------------------------------
BOARDS, POKER = ("tictactoe", "connect4"), ("kuhn", "leduc")


def move_line(state: State, action: int) -> Text:
    """The action as the table announces it, before it is applied."""
    name = state.game.name
    if name == "doudizhu":
        if action >= PASS:
            return Text(state.action_to_string(action), style="dim" if action == PASS else None)
        return cards_text(state.action_to_string(action)).append(f"  ({move_type(action)})", style="dim")
    if name in POKER:
        return Text(poker_label(state, action))
    return Text(state.action_to_string(action))


def table_view(state: State, seat: int, names: list[str], labels: list[str]):
    """The position as the person at ``seat`` sees it; ``names``/``labels``: who sits where
    (``you``, ``seat 1``) and which agent plays there."""
    name = state.game.name
    if name == "doudizhu":
        return doudizhu_table(state, seat, names, labels)
    if name in BOARDS:
        return board_view(state, seat)
    if name in POKER:
        return poker_view(state, seat)
    return Group(Text(str(state)), Text(f"you are seat {seat}", style="dim"))


def legal_view(state: State):
    if state.game.name == "doudizhu":
        return doudizhu_legal(state)
    legal = state.legal_actions()
    if state.game.name in BOARDS:
        what = "free cells" if state.game.name == "tictactoe" else "open columns"
        return Text(f"{what}: " + " ".join(map(str, legal)))
    label = poker_label if state.game.name in POKER else (lambda s, a: s.action_to_string(a))
    shown = [f"{a} {label(state, a)}" if label(state, a) != str(a) else str(a) for a in legal]
    return Text("actions (type the number or the name): " + " · ".join(shown))


def outcome(returns: list[float], seat: int) -> str:
    """``win``, ``loss`` or ``draw`` for ``seat``: a win is the best return of an uneven end."""
    best = max(returns)
    if min(returns) == best:
        return "draw"
    return "win" if returns[seat] == best else "loss"


def result_view(state: State, seat: int, names: list[str], labels: list[str]):
    if state.game.name == "doudizhu":
        return doudizhu_result(state, seat, names, labels)
    returns = state.returns()
    verdict = {"draw": Text("A draw.", style="bold"), "win": Text("You win!", style="bold green"),
               "loss": Text("You lose.", style="bold red")}[outcome(returns, seat)]
    parts: list = [table_view(state, seat, names, labels)] if state.game.name in BOARDS else []
    if state.game.name in POKER:
        parts.append(poker_showdown(state))
    points = " · ".join(f"{names[s]} {r:+g}" for s, r in enumerate(returns))
    return Group(*parts, verdict, Text(f"points: {points}"))
