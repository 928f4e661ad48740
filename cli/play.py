"""``selfplay play``: a person against agents, at the terminal.

The person takes one seat (``--seat``); agents take the others (``--agent``,
else the best-rated snapshot of ``--league DIR``, else the game's default
agent). The loop reads one line per prompt from a stream, the terminal or a
test's script, and prints what ``render`` draws. Nothing typed ends in a
traceback: a move that cannot be played is explained and asked again, and
``quit``, the end of input (Ctrl-D) or Ctrl-C leave with a goodbye (exit code
0, or 130 after Ctrl-C).
"""

from __future__ import annotations

import secrets
import sys
import time
from typing import TextIO

import click
import numpy as np
from rich.console import Console, Group
from rich.rule import Rule
from rich.text import Text

from selfplay import agents
from selfplay.cli import render
from selfplay.cli.completion import complete_game
from selfplay.games import Game, IllegalActionError, State, make
from selfplay.games.doudizhu import PASS, CardError, MoveError, beats_index, index_of, move_info
from selfplay.games.doudizhu.cards import format_counts, parse_counts

MAX_LINE = 200  # longer than any move of any game: longer lines are refused, not parsed
COMMANDS = "? moves · hint · history · help · quit"
HOW_TO_MOVE = {
    "doudizhu": "Type your cards (33, 345678, TTTJJJ45, BR; 10 = T; any case) or pass.",
    "tictactoe": "Type a free cell's number (0-8, row by row).",
    "connect4": "Type a column's number (0-6).",
    "kuhn": "Type an action's name or number: pass (check/fold) or bet (call).",
    "leduc": "Type an action's name or number: fold, call (check) or raise (bet).",
}


class Rejected(ValueError):
    """A line that is not a move here; the message says why, and the person tries again."""


class Leave(Exception):
    """The person leaves the table (``quit``, or the end of input)."""


def _main():
    """``selfplay.cli.main`` (UserError, build_game, console), imported when the command
    runs: main.py imports this module at its end (see cli/league.py)."""
    from selfplay.cli import main
    return main


# ---- reading moves ------------------------------------------------------------------------
def _kind(move) -> str:
    label = render.TYPE_LABELS[move.type]
    return f"{label} of {move.size} cards" if move.length > 1 else label


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def parse_doudizhu_move(state: State, text: str) -> int:
    """The action of a typed DouDizhu move (or bid), else Rejected saying why it cannot be
    played: unknown cards, not in hand, not a valid combination, does not beat, cannot pass."""
    if state.landlord is None:
        try:
            return state.string_to_action(text)
        except IllegalActionError:
            raise Rejected(f"{text!r} is not a bid here: pass, or bid more than the highest bid so far "
                           "(1, 2 or 3)") from None
    try:
        counts = parse_counts(text)
    except CardError as err:
        raise Rejected(f"unknown cards: {err}" if err.reason == "not a card" else str(err)) from None
    hand = state.hand(state.current_player)
    to_beat = state.to_beat
    if not any(counts):
        if to_beat is None:
            raise Rejected("you lead this trick, so you cannot pass: play any move (? lists them)")
        return PASS
    cards = format_counts(counts)
    missing = [max(0, want - have) for want, have in zip(counts, parse_counts(hand))]
    if any(missing):
        raise Rejected(f"not in hand: you do not hold {format_counts(missing)} (your hand: {hand})")
    try:
        action = index_of(cards)
    except MoveError:
        raise Rejected(f"{cards} is not a valid combination (? lists the moves you can play)") from None
    if to_beat is not None and not beats_index(action, index_of(to_beat)):
        mine, target = move_info(action), move_info(index_of(to_beat))
        if target.type == "rocket":
            why = "nothing beats the rocket; pass"
        elif (mine.type, mine.length) != (target.type, target.length):
            why = f"{cards} is {_a(_kind(mine))}; play a higher {_kind(target)}, a bomb or the rocket, or pass"
        else:
            why = f"play {_a(_kind(target))} higher than {to_beat}, a bomb or the rocket, or pass"
        raise Rejected(f"{cards} does not beat {to_beat}: {why}")
    return action


def parse_action(state: State, text: str) -> int:
    """The action of a typed number or name (as ``action_to_string`` names it, any case)."""
    word = text.strip()
    legal = state.legal_actions()
    if word.isdecimal() and len(word) < 10:
        if int(word) in legal:
            return int(word)
        raise Rejected(f"{word} is not a legal action here")
    try:
        return state.string_to_action(word)
    except (ValueError, LookupError):  # IllegalActionError, or an adapter's own complaint
        raise Rejected(f"{word!r} is not an action here") from None


# ---- seats and agents ------------------------------------------------------------------------
def parse_seat(text: str | None, game: Game) -> int:
    """``--seat``: a seat number, or for DouDizhu ``landlord``/``peasant`` (the seat after
    the landlord; ``landlord_down``/``landlord_up`` name either peasant). Default: the
    landlord in DouDizhu, else seat 0 (the first to move)."""
    n = game.num_players
    doudizhu = game.name == "doudizhu"
    landlord = game.new_initial_state(seed=0).landlord if doudizhu else None  # None while bidding decides
    word = (text or ("landlord" if landlord is not None else "0")).strip().lower()
    roles = {"landlord": 0, "peasant": 1, "landlord_down": 1, "landlord_up": 2}
    if doudizhu and word in roles:
        if landlord is None:
            raise _main().UserError(f"--seat {word}: with bidding the bids choose the landlord; "
                                    "give --seat 0, 1 or 2")
        return (landlord + roles[word]) % n
    if word.isdecimal() and int(word) < n:
        return int(word)
    choices = f"0 to {n - 1}" + (", landlord or peasant" if doudizhu else "")
    raise _main().UserError(f"--seat {text!r}: give a seat number {choices}")


def league_snapshot(directory: str, game_name: str) -> tuple[str, str, dict]:
    """(agent spec, name, game options) of the league's best snapshot: the highest overall
    rating of the latest saved fit, or the latest snapshot before any fit."""
    from selfplay.league.store import LeagueError, LeagueStore

    try:
        with LeagueStore.open(directory, expect_game=game_name) as store:
            best = store.best_snapshot()
            if best is None:
                raise LeagueError(f"{directory}: the league has no snapshots yet; play with --agent instead")
            return store.agent_spec(best), best.name, dict(store.game_options)
    except LeagueError as err:
        raise _main().UserError(str(err)) from None


def seat_specs(game: Game, seat: int, specs: tuple[str, ...]) -> list[str | None]:
    """Per seat, the agent spec (None at the person's seat): one spec fills every other
    seat, or one per other seat in seat order; none: the game's default agent."""
    others = [s for s in range(game.num_players) if s != seat]
    specs = specs or (agents.default_spec(game.name, dict(game.info.options)),)
    if len(specs) == 1:
        specs = specs * len(others)
    if len(specs) != len(others):
        raise _main().UserError(f"{game.name}: give one --agent for all {len(others)} other seats or one per "
                                f"seat ({len(others)}), not {len(specs)}")
    per_seat: list[str | None] = [None] * game.num_players
    for s, spec in zip(others, specs):
        per_seat[s] = spec
    return per_seat


def agent_label(spec: str, labels: dict[str, str]) -> str:
    """How the table names an agent: its label if given, a checkpoint by its file name."""
    return labels.get(spec) or agents.short_name(spec)


def derived_seed(seed: int, stream: int) -> int:
    return int(np.random.SeedSequence([seed, stream]).generate_state(1)[0])


# ---- the table ----------------------------------------------------------------------------
class Session:
    """A person at ``seat`` against agents at the other seats, deal after deal: deal ``k``
    (from 0) uses seed ``seed + k``, so ``--seed`` replays any deal shown on screen."""

    def __init__(self, game: Game, seat: int, specs: list[str | None], *, seed: int, stdin: TextIO,
                 console: Console, labels: dict[str, str] | None = None) -> None:
        self.game, self.seat, self.seed, self.stdin, self.console = game, seat, seed, stdin, console
        label = lambda spec: agent_label(spec, labels or {})  # noqa: E731
        self.names = ["you" if s == seat else f"seat {s}" for s in range(game.num_players)]
        self.labels = ["" if spec is None else label(spec) for spec in specs]
        self._agents = {}  # one agent per distinct spec, as the arena seats them
        for spec in dict.fromkeys(s for s in specs if s is not None):
            self.out(Text(f"loading {label(spec)}…", style="dim"))
            self._agents[spec] = agents.load(spec, game)
        self.seat_agent = {s: self._agents[spec] for s, spec in enumerate(specs) if spec is not None}
        self.hint_spec = next((spec for spec in specs if spec is not None), None)
        self.hint_label = label(self.hint_spec) if self.hint_spec else "no agent"
        self._hint_agent = None
        self.deal_seed = seed
        # CPU seconds of each agent move (this process, all threads): the wait a person has on an
        # idle machine, and unlike wall time not inflated by whatever else the machine runs
        self.agent_seconds: list[float] = []
        self.state: State | None = None
        self.games = self.wins = 0
        self.points = 0.0
        self.how_to_move = HOW_TO_MOVE.get(game.name, "Type an action's number or name.")

    def out(self, renderable) -> None:
        self.console.print(renderable, highlight=False)

    def run(self) -> int:
        """Deals until the person leaves; the exit code: 0, or 130 after Ctrl-C."""
        code = 0
        try:
            deal = 0
            while True:
                self.play_deal(self.seed + deal)
                if not self.ask_again():
                    break
                deal += 1
        except Leave:
            pass
        except KeyboardInterrupt:
            self.console.print()
            code = 130
        tally = ""
        if self.games:
            tally = (f"You played {self.games} game{'s' * (self.games > 1)}: {self.wins} won, "
                     f"points {self.points:+g}. ")
        self.out(Text(tally + "Goodbye."))
        return code

    def play_deal(self, seed: int) -> State:
        state = self.state = self.game.new_initial_state(seed=seed)
        self.deal_seed = seed
        self.log: list[Text] = []
        for i, agent in enumerate(self._agents.values()):
            agent.reset(derived_seed(seed, i))
        if self._hint_agent is not None:
            self._hint_agent.reset(derived_seed(seed, len(self._agents)))
        self.out(Rule(f"{self.game.name} · game {self.games + 1} · seed {seed}"))
        self.out(Text(f"{self.how_to_move}  {COMMANDS}", style="dim"))
        while not state.is_terminal():
            player = state.current_player
            action = self.human_move(state) if player == self.seat else self.agent_move(state, player)
            who = self.names[player] + (f" ({self.labels[player]})" if self.labels[player] else "")
            line = Text(f"{who}: ").append_text(render.move_line(state, action))
            self.log.append(line)
            self.out(line)
            state.apply(action)
        self.finish(state)
        return state

    def agent_move(self, state: State, player: int) -> int:
        start = time.process_time()
        action = self.seat_agent[player].act(state)
        self.agent_seconds.append(time.process_time() - start)
        return action

    def human_move(self, state: State) -> int:
        self.out(render.table_view(state, self.seat, self.names, self.labels))
        while True:
            line = self.read("your move> ")
            word = " ".join(line.split()).lower()
            if len(line) > MAX_LINE:
                self.out(Text(f"that line has {len(line):,} characters; no move is longer than {MAX_LINE}",
                              style="red"))
            elif not word:
                self.out(render.table_view(state, self.seat, self.names, self.labels))
                self.out(Text(f"{self.how_to_move}  {COMMANDS}", style="dim"))
            elif word in ("quit", "exit"):
                raise Leave
            elif word == "?":
                self.out(render.legal_view(state))
            elif word == "help":
                self.out(Text(f"{self.how_to_move}\n? lists your legal moves, hint asks {self.hint_label} what it "
                              "would play, history shows the game so far, Enter shows the table, quit leaves."))
            elif word == "hint" and self.hint_spec is None:
                self.out(Text("no agent sits at this table to ask for a hint", style="dim"))
            elif word == "hint":
                self.out(Text(f"hint ({self.hint_label}): ").append_text(
                    Text(state.action_to_string(self.hint(state)), style="bold")))
            elif word == "history":
                self.out(self.history_view(state))
            else:
                try:
                    if self.game.name == "doudizhu":
                        return parse_doudizhu_move(state, line)
                    return parse_action(state, line)
                except Rejected as err:
                    self.out(Text(str(err), style="red"))
                    if self.game.name != "doudizhu":
                        self.out(render.legal_view(state))

    def hint(self, state: State) -> int:
        if self._hint_agent is None:  # its own agent, so hints never change how the opponents play
            self._hint_agent = agents.load(self.hint_spec, self.game)
            self._hint_agent.reset(derived_seed(self.deal_seed, len(self._agents)))
        return self._hint_agent.act(state)

    def history_view(self, state: State):
        if self.game.name == "doudizhu":
            return render.doudizhu_history(state, self.names)
        return Group(Text("moves so far:", style="dim"), *self.log) if self.log else Text("no moves yet")

    def finish(self, state: State) -> None:
        self.out(Rule("game over"))
        self.out(render.result_view(state, self.seat, self.names, self.labels))
        returns = state.returns()
        self.games += 1
        self.wins += render.outcome(returns, self.seat) == "win"
        self.points += returns[self.seat]

    def ask_again(self) -> bool:
        what = " with a new deal" if self.game.name in ("doudizhu", "kuhn", "leduc") else ""
        while True:
            word = self.read(f"play again{what}? [y/n] ").strip().lower()
            if word in ("y", "yes"):
                return True
            if word in ("n", "no", "quit", "exit"):
                return False
            self.out(Text("answer y (a new game) or n (leave)", style="dim"))

    def read(self, prompt: str) -> str:
        """One line from the input, without its newline; Leave at the end of input."""
        while True:
            self.console.print(prompt, end="", markup=False, highlight=False)
            try:
                line = self.stdin.readline()
            except UnicodeDecodeError:
                self.out(Text("could not read that line as text; try again", style="red"))
                continue
            if not line:
                self.console.print()
                raise Leave
            return line.rstrip("\r\n")


# ---- the command -----------------------------------------------------------------------------
@click.command("play")
@click.argument("game_name", metavar="GAME", shell_complete=complete_game)
@click.option("--agent", "-a", "specs", multiple=True, metavar="SPEC",
              help="The agent at the other seats: once for all, or once per seat in seat order "
                   "[default: the best snapshot of --league, else the game's default agent "
                   "(DouDizhu: the released model if there is one, else rlcard-rule; else mcts:sims=1000)].")
@click.option("--league", "league_dir", type=click.Path(file_okay=False), default=None,
              help="Play against the best-rated snapshot of this league directory.")
@click.option("--seat", default=None, metavar="N|landlord|peasant",
              help="Your seat, from 0; DouDizhu also takes landlord or peasant "
                   "[default: landlord in DouDizhu, else 0, the first to move].")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Seed of the first deal and of the agents; each new deal takes the next seed "
                   "[default: a random one, shown on screen].")
@click.option("--option", "-o", "options", multiple=True, metavar="KEY=VALUE", help="A game option (repeatable).")
def play_command(game_name, specs, league_dir, seat, seed, options) -> None:
    """Play against agents in the terminal: you take one seat, agents the others.

    \b
    Examples:
      selfplay play doudizhu                          # you are the landlord
      selfplay play doudizhu --seat peasant --agent rlcard-rule --seed 7
      selfplay play doudizhu --league runs/league     # against the league's best snapshot
      selfplay play connect4 --agent mcts:sims=2000
      selfplay play kuhn

    \b
    At the prompt type a move (DouDizhu: 33, 345678, TTTJJJ45, BR, pass;
    tictactoe: a cell 0-8; connect4: a column 0-6; poker: an action's name
    or number), ? for the legal moves, hint, history, help, or quit (Ctrl-D).
    """
    main = _main()
    game = main.build_game(game_name, options)
    labels = {}
    if league_dir is not None:
        if specs:
            raise main.UserError("give --agent or --league, not both")
        spec, name, league_options = league_snapshot(league_dir, game.name)
        if not options and league_options != dict(game.info.options):
            game = make(game.name, **league_options)  # the game the league's snapshots learned
        specs, labels = (spec,), {spec: f"{name} (league)"}
    human = parse_seat(seat, game)
    per_seat = seat_specs(game, human, specs)
    if seed is None:
        seed = secrets.randbelow(1_000_000)
    stdin = sys.stdin
    if hasattr(stdin, "reconfigure"):  # stray bytes that are not UTF-8 become U+FFFD, then "unknown cards"
        try:
            stdin.reconfigure(errors="replace")
        except (ValueError, OSError):
            pass
    try:
        session = Session(game, human, per_seat, seed=seed, stdin=stdin, console=main.console, labels=labels)
    except agents.AgentSpecError as err:
        raise main.UserError(str(err)) from None
    except KeyboardInterrupt:
        main.console.print("\nGoodbye.")
        sys.exit(130)
    code = session.run()
    if code:
        sys.exit(code)
