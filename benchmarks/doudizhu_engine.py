"""DouDizhu engine speed: ours against RLCard 1.2.0's raw engine (and OpenSpiel's C++ one).

Two figures, on one core, in one run:

* random-play full games per second: a random agent picks
  ``choice(state.legal_actions())`` and calls ``state.apply(a)`` until the game
  ends, through our public ``State`` API (``new_initial_state`` included), and
  the same loop on RLCard's ``DoudizhuGame`` (``init_game`` / ``step``; the
  legal actions come with every state it returns) and on OpenSpiel's
  ``dou_dizhu`` (C++, which also plays its deal as chance nodes and a bidding
  phase). The agent draws with Python's ``random.Random.choice`` for every
  engine, so the agent costs the same everywhere; our engine is also timed
  with numpy agents, ``a[rng.integers(len(a))]`` and ``rng.choice(a)`` (the
  latter costs about 4 us a call by itself, more than our engine's step).
* legal-move generation calls per second on the same positions (hand + move
  to beat, collected from random games), against RLCard's judger as RLCard's
  game calls it (``playable_cards_from_hand(hand string)`` when leading,
  ``get_gt_cards(player, greater_player)`` when following; move strings out),
  two ways:

  - like for like: ours ``legal_moves(hand, to_beat)`` with notation strings
    in and move strings out, as RLCard's;
  - packed: ours ``legal_indices(packed hand, move index)``, the call our
    engine makes (an int in, move indices out).

  Each generator is timed in three rounds, taking turns; the best round counts.

Run: ``.venv/bin/python benchmarks/doudizhu_engine.py [--seconds 3]``.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time

import numpy as np

from selfplay.games import make
from selfplay.games.doudizhu import legal_indices, legal_moves
from selfplay.games.doudizhu.moves import MOVE_CARDS


def timed(run_one, seconds: float) -> tuple[float, float]:
    """(calls per second, mean of run_one's return) running ``run_one`` for about ``seconds``."""
    count, total, start = 0, 0, time.perf_counter()
    while True:
        total += run_one()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed, total / count


def ours_games(seconds: float, seed: int, agent: str = "random.choice") -> tuple[float, float]:
    game = make("doudizhu")
    seeds = iter(range(seed, 1 << 62))
    if agent == "random.choice":
        choice = random.Random(seed).choice
    elif agent == "numpy choice":
        choice = np.random.default_rng(seed).choice
    else:  # numpy integers: index the list with one drawn integer
        integers = np.random.default_rng(seed).integers

        def choice(actions):
            return actions[integers(len(actions))]

    def one() -> int:
        state = game.new_initial_state(seed=next(seeds))
        steps = 0
        while not state.is_terminal():
            state.apply(choice(state.legal_actions()))
            steps += 1
        return steps

    return timed(one, seconds)


def rlcard_games(seconds: float, seed: int) -> tuple[float, float]:
    from rlcard.games.doudizhu.game import DoudizhuGame

    game = DoudizhuGame()
    game.np_random = np.random.RandomState(seed)
    rng = random.Random(seed)

    def one() -> int:
        state, _ = game.init_game()
        steps = 0
        while not game.is_over():
            state, _ = game.step(rng.choice(state["actions"]))
            steps += 1
        return steps

    return timed(one, seconds)


def openspiel_games(seconds: float, seed: int) -> tuple[float, float] | None:
    try:
        import pyspiel
    except ImportError:
        return None
    game = pyspiel.load_game("dou_dizhu")
    rng = random.Random(seed)

    def one() -> int:
        state = game.new_initial_state()
        steps = 0
        while not state.is_terminal():
            if state.is_chance_node():
                outcomes = state.chance_outcomes()
                state.apply_action(outcomes[rng.randrange(len(outcomes))][0])
            else:
                state.apply_action(rng.choice(state.legal_actions()))
                steps += 1
        return steps

    return timed(one, seconds)


def collect_positions(count: int, seed: int) -> list[tuple[int, str, int | None, str | None]]:
    """(packed hand, hand text, move-to-beat index or None, its text) from random games."""
    game = make("doudizhu")
    rng = random.Random(seed)
    out = []
    s = seed
    while len(out) < count:
        state = game.new_initial_state(seed=s)
        s += 1
        while not state.is_terminal():
            p = state.current_player
            beat = state._to_beat if state._to_beat >= 0 else None
            out.append((state._hands[p], state.hand(p), beat, None if beat is None else MOVE_CARDS[beat]))
            state.apply(rng.choice(state.legal_actions()))
    return out[:count]


def legal_rates(positions, seconds: float) -> dict[str, float]:
    from rlcard.games.doudizhu.judger import DoudizhuJudger
    from rlcard.games.doudizhu.utils import get_gt_cards

    class Card:
        def __init__(self, ch: str) -> None:
            self.rank, self.suit = ("", ch + "J") if ch in "BR" else (ch, "S")

    class Player:
        def __init__(self, hand: str = "", played: str = "") -> None:
            self.current_hand, self.played_cards = [Card(c) for c in hand], played

    rl_args = [(text, None) if beat is None else (Player(text), Player(played=beat_text))
               for _, text, beat, beat_text in positions]

    def ours_int() -> int:
        for packed, _, beat, _ in positions:
            legal_indices(packed, beat)
        return len(positions)

    def ours_text() -> int:
        for _, text, _, beat_text in positions:
            legal_moves(text, beat_text)
        return len(positions)

    def theirs() -> int:
        for a, b in rl_args:
            if b is None:
                DoudizhuJudger.playable_cards_from_hand(a)
            else:
                get_gt_cards(a, b)
        return len(positions)

    runs = {"ours": ours_int, "ours_text": ours_text, "rlcard": theirs}
    # three rounds, the generators taking turns, best round of each: a busy moment of a shared
    # machine then slows one round of every generator rather than all of one generator's time
    best = dict.fromkeys(runs, 0.0)
    for _ in range(3):
        for name, run in runs.items():
            best[name] = max(best[name], timed(run, seconds / 3)[0] * len(positions))
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measured row")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--positions", type=int, default=5000, help="positions for the legal-move rate")
    args = parser.parse_args(argv)
    import rlcard

    print(f"DouDizhu engine benchmark: python {platform.python_version()}, {platform.machine()}, one process/core, "
          f"{args.seconds:g} s per row, RLCard {rlcard.__version__}")
    ours_rate, ours_steps = ours_games(args.seconds, args.seed)
    int_rate, _ = ours_games(args.seconds, args.seed, agent="numpy integers")
    np_rate, _ = ours_games(args.seconds, args.seed, agent="numpy choice")
    rl_rate, rl_steps = rlcard_games(args.seconds, args.seed)
    spiel = openspiel_games(args.seconds, args.seed)
    rows = [("selfplay doudizhu, random.choice", ours_rate, ours_steps),
            ("selfplay doudizhu, a[Generator.integers(n)]", int_rate, ours_steps),
            ("selfplay doudizhu, Generator.choice(a)", np_rate, ours_steps),
            ("RLCard 1.2.0 DoudizhuGame (peer)", rl_rate, rl_steps)]
    if spiel:
        rows.append(("OpenSpiel dou_dizhu C++ (upper anchor)", spiel[0], spiel[1]))
    print("\nrandom-play full games per second")
    print(f"{'engine':44} {'games/s':>10} {'moves/game':>11} {'vs RLCard':>10}")
    for name, rate, steps in rows:
        print(f"{name:44} {rate:10.0f} {steps:11.1f} {rate / rl_rate:9.1f}x")
    print(f"ratio ours / RLCard: {ours_rate / rl_rate:.1f}x (goal: at least 10x)")

    positions = collect_positions(args.positions, args.seed + 1)
    leads = sum(1 for p in positions if p[2] is None)
    rates = legal_rates(positions, args.seconds)
    print(f"\nlegal-move generation calls per second ({len(positions)} positions from random games, {leads} leads)\n"
          f"RLCard {rlcard.__version__}'s judger: playable_cards_from_hand(hand string) to lead, "
          "get_gt_cards(player, greater_player) to follow; move strings out")
    print(f"{'':16} {'ours: the call':50} {'ours':>10} {'RLCard':>10} {'ours/RLCard':>12}")
    for kind, name, call in (("like for like", "ours_text", "legal_moves(hand str, to_beat str) -> move strs"),
                             ("packed", "ours", "legal_indices(packed hand, index) -> indices")):
        print(f"{kind:16} {call:50} {rates[name]:10.0f} {rates['rlcard']:10.0f} "
              f"{rates[name] / rates['rlcard']:11.1f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
