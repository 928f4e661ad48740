"""The evaluation scheduler: keep playing rated matches where ratings are least certain.

Evaluation games are not the learner's training games: they are greedy,
fixed-deck and role-swapped (``arena.play(decks=...)``), so every result in
the ratings is a fair comparison. Each round plays one pairing for
``decks`` deals (every deal once per seat rotation) and records the games in
the store in one transaction; a round killed half-way records nothing.

Which pairing (``choose_pairing``), given the current fit:

1. a player with fewer than ``min_games`` rated games goes first (new
   snapshots enter the table quickly), the newest first;
2. otherwise the player whose rating interval is widest;
3. its opponent maximises p (1 - p) / (1 + n / decks), p the fitted chance
   that one beats the other and n the games they have already played each
   other: even matches carry the most information about a rating difference
   (the Fisher information of one Bradley-Terry game is p (1 - p)), and pairs
   already played many times give way to fresh ones.

Perfect-information games without chance (tictactoe, connect4) start every
deal with a few random opening moves (``openings``), or two deterministic
agents would only ever play the same game.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from typing import Hashable, Sequence


from selfplay import arena
from selfplay.agents import load
from selfplay.arena import derive_seed
from selfplay.league.ratings import Fit, Result, head_to_head
from selfplay.league.store import LeagueStore, Player


@dataclass(frozen=True)
class EvaluationConfig:
    decks: int = 20  # deals per round; each is played once per seat rotation
    min_games: int = 200  # rated games a player needs before uncertainty alone decides
    refit_rounds: int = 5  # save a ratings fit every this many rounds (and whenever a player joins)
    openings: int | None = None  # random opening moves per deal; None: 2 for games without chance, else 0


def default_openings(game) -> int:
    """Random opening moves for a game's evaluation deals: 2 where nothing else varies a game."""
    return 2 if game.info.perfect_information else 0


def choose_pairing(players: Sequence[Hashable], fit: Fit | None, results: Sequence[Result],
                   config: EvaluationConfig) -> tuple[Hashable, Hashable]:
    """The next pairing (see the module docstring); ``players`` in the order they joined."""
    if len(players) < 2:
        raise ValueError("a pairing needs two players")
    games = rated_games(players, results)
    newcomers = [p for p in players if games[p] < config.min_games]
    if newcomers:
        first = newcomers[-1]
    else:
        first = max(reversed(players), key=lambda p: _sd(fit, p))
    best, best_value = None, -math.inf
    for other in reversed(players):
        if other == first:
            continue
        p = fit.expected_score(first, other) if fit is not None and _rated(fit, first, other) else 0.5
        played = head_to_head(results, first, other).games
        value = p * (1 - p) / (1 + played / (config.decks * 2))
        if value > best_value:
            best, best_value = other, value
    return first, best


def rated_games(players: Sequence[Hashable], results: Sequence[Result]) -> dict[Hashable, int]:
    """How many rated games each of ``players`` has played."""
    games = {p: 0 for p in players}
    for r in results:
        for p in {p for slot in r.slots for p in slot}:
            if p in games:
                games[p] += 1
    return games


def _rated(fit: Fit, *players: Hashable) -> bool:
    return all(p in fit.players for p in players)


def _sd(fit: Fit | None, player: Hashable) -> float:
    if fit is None or player not in fit.players:
        return math.inf
    return fit.players[player].sd


@dataclass(frozen=True)
class Pairing:
    """One evaluation round to play: two players and the seed of its deals."""

    players: tuple[Player, Player]
    seed: int


class Evaluator:
    """Plays evaluation rounds for one league directory (its own store connection)."""

    def __init__(self, directory, seed: int, config: EvaluationConfig = EvaluationConfig()) -> None:
        self.store = LeagueStore.open(directory)
        self.game = self.store.make_game()
        self.seed, self.config = seed, config
        self.openings = default_openings(self.game) if config.openings is None else config.openings
        self.agents: dict[int, object] = {}
        self.fit: Fit | None = None
        self.rounds = 0
        self.fitted_players = 0
        self.games_before = self.store.match_count("eval")  # at opening: seeds of rounds since count on from it

    def agent(self, player: Player):
        """The player's agent, loaded once."""
        if player.id not in self.agents:
            self.agents[player.id] = load(self.store.agent_spec(player), self.game)
        return self.agents[player.id]

    def refit(self) -> Fit | None:
        """Fit the ratings on every evaluation result and save the fit (the ratings history)."""
        try:
            self.fit = self.store.fit_ratings()
        except ValueError:  # no results yet, or the anchor has not played
            return None
        self.store.save_ratings(self.fit)
        return self.fit

    def next_pairing(self) -> Pairing | None:
        """The next round's two players and deal seed (None: fewer than two players)."""
        players = self.store.players()
        if len(players) < 2:
            return None
        if len(players) != self.fitted_players or self.rounds % self.config.refit_rounds == 0:
            self.refit()
            self.fitted_players = len(players)
        by_name = {p.name: p for p in players}
        a, b = choose_pairing([p.name for p in players], self.fit, self.store.results(), self.config)
        pa, pb = by_name[a], by_name[b]
        # a new seed per round, also for rounds in flight at once and across restarts: the games
        # stored before this evaluator opened, plus the rounds it has started since
        seed = derive_seed(self.seed, 7, self.games_before + self.rounds, pa.id, pb.id)
        self.rounds += 1
        return Pairing((pa, pb), seed)

    def record(self, pairing: Pairing, records) -> None:
        """A finished round's games, in one transaction."""
        self.store.record_matches(records, [p.id for p in pairing.players], source="eval")

    def play_round(self) -> int:
        """One pairing for ``decks`` deals, recorded; the number of games (0: fewer than two players)."""
        pairing = self.next_pairing()
        if pairing is None:
            return 0
        result = arena.play(self.game, [self.agent(p) for p in pairing.players], decks=self.config.decks,
                            seed=pairing.seed, openings=self.openings)
        self.record(pairing, result.records)
        return len(result.records)

    def close(self) -> None:
        self.store.close()


def evaluation_main(directory: str, seed: int, config: EvaluationConfig, stop, nice: int = 5) -> None:
    """Entry point of the evaluation process: rounds until ``stop`` is set (or the parent dies),
    then a last ratings fit. It runs at a lower priority, so training keeps its cores."""
    import torch

    torch.set_num_threads(1)
    try:
        os.nice(nice)
    except OSError:
        pass
    parent = os.getppid()
    evaluator = Evaluator(directory, seed, config)
    try:
        while not stop.is_set() and os.getppid() == parent:
            if evaluator.play_round() == 0:
                time.sleep(0.5)
        evaluator.refit()
    except KeyboardInterrupt:
        pass  # the loop sets stop and fits once more itself
    finally:
        evaluator.close()


def evaluate_on_ray(directory, seed: int, config, stop, in_flight: int = 2, nice: int = 5) -> None:
    """The league's evaluation scheduler with its matches as Ray tasks: pairings chosen and
    results written here (in the driver), each round's games in one transaction when its
    task finishes; until ``stop``, then a last ratings fit. A round lost with its worker is
    dropped (played again later, never counted twice); one still running at ``stop`` too."""
    from selfplay.backends.ray_cluster import match_task, ray_module

    ray = ray_module()
    task = ray.remote(num_cpus=1, max_retries=0)(match_task)
    evaluator = Evaluator(directory, seed, config)
    shipped: dict[int, object] = {}  # player id -> its agent, in the object store
    pending: dict = {}
    try:
        while not stop.is_set():
            while len(pending) < in_flight:
                pairing = evaluator.next_pairing()
                if pairing is None:
                    break
                agents = []
                for player in pairing.players:
                    if player.id not in shipped:
                        shipped[player.id] = ray.put(evaluator.agent(player))
                    agents.append(shipped[player.id])
                ref = task.remote(evaluator.game, config.decks, pairing.seed, evaluator.openings, nice, *agents)
                pending[ref] = pairing
            if not pending:
                stop.wait(0.5)
                continue
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
            for ref in ready:
                pairing = pending.pop(ref)
                try:
                    records = ray.get(ref)
                except ray.exceptions.RayTaskError:
                    raise  # the match's code failed: not a lost worker
                except ray.exceptions.RayError as err:
                    logging.getLogger("selfplay").warning("selfplay: an evaluation round was lost (%s); it is not counted", type(err).__name__)
                    continue
                evaluator.record(pairing, records)
        for ref in pending:
            ray.cancel(ref, force=True)
        evaluator.refit()
    finally:
        evaluator.close()

