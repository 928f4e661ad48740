"""AlphaZero-style learning from sampled search (Silver et al. 2018; Hubert et al. 2021).

Actors play self-play games where every move comes from a sampled PUCT search
(``selfplay.search.puct``: K actions per node drawn from the network's
policy, Dirichlet noise at the root, one value per player backed up max^n)
guided by the current policy-value network. Each decision stores the
observation of the player to move, the search's visit distribution over the
sampled actions (the policy target, as Sampled MuZero trains it) and, once
the game ends, every player's return (the value target). The learner fits
cross-entropy to the visit distributions plus the squared error of the
values, Adam with weight decay, sampling uniformly from a replay buffer of
recent decisions, and publishes the weights to the actors.

Same machinery as DMC (``selfplay.learners.dmc``): local actor processes
(``selfplay.actors.ActorPool``) each run many games at once, with every
search's leaves evaluated in one network call (``search_batched``); shared
weights; the run directory (``config.json``, ``metrics.jsonl``,
``checkpoint.pt``, ``snapshots/``) and checkpoint format; ``--resume``.
``actors=0`` plays inside the learner, reproducibly.

Two networks behind one interface (``selfplay.learners.az_models``): a flat
policy head for games whose action count it can hold, and the move network
(a row per legal move, DMC's Q-network shape) for DouDizhu's 27,472; a run can
start from a DMC or az checkpoint (``warm_start``). Values are learned on each game's declared ``return_range``. On
hidden information the search sees only the mover's view (ISMCTS or PIMC over
``resample_hidden`` worlds); the poker recipe (docs/az.md) adds the Gumbel
root and target, opponents that follow their policy at their own view
(``opponents="policy"``), worlds weighted by the opponents' past moves
(``beliefs``) and a magnet on the target (``magnet``). The agent of a
checkpoint searches with the network, without noise, and plays the most
visited move (a Gumbel root: its chosen move).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from selfplay.actors import OpponentPlan, Outcome, PlanRelay, Seating
from selfplay.backends import LOCAL, Backend
from selfplay.arena import derive_seed
from selfplay.checkpoints import CheckpointError, export, load_checkpoint, origin, save_checkpoint
from selfplay.games import Game, State, make
from selfplay.learners.az_models import (MODELS, FlatModel, MoveModel, leaf_evaluator, resolve_network,
                                         warm_start_from_dmc)
from selfplay.learners.rundir import CHECKPOINT, Schedule, check_new_or_resumed, resumed_config, snapshot_path, write_record
from selfplay.locks import exclusive
from selfplay.nets import NetConfig, QNet, resolve_device
from selfplay.provenance import run_record
from selfplay.search.gumbel import GumbelPIMC
from selfplay.search.puct import PUCT, PUCTConfig, search_batched

LEARNER = "az"
LEAVES = ("network", "playout")


@dataclass
class AZConfig:
    """Hyper-parameters of an az run. AlphaZero's (Silver et al. 2018) and Sampled
    MuZero's (Hubert et al. 2021) values where they carry over, else *ours* (small games, CPU)."""

    simulations: int = 64  # ours (AlphaZero: 800): small boards, CPU
    k: int = 16  # Sampled MuZero: K sampled actions per node (all actions when fewer)
    c_puct: float = 1.25  # MuZero
    dirichlet_alpha: float = 0.3  # AlphaZero (chess)
    dirichlet_fraction: float = 0.25  # AlphaZero
    sample_moves: int = 4  # ours (AlphaZero: 30 in chess): opening moves drawn by visit count, then the most visited
    search_batch: int = 4  # ours: leaves per search per network call (virtual loss)
    games_per_actor: int = 32  # ours: games each actor searches at once, their leaves in one call
    network: str = "auto"  # "flat" (a logit per action), "moves" (a row per legal move, as DMC); auto: moves above 4,096 actions
    hidden: tuple[int, ...] = ()  # ours; () is (128, 128) for flat, DMC's (512,) * 5 for moves
    lstm_hidden: int = 128  # moves: DMC's LSTM over the recent moves
    learning_rate: float = 1e-3  # ours (Adam)
    weight_decay: float = 1e-4  # AlphaZero
    batch_size: int = 256  # ours (AlphaZero: 4096)
    replay_size: int = 20_000  # ours: decisions kept
    replay: str = "recent"  # ours: keep the most recent decisions, or "run": a uniform sample of the whole run
    replay_ratio: float = 4.0  # ours: each decision is trained on about this many times
    send_decisions: int = 256  # ours: decisions per actor -> learner message
    save_interval_minutes: float = 10.0
    log_interval_seconds: float = 5.0
    root: str = "auto"  # "puct", or "gumbel": Gumbel-top-k + sequential halving (Danihelka et al. 2022); auto: puct (flat), gumbel (moves)
    gumbel_m: int = 16  # mctx: max_num_considered_actions
    c_visit: float = 50.0  # mctx's default
    c_scale: float = 0.1  # mctx's default
    policy_target: str = "auto"  # "visits" (Sampled MuZero) or "gumbel": softmax(logits + sigma(completed Q)); auto: as root
    pimc_worlds: int = 0  # hidden information: 0 searches by ISMCTS, N > 0 by PIMC over N resample_hidden worlds
    rescale: str = "minmax"  # Gumbel target: Q rescaled by the root's min and max (mctx) or "range" (the game's)
    magnet: float = 0.0  # Gumbel target regularised toward uniform (PUCTConfig.magnet)
    opponents: str = "search"  # ISMCTS: "policy" moves the opponents by their policy at their own view (PUCTConfig)
    beliefs: int = 0  # hidden information: 0 draws worlds uniformly, N > 0 from N weighted by the opponents' moves
    full_search_fraction: float = 0.0  # playout cap randomization: the share of moves searched in full; 0 (auto): 1 (flat), 0.25 (moves: KataGo's)
    cheap_simulations: int = 8  # the other moves' searches (KataGo: 100 of 600); they train the value only
    init_temperature: float = 0.1  # --init from DMC: the initial logits are Q / this (points)
    leaf: str = "network"  # ours: a leaf's value from the network, or "playout": the return of playing it out by the network's greedy moves

    def __post_init__(self) -> None:
        self.hidden = tuple(int(h) for h in self.hidden)
        if not 0 <= self.full_search_fraction <= 1:
            raise ValueError(f"az: full_search_fraction must be in (0, 1] (0: auto), not {self.full_search_fraction}")
        if self.cheap_simulations < 1:
            raise ValueError(f"az: cheap_simulations must be at least 1, not {self.cheap_simulations}")
        if self.root not in ("auto", "puct", "gumbel"):
            raise ValueError(f"az: root must be puct or gumbel (or auto), not {self.root!r}")
        if self.policy_target not in ("auto", "visits", "gumbel"):
            raise ValueError(f"az: policy_target must be visits or gumbel (or auto), not {self.policy_target!r}")
        if self.policy_target == "gumbel" and self.root == "puct":
            raise ValueError("az: policy_target=gumbel needs root=gumbel (the completed Q comes from its search)")
        if self.replay not in ("recent", "run"):
            raise ValueError(f"az: replay must be recent or run, not {self.replay!r}")
        if self.beliefs < 0:
            raise ValueError(f"az: beliefs must be 0 (uniform worlds) or more candidates, not {self.beliefs}")
        if self.leaf not in LEAVES:
            raise ValueError(f"az: leaf must be network or playout, not {self.leaf!r}")
        if self.pimc_worlds < 0:
            raise ValueError(f"az: pimc_worlds must be 0 (ISMCTS) or more, not {self.pimc_worlds}")

    @classmethod
    def from_dict(cls, data: dict) -> "AZConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def search(self, noise: bool) -> PUCTConfig:
        """The search's settings; ``noise``: self-play's exploration (Dirichlet at a PUCT root,
        Gumbel draws at a Gumbel root), none when an agent plays. (A root still ``auto``, not
        ``resolved`` for a game, is PUCT.)"""
        return PUCTConfig(simulations=self.simulations, k=self.k, c_puct=self.c_puct, batch=self.search_batch,
                          dirichlet_alpha=self.dirichlet_alpha,
                          dirichlet_fraction=self.dirichlet_fraction if noise else 0.0,
                          root="puct" if self.root == "auto" else self.root, gumbel_m=self.gumbel_m, c_visit=self.c_visit, c_scale=self.c_scale,
                          gumbel_scale=1.0 if noise else 0.0, rescale=self.rescale, magnet=self.magnet, opponents=self.opponents,
                          beliefs=self.beliefs)


def make_search(game: Game, evaluator, config: PUCTConfig, worlds: int, rng: int):
    """The search of one game: on hidden information, ISMCTS (``worlds`` 0) or PIMC over
    ``worlds`` resampled worlds; plain PUCT on perfect information. None of them reads a card
    the mover has not seen: every world is ``resample_hidden``'s."""
    if worlds and not game.info.perfect_information:
        return GumbelPIMC(evaluator, config, worlds=worlds, rng=rng)  # plain PIMC under a PUCT root
    return PUCT(evaluator, config, rng=rng)


def policy_target(result, policy: str) -> dict[int, float]:
    """The policy a decision trains toward: the root's visit distribution, or the Gumbel root's
    improved policy (every legal action)."""
    if policy == "gumbel":
        return dict(result.target)
    total = sum(result.counts.values())
    return {a: n / total for a, n in result.counts.items()}


#: What ``--set`` may change when a run resumes (``rundir.resumed_config``): all but the network's shape.
SAFE_ON_RESUME = frozenset(f.name for f in fields(AZConfig) if f.name not in ("hidden", "network", "lstm_hidden"))


def resolved(config: AZConfig, game: Game) -> AZConfig:
    """``config`` with every ``auto`` chosen for ``game``: the network (``moves`` above 4,096
    actions), and by it the sizes, the root, the target and the playout cap. A flat network
    keeps AlphaZero's PUCT root and visit target and searches every move in full; the move
    network, for DouDizhu's 27,472 moves and few simulations, the Gumbel root and target,
    and a full search on a quarter of the moves (KataGo)."""
    network = resolve_network(config.network, game)
    flat = network == "flat"
    root = config.root if config.root != "auto" else (
        "gumbel" if config.policy_target == "gumbel" or not flat else "puct")
    target = config.policy_target if config.policy_target != "auto" else ("gumbel" if root == "gumbel" else "visits")
    fraction = config.full_search_fraction or (1.0 if flat else 0.25)
    return replace(config, network=network, hidden=config.hidden or ((128, 128) if flat else (512,) * 5),
                   root=root, policy_target=target, full_search_fraction=fraction)


def net_configs(game: Game, config: AZConfig) -> list:
    """The networks' configs of a run of ``config`` on ``game``."""
    config = resolved(config, game)
    if config.network == "flat":
        return FlatModel.configs(game, config.hidden)
    return MoveModel.configs(game, config.hidden, config.lstm_hidden)


def build_model(game: Game, network: str, configs: list) -> FlatModel | MoveModel:
    return MODELS[resolve_network(network, game)](game, configs)


def new_model(game: Game, config: AZConfig) -> FlatModel | MoveModel:
    """A freshly initialised model of ``config`` for ``game``."""
    return build_model(game, resolve_network(config.network, game), net_configs(game, config))


def checkpoint_model(path, data: dict, game: Game) -> FlatModel | MoveModel:
    """The model of a loaded az checkpoint, its weights in float32; CheckpointError if its
    networks do not fit ``game``'s observations, features and actions."""
    network = data["config"].get("network", "flat")
    cfgs = [MODELS[network].config_from_dict(c) for c in data["net_configs"]]
    shape = AZConfig(network=network, hidden=cfgs[0].hidden if network == "flat" else cfgs[0].mlp,
                     lstm_hidden=getattr(cfgs[0], "lstm_hidden", 128))
    if cfgs != net_configs(game, shape):
        raise CheckpointError(f"{path}: its network does not fit {game!r}'s observations and actions")
    model = build_model(game, network, cfgs)
    for net, weights in zip(model.nets, data["models"]):
        net.load_state_dict({k: v.float() for k, v in weights.items()})
    return model


# ---- actors -------------------------------------------------------------------------------
@dataclass
class Decisions:
    """Finished decisions, as the model's training rows (``FlatModel.rows``, ``MoveModel.rows``:
    what the mover saw, the policy target, every player's return)."""

    rows: list[tuple] = field(default_factory=list)
    episodes: int = 0
    outcomes: list[Outcome] = field(default_factory=list)  # games against league opponents

    def __len__(self) -> int:
        return len(self.rows)


class SelfPlay:
    """``games_per_actor`` self-play games searched together (one network call per round of
    leaves). Under a league's ``OpponentPlan`` a game may seat opponents (past snapshots,
    baselines): they play their own moves, and only the learner's decisions are kept."""

    def __init__(self, game: Game, model: FlatModel | MoveModel, config: AZConfig, seed: int) -> None:
        config = resolved(config, game)
        self.game, self.model, self.config = game, model, config
        self.rng = np.random.default_rng(seed)
        self.evaluator = leaf_evaluator(model, config.leaf)
        self.searches = [make_search(game, self.evaluator, config.search(noise=True), config.pimc_worlds,
                                     int(self.rng.integers(1 << 62))) for _ in range(config.games_per_actor)]
        self.seating = Seating(game, self.rng)
        self.tables: list[tuple[str | None, ...] | None] = [None] * config.games_per_actor
        self.states = [self._new_game(i) for i in range(config.games_per_actor)]
        self.records: list[list[tuple]] = [[] for _ in self.states]
        self.done: list[Decisions] = []
        self.moves = [0] * len(self.states)

    def _new_game(self, i: int) -> State:
        self.searches[i].reset()
        self.tables[i] = self.seating.draw()
        return self.game.new_initial_state(seed=int(self.rng.integers(1 << 62)))

    def set_plan(self, plan: OpponentPlan) -> None:
        """Seat the next games by ``plan``; games under way finish as they are."""
        self.seating.set_plan(plan, self.tables)

    def step(self) -> None:
        """One move in every game: the learner's by the batched search, the opponents' by their agents."""
        mine = []
        for i, state in enumerate(self.states):
            table = self.tables[i]
            if table is not None and table[state.current_player] is not None:
                state.apply(self.seating.agent(table[state.current_player]).act(state))
                self.moves[i] += 1
                if state.is_terminal():
                    self._finish(i)
            elif len(state.legal_actions()) == 1:  # a forced move: nothing to search, its target is certain
                self._record_and_play(i, {state.legal_actions()[0]: 1.0}, state.legal_actions()[0], 1.0)
            else:
                mine.append(i)
        full = set(mine)
        if self.config.full_search_fraction < 1:  # playout cap randomization (KataGo)
            full = {i for i in mine if self.rng.random() < self.config.full_search_fraction}
        with torch.inference_mode():
            results = {}
            for part, sims in (([i for i in mine if i in full], None),
                               ([i for i in mine if i not in full], self.config.cheap_simulations)):
                puct = [i for i in part if isinstance(self.searches[i], PUCT)]
                results.update(zip(puct, search_batched([self.searches[i] for i in puct],
                                                        [self.states[i] for i in puct], sims)))
                for i in part:  # PIMC: each game's worlds in one batch (its search runs them together)
                    if i not in results:
                        results[i] = self.searches[i].search(self.states[i], sims)
        for i in mine:
            state, result = self.states[i], results[i]
            wanted = policy_target(result, self.config.policy_target)
            if self.config.root == "puct" and self.moves[i] < self.config.sample_moves:
                visits = policy_target(result, "visits")  # a Gumbel root's move is already drawn
                actions = list(visits)
                action = int(actions[self.rng.choice(len(actions), p=np.fromiter(visits.values(), float))])
            else:
                action = result.action
            self._record_and_play(i, wanted, action, 1.0 if i in full else 0.0)

    def _record_and_play(self, i: int, target: dict[int, float], action: int, weight: float) -> None:
        """Keep game ``i``'s decision (its policy target weighing ``weight``) and play ``action``."""
        state = self.states[i]
        self.records[i].append(self.model.sample(state, target, action, weight))
        state.apply(action)
        self.moves[i] += 1
        if state.is_terminal():
            self._finish(i)

    def _finish(self, i: int) -> None:
        returns = self.states[i].returns()
        outcome = Seating.outcome(self.tables[i], returns)
        self.done.append(Decisions(self.model.rows(self.records[i], returns), 1, [outcome] if outcome else []))
        self.records[i], self.moves[i] = [], 0
        self.states[i] = self._new_game(i)

    def collect(self, min_decisions: int) -> Decisions:
        while sum(len(d) for d in self.done) < min_decisions:
            self.step()
        done, self.done = self.done, []
        return Decisions([r for d in done for r in d.rows], sum(d.episodes for d in done),
                         [o for d in done for o in d.outcomes])


@dataclass(frozen=True)
class AZActorSettings:
    game_name: str
    game_options: dict
    net_configs: list
    config: AZConfig


def build_az_actor(actor_id: int, seed: int, settings: AZActorSettings):
    """An az actor from its settings: (self-play, its networks, decisions per message)."""
    game = make(settings.game_name, **settings.game_options)
    model = build_model(game, settings.config.network, settings.net_configs)
    for net in model.nets:
        net.eval()
    return SelfPlay(game, model, settings.config, seed), model.nets, settings.config.send_decisions


class InlineSelfPlay:
    """The actor in the learner's process (``actors=0``): a run that is a function of its seed."""

    def __init__(self, game: Game, model: FlatModel | MoveModel, config: AZConfig, seed: int) -> None:
        self.model = build_model(game, config.network, [net.config for net in model.nets])
        self.publish(model.nets)
        for net in self.model.nets:
            net.eval()
        self.actor = SelfPlay(game, self.model, config, seed)
        self.send = config.send_decisions

    def publish(self, nets, groups=None) -> None:
        for mine, theirs in zip(self.model.nets, nets):
            mine.load_state_dict(theirs.state_dict())

    def publish_plan(self, plan: OpponentPlan) -> None:
        self.actor.set_plan(plan)

    def get(self, timeout: float) -> Decisions:
        return self.actor.collect(self.send)

    def close(self) -> None:
        pass


# ---- the learner ------------------------------------------------------------------------
class Replay:
    """``size`` decisions (the model's rows), sampled uniformly: the most recent (``"recent"``),
    or a uniform sample of every decision of the run (``"run"``: reservoir sampling, Vitter's
    algorithm R, as NFSP keeps its average-policy memory), so the targets are averaged over
    the whole run."""

    def __init__(self, size: int, keep: str = "recent", rng: np.random.Generator | None = None) -> None:
        self.rows: list[tuple | None] = [None] * size
        self.size, self.count, self.at, self.seen = size, 0, 0, 0
        self.keep, self.rng = keep, rng or np.random.default_rng(0)

    def add(self, d: Decisions) -> None:
        for row in d.rows:  # a message is small next to the buffer
            self.seen += 1
            if self.keep == "recent" or self.count < self.size:
                slot = self.at
                self.at = (self.at + 1) % self.size
            else:
                slot = int(self.rng.integers(self.seen))
                if slot >= self.size:
                    continue
            self.rows[slot] = row
            self.count = min(self.count + 1, self.size)

    def sample(self, n: int, rng: np.random.Generator) -> list[tuple]:
        return [self.rows[i] for i in rng.integers(self.count, size=n)]


def learn_step(model: FlatModel | MoveModel, optimizer, batch: list[tuple]) -> tuple[float, float]:
    """The model's loss (the policy's cross-entropy to the search's target plus the values'
    squared error) and one Adam step."""
    policy_loss, value_loss = model.loss(batch)
    optimizer.zero_grad(set_to_none=True)
    (policy_loss + value_loss).backward()
    optimizer.step()
    return float(policy_loss.detach()), float(value_loss.detach())


def train(config: AZConfig, game_name: str, out_dir: str | os.PathLike, *, minutes: float | None = None,
          frames: int | None = None, actors: int | None = None, seed: int = 0, resume: bool = False,
          on_metrics: Callable[[dict], None] | None = None, game_options: dict | None = None,
          snapshot_minutes: float | None = None, snapshot_frames: int | None = None, league=None,
          device: str | None = "auto", changes: dict | None = None, init: str | os.PathLike | None = None,
          backend: Backend = LOCAL, **_unused) -> Path:
    """Train until ``minutes`` of training time or ``frames`` decisions (totals over resumes),
    as ``dmc.train`` does, with the same run-directory lock, snapshot schedule, ``device``,
    resume ``changes`` and ``league`` hooks (``dmc.LeagueHooks``); returns the final
    checkpoint's path. ``init``: a new run starts from that checkpoint's networks
    (``warm_start``). ``backend``: where the actors run (``selfplay.backends``)."""
    out = Path(out_dir)
    game = make(game_name, **(game_options or {}))
    config = resolved(config, game)
    dev = resolve_device(device)
    with exclusive(out):
        return _train(config, game_name, out, game, actors, seed, resume, on_metrics,
                      Schedule(minutes, frames, snapshot_minutes, snapshot_frames), league, dev, changes or {}, init,
                      backend)


def warm_start(path: str | os.PathLike, game: Game, config: AZConfig) -> tuple[FlatModel | MoveModel, dict]:
    """The model a run starts from, and where it came from: an az checkpoint's networks as
    they are (the run goes on under new settings), or a DMC checkpoint's Q-networks turned
    into logits and values (``az_models.warm_start_from_dmc``). CheckpointError if it does
    not fit ``game`` and ``config.network``."""
    data = load_checkpoint(path, expect_game=game.name)
    learner = data.get("learner")
    if learner == LEARNER:
        network = data["config"].get("network", "flat")
        if network != config.network:
            raise CheckpointError(f"{path}: an az checkpoint of a {network} network; this run trains {config.network}")
        model = checkpoint_model(path, data, game)
    elif learner == "dmc":
        if config.network != "moves":
            raise CheckpointError(f"{path}: a DMC checkpoint starts a moves network (--set network=moves), not {config.network}")
        dmc = [QNet(NetConfig.from_dict(c)) for c in data["net_configs"]]
        for net, weights in zip(dmc, data["models"]):
            net.load_state_dict({k: v.float() for k, v in weights.items()})
        model = MoveModel(game, [replace(net.config, outputs=1 + game.num_players) for net in dmc])
        if list(data["groups"]) != model.groups or any(
                (c.state_dim, c.move_dim, c.history_dim) != (m.config.state_dim, m.config.move_dim, m.config.history_dim)
                for c, m in zip((n.config for n in dmc), model.nets)):
            raise CheckpointError(f"{path}: its networks do not fit {game!r}'s features")
        warm_start_from_dmc(model, dmc, config.init_temperature)
    else:
        raise CheckpointError(f"{path}: a {learner} checkpoint cannot start an az run (az or dmc)")
    return model, origin(path, data)


def _train(config, game_name, out, game, actors, seed, resume, on_metrics, schedule, league, device,
           changes, init, backend) -> Path:
    ckpt_path, state = out / CHECKPOINT, None
    if check_new_or_resumed(out, resume):
        state = load_checkpoint(ckpt_path, expect_game=game_name, expect_learner=LEARNER)
        config = resumed_config(AZConfig, state["config"], changes, SAFE_ON_RESUME)
        config.network = state["config"].get("network", "flat")
        seed, game = int(state["seed"]), make(game_name, **state["game_options"])
    if actors is None:
        actors = max(1, (os.cpu_count() or 2) - 1)
    torch.manual_seed(derive_seed(seed, 0))
    started_from = None
    if state is not None:
        started_from = state["extra"].get("init")
        model = build_model(game, config.network,
                            [MODELS[config.network].config_from_dict(c) for c in state["net_configs"]])
    elif init is not None:
        model, started_from = warm_start(init, game, config)
    else:
        model = new_model(game, config)
    cfgs = [net.config for net in model.nets]
    for net in model.nets:
        net.to(device)
    params = [p for net in model.nets for p in net.parameters()]
    optimizer = torch.optim.Adam(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    decisions, steps, episodes, elapsed_before = 0, 0, 0, 0.0
    if state is not None:
        for net, weights in zip(model.nets, state["models"]):
            net.load_state_dict(weights)
        optimizer.load_state_dict(state["optimizers"][0])
        for group in optimizer.param_groups:  # --set on resume
            group["lr"], group["weight_decay"] = config.learning_rate, config.weight_decay
        decisions, elapsed_before = int(state["frames"]), float(state["elapsed_seconds"])
        steps, episodes = int(state["extra"]["learner_steps"]), int(state["extra"]["episodes"])
    write_record(out, {"learner": LEARNER, "game": game_name, "game_options": dict(game.info.options),
                       "seed": seed, "actors": actors, "minutes": schedule.minutes, "frames": schedule.frames,
                       "device": str(device), "config": asdict(config),
                       "snapshot_minutes": schedule.snapshot_minutes, "snapshot_frames": schedule.snapshot_frames,
                       "net_configs": [c.to_dict() for c in cfgs], "init": started_from,
                       "resumed_at_frames": decisions if state is not None else None, "provenance": run_record()},
                 decisions if state is not None else None)

    def trained_seconds() -> float:
        return elapsed_before + time.monotonic() - start

    def save(path: Path = ckpt_path) -> Path:
        return save_checkpoint(path, {
            "game": game_name, "game_options": dict(game.info.options), "learner": LEARNER, "objective": "return",
            "groups": model.groups, "net_configs": [c.to_dict() for c in cfgs],
            "models": [net.state_dict() for net in model.nets],
            "optimizers": [optimizer.state_dict()], "frames": decisions,
            "elapsed_seconds": trained_seconds(), "seed": seed,
            "config": {**asdict(config), "hidden": list(config.hidden)}, "rng": {"torch": torch.get_rng_state()},
            "extra": {"learner_steps": steps, "episodes": episodes, "init": started_from}})

    seeds = [derive_seed(seed, 1, i, decisions) for i in range(max(1, actors))]
    threads_before = torch.get_num_threads()
    torch.set_num_threads(1)  # small networks: more threads only contend with the actors (or slow inline play)
    source = (InlineSelfPlay(game, model, config, seeds[0]) if actors == 0 else
              backend.actor_pool(actors, seeds, AZActorSettings(game_name, dict(game.info.options), cfgs, config),
                                 model.nets, build_az_actor))
    rng = np.random.default_rng(derive_seed(seed, 2, decisions))
    replay = Replay(config.replay_size, config.replay,
                    np.random.default_rng(derive_seed(seed, 3, decisions)))
    start = last_log = last_save = time.monotonic()
    window = {"decisions": decisions, "losses": []}
    schedule.start(elapsed_before, decisions)
    credit = 0.0  # learner steps owed to the decisions received
    metrics = open(out / "metrics.jsonl", "a")
    snapshot_decisions = decisions if state is not None else -1
    refresh_plan = PlanRelay(league, source).refresh

    def take_snapshot(label: str) -> None:
        nonlocal snapshot_decisions
        if decisions == snapshot_decisions:
            return  # nothing learned since the last one
        snapshot_decisions = decisions
        save()
        path = export(ckpt_path, snapshot_path(out, label), half=False)
        if league is not None:
            league.snapshot(path, decisions, trained_seconds())
            refresh_plan()  # a new opponent: seat it from the next games on

    try:
        source.publish(model.nets)
        refresh_plan()
        while not schedule.finished(trained_seconds(), decisions):
            batch = source.get(timeout=0.5)
            if batch is not None:
                if league is not None and batch.outcomes:
                    league.outcomes(batch.outcomes)
                replay.add(batch)
                decisions += len(batch)
                episodes += batch.episodes
                credit += len(batch) * config.replay_ratio / config.batch_size
            while credit >= 1 and replay.count >= config.batch_size:
                window["losses"].append(learn_step(model, optimizer, replay.sample(config.batch_size, rng)))
                credit -= 1
                steps += 1
            source.publish(model.nets)
            now = time.monotonic()
            if now - last_log >= config.log_interval_seconds:
                row = {"time": round(elapsed_before + now - start, 3), "frames": decisions,
                       "charts/frames": decisions, "charts/episodes": episodes, "charts/learner_steps": steps,
                       "charts/frames_per_second": round((decisions - window["decisions"]) / (now - last_log), 1)}
                if window["losses"]:
                    row["losses/policy"], row["losses/value"] = np.mean(window["losses"], axis=0).round(5).tolist()
                metrics.write(json.dumps(row) + "\n")
                metrics.flush()
                if on_metrics is not None:
                    on_metrics(row)
                window, last_log = {"decisions": decisions, "losses": []}, now
                refresh_plan()
            if now - last_save >= config.save_interval_minutes * 60:
                save()
                last_save = now
            label = schedule.snapshot_due(trained_seconds(), decisions)
            if label is not None:
                take_snapshot(label)
    except KeyboardInterrupt:
        pass
    finally:
        source.close()
        torch.set_num_threads(threads_before)
        metrics.close()
    return save()


# ---- playing a checkpoint -------------------------------------------------------------------
def _seeded(seed: int, state: State) -> int:
    """A search seed of ``seed`` and the mover's information state: every history of an
    information set gets the same search."""
    key = state.information_state(state.current_player) if not state.game.info.perfect_information else str(state)
    return int.from_bytes(hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest(), "little")


class AZAgent:
    """The search of self-play guided by the network, without exploration noise (ISMCTS or PIMC
    on hidden information); plays the most visited move (a Gumbel root: its chosen move).

    ``action_probabilities(state)`` (what exploitability reads) is the search's policy target
    (visits, or the Gumbel root's improved policy) from a search seeded by the mover's
    information state, so every history of an information set gets the same answer.
    ``act`` keeps one tree per game (ISMCTS reuses it from move to move); a move network's
    agent (``BatchAZAgent``) also searches many games at once."""

    def __init__(self, model: FlatModel | MoveModel, search: PUCTConfig, name: str = "az", worlds: int = 0,
                 policy: str = "visits", leaf: str = "network") -> None:
        self.model, self.name = model, name
        for net in model.nets:
            net.eval()
        self.evaluator = leaf_evaluator(model, leaf)
        self.config, self.worlds, self.policy = search, worlds, policy
        self.reset(0)

    def _search(self, game: Game, seed: int):
        return make_search(game, self.evaluator, self.config, self.worlds, seed)

    def reset(self, seed: int) -> None:
        self.seed, self.tree = seed, None  # the game's search, made at its first move

    def act(self, state: State) -> int:
        if self.tree is None:
            self.tree = self._search(state.game, self.seed)
        with torch.inference_mode():
            return self.tree.search(state).action

    def action_probabilities(self, state: State) -> dict[int, float]:
        with torch.inference_mode():
            result = self._search(state.game, _seeded(self.seed, state)).search(state)
        return policy_target(result, self.policy)


class BatchAZAgent(AZAgent):
    """``AZAgent`` as a pure function of the state, so the arena batches it: each decision's
    search is fresh and seeded by the mover's information state (no tree kept between moves),
    and ``act_batch`` runs the searches of many games together (one network call per round of
    leaves for all of them). Forced moves skip the search."""

    def act_batch(self, states) -> list[int]:
        actions = [0] * len(states)
        todo = []
        for i, state in enumerate(states):
            legal = state.legal_actions()
            if len(legal) == 1:
                actions[i] = legal[0]
            else:
                todo.append(i)
        searches = [self._search(states[i].game, _seeded(self.seed, states[i])) for i in todo]
        with torch.inference_mode():
            puct = [j for j, search in enumerate(searches) if isinstance(search, PUCT)]
            for j, result in zip(puct, search_batched([searches[j] for j in puct], [states[todo[j]] for j in puct])):
                actions[todo[j]] = result.action
            for j, search in enumerate(searches):
                if j not in puct:
                    actions[todo[j]] = search.search(states[todo[j]]).action
        return actions

    def act(self, state: State) -> int:
        return self.act_batch([state])[0]

    def reset(self, seed: int) -> None:
        self.seed, self.tree = 0, None  # one seed for every game: a pure function of the state


class PolicyAgent:
    """The policy network alone (``az:path=...,sims=0``): the most likely legal move, and its
    softmax over the legal moves as ``action_probabilities``. A pure function of the state:
    ``act_batch`` scores many games' decisions in one forward pass (per group network)."""

    def __init__(self, model: FlatModel | MoveModel, name: str = "az-policy") -> None:
        self.model, self.name = model, name
        for net in model.nets:
            net.eval()

    def reset(self, seed: int) -> None:
        pass

    def action_probabilities(self, state: State) -> dict[int, float]:
        with torch.inference_mode():
            return self.model.policy([state])[0]

    def move_values(self, state: State) -> tuple[list[int], np.ndarray, np.ndarray]:
        """A move network's (DouDizhu's) legal moves, the policy's probability of each and the
        mover's expected return after each: what ``selfplay advise`` shows."""
        with torch.inference_mode():
            return self.model.move_values(state)

    def act_batch(self, states) -> list[int]:
        with torch.inference_mode():
            return self.model.greedy(list(states))

    def act(self, state: State) -> int:
        return self.act_batch([state])[0]


def load_agent(path: str | os.PathLike, game: Game, simulations: int | None = None,
               device: str | None = "cpu", beliefs: int | None = None,
               worlds: int | None = None) -> AZAgent | PolicyAgent:
    """The searching agent of an az checkpoint for ``game`` (``simulations`` 0: its policy
    network alone; ``simulations``, ``beliefs`` and PIMC's ``worlds``: None keeps the run's
    own), its networks on ``device``; CheckpointError if it does not fit."""
    data = load_checkpoint(path, expect_game=game.name, expect_learner=LEARNER)
    model = checkpoint_model(path, data, game)
    for net in model.nets:
        net.to(resolve_device(device))
    config = resolved(AZConfig.from_dict(data["config"]), game)
    if simulations == 0:
        return PolicyAgent(model, name=str(path))
    if simulations is not None:
        config.simulations = simulations
    if beliefs is not None:
        config.beliefs = beliefs
    if worlds is not None:
        config.pimc_worlds = worlds
    agent = BatchAZAgent if model.kind == "moves" else AZAgent
    return agent(model, config.search(noise=False), name=str(path), worlds=config.pimc_worlds,
                 policy=config.policy_target, leaf=config.leaf)
