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

For games whose action count a policy head can hold (not DouDizhu's 27,472;
issue 14). Values are learned on each game's declared ``return_range``. On
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
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from selfplay.actors import ActorPool, OpponentPlan, Outcome, PlanRelay, Seating, SharedWeights, serve
from selfplay.arena import derive_seed
from selfplay.checkpoints import CheckpointError, export, load_checkpoint, save_checkpoint
from selfplay.games import Game, State, make
from selfplay.learners.rundir import CHECKPOINT, Schedule, check_new_or_resumed, resumed_config, snapshot_path, write_record
from selfplay.locks import exclusive
from selfplay.nets import PolicyValueConfig, PolicyValueNet, resolve_device
from selfplay.provenance import run_record
from selfplay.search.evaluators import NetworkEvaluator, softmax_over
from selfplay.search.gumbel import GumbelPIMC
from selfplay.search.puct import PUCT, PUCTConfig, search_batched

LEARNER = "az"


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
    hidden: tuple[int, ...] = (128, 128)  # ours
    learning_rate: float = 1e-3  # ours (Adam)
    weight_decay: float = 1e-4  # AlphaZero
    batch_size: int = 256  # ours (AlphaZero: 4096)
    replay_size: int = 20_000  # ours: decisions kept
    replay: str = "recent"  # ours: keep the most recent decisions, or "run": a uniform sample of the whole run
    replay_ratio: float = 4.0  # ours: each decision is trained on about this many times
    send_decisions: int = 256  # ours: decisions per actor -> learner message
    save_interval_minutes: float = 10.0
    log_interval_seconds: float = 5.0
    root: str = "puct"  # "gumbel": Gumbel-top-k + sequential halving at the root (Danihelka et al. 2022)
    gumbel_m: int = 16  # mctx: max_num_considered_actions
    c_visit: float = 50.0  # mctx's default
    c_scale: float = 0.1  # mctx's default
    policy_target: str = "visits"  # "visits" (Sampled MuZero) or "gumbel": softmax(logits + sigma(completed Q))
    pimc_worlds: int = 0  # hidden information: 0 searches by ISMCTS, N > 0 by PIMC over N resample_hidden worlds
    rescale: str = "minmax"  # Gumbel target: Q rescaled by the root's min and max (mctx) or "range" (the game's)
    magnet: float = 0.0  # Gumbel target regularised toward uniform (PUCTConfig.magnet)
    opponents: str = "search"  # ISMCTS: "policy" moves the opponents by their policy at their own view (PUCTConfig)
    beliefs: int = 0  # hidden information: 0 draws worlds uniformly, N > 0 from N weighted by the opponents' moves

    def __post_init__(self) -> None:
        self.hidden = tuple(int(h) for h in self.hidden)
        if self.root not in ("puct", "gumbel"):
            raise ValueError(f"az: root must be puct or gumbel, not {self.root!r}")
        if self.policy_target not in ("visits", "gumbel"):
            raise ValueError(f"az: policy_target must be visits or gumbel, not {self.policy_target!r}")
        if self.policy_target == "gumbel" and self.root != "gumbel":
            raise ValueError("az: policy_target=gumbel needs root=gumbel (the completed Q comes from its search)")
        if self.replay not in ("recent", "run"):
            raise ValueError(f"az: replay must be recent or run, not {self.replay!r}")
        if self.beliefs < 0:
            raise ValueError(f"az: beliefs must be 0 (uniform worlds) or more candidates, not {self.beliefs}")
        if self.pimc_worlds < 0:
            raise ValueError(f"az: pimc_worlds must be 0 (ISMCTS) or more, not {self.pimc_worlds}")

    @classmethod
    def from_dict(cls, data: dict) -> "AZConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def search(self, noise: bool) -> PUCTConfig:
        """The search's settings; ``noise``: self-play's exploration (Dirichlet at a PUCT root,
        Gumbel draws at a Gumbel root), none when an agent plays."""
        return PUCTConfig(simulations=self.simulations, k=self.k, c_puct=self.c_puct, batch=self.search_batch,
                          dirichlet_alpha=self.dirichlet_alpha,
                          dirichlet_fraction=self.dirichlet_fraction if noise else 0.0,
                          root=self.root, gumbel_m=self.gumbel_m, c_visit=self.c_visit, c_scale=self.c_scale,
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
SAFE_ON_RESUME = frozenset(f.name for f in fields(AZConfig) if f.name != "hidden")


def net_config(game: Game, config: AZConfig) -> PolicyValueConfig:
    obs_dim = int(np.prod(game.info.observation_shape))
    return PolicyValueConfig(obs_dim, game.num_actions, game.num_players, config.hidden,
                             tuple(float(r) for r in game.info.return_range))


def features(state: State) -> np.ndarray:
    return np.asarray(state.observation(state.current_player), dtype=np.float32).reshape(-1)


# ---- actors -------------------------------------------------------------------------------
@dataclass
class Decisions:
    """Finished decisions: observation, visit distribution over all actions, every player's return."""

    obs: np.ndarray  # (n, obs_dim) float32
    policy: np.ndarray  # (n, num_actions) float32, sums to 1
    value: np.ndarray  # (n, num_players) float32
    episodes: int = 0
    outcomes: list[Outcome] = field(default_factory=list)  # games against league opponents

    def __len__(self) -> int:
        return len(self.obs)


class SelfPlay:
    """``games_per_actor`` self-play games searched together (one network call per round of
    leaves). Under a league's ``OpponentPlan`` a game may seat opponents (past snapshots,
    baselines): they play their own moves, and only the learner's decisions are kept."""

    def __init__(self, game: Game, net: PolicyValueNet, config: AZConfig, seed: int) -> None:
        self.game, self.net, self.config = game, net, config
        self.rng = np.random.default_rng(seed)
        self.evaluator = NetworkEvaluator(net.numpy_call, features)
        self.searches = [make_search(game, self.evaluator, config.search(noise=True), config.pimc_worlds,
                                     int(self.rng.integers(1 << 62))) for _ in range(config.games_per_actor)]
        self.seating = Seating(game, self.rng)
        self.tables: list[tuple[str | None, ...] | None] = [None] * config.games_per_actor
        self.states = [self._new_game(i) for i in range(config.games_per_actor)]
        self.records: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in self.states]
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
            else:
                mine.append(i)
        with torch.inference_mode():
            puct = [i for i in mine if isinstance(self.searches[i], PUCT)]
            results = dict(zip(puct, search_batched([self.searches[i] for i in puct], [self.states[i] for i in puct])))
            for i in mine:  # PIMC: each game's worlds in one batch (its search runs them together)
                if i not in results:
                    results[i] = self.searches[i].search(self.states[i])
        for i in mine:
            state, result = self.states[i], results[i]
            wanted = policy_target(result, self.config.policy_target)
            target = np.zeros(self.game.num_actions, dtype=np.float32)
            target[list(wanted)] = list(wanted.values())
            self.records[i].append((features(state), target))
            if self.config.root == "puct" and self.moves[i] < self.config.sample_moves:
                visits = policy_target(result, "visits")  # a Gumbel root's move is already drawn
                actions = list(visits)
                action = int(actions[self.rng.choice(len(actions), p=np.fromiter(visits.values(), float))])
            else:
                action = result.action
            state.apply(action)
            self.moves[i] += 1
            if state.is_terminal():
                self._finish(i)

    def _finish(self, i: int) -> None:
        returns = self.states[i].returns()
        outcome = Seating.outcome(self.tables[i], returns)
        if self.records[i]:
            obs, policy = zip(*self.records[i])
            value = np.tile(np.asarray(returns, dtype=np.float32), (len(obs), 1))
            self.done.append(Decisions(np.stack(obs), np.stack(policy), value, 1, [outcome] if outcome else []))
        elif outcome is not None:
            self.done.append(self._empty([outcome]))
        self.records[i], self.moves[i] = [], 0
        self.states[i] = self._new_game(i)

    def _empty(self, outcomes: list[Outcome]) -> Decisions:
        obs_dim = int(np.prod(self.game.info.observation_shape))
        return Decisions(np.zeros((0, obs_dim), np.float32), np.zeros((0, self.game.num_actions), np.float32),
                         np.zeros((0, self.game.num_players), np.float32), 1, outcomes)

    def collect(self, min_decisions: int) -> Decisions:
        while sum(len(d) for d in self.done) < min_decisions:
            self.step()
        done, self.done = self.done, []
        return Decisions(np.concatenate([d.obs for d in done]), np.concatenate([d.policy for d in done]),
                         np.concatenate([d.value for d in done]), sum(d.episodes for d in done),
                         [o for d in done for o in d.outcomes])


@dataclass(frozen=True)
class AZActorSettings:
    game_name: str
    game_options: dict
    net_config: PolicyValueConfig
    config: AZConfig


def az_actor_main(actor_id: int, seed: int, settings: AZActorSettings, weights: SharedWeights, out_queue, stop,
                  plans) -> None:
    """An actor process: self-play with the latest weights, decisions to the learner, until ``stop``."""
    torch.set_num_threads(1)
    try:
        game = make(settings.game_name, **settings.game_options)
        net = PolicyValueNet(settings.net_config).eval()
        actor = SelfPlay(game, net, settings.config, seed)
    except KeyboardInterrupt:
        out_queue.cancel_join_thread()
        return
    serve(actor, [net], settings.config.send_decisions, weights, out_queue, stop, plans)


class InlineSelfPlay:
    """The actor in the learner's process (``actors=0``): a run that is a function of its seed."""

    def __init__(self, game: Game, net: PolicyValueNet, config: AZConfig, seed: int) -> None:
        self.net = PolicyValueNet(net.config).eval()
        self.net.load_state_dict(net.state_dict())
        self.actor = SelfPlay(game, self.net, config, seed)
        self.send = config.send_decisions

    def publish(self, nets, groups=None) -> None:
        self.net.load_state_dict(nets[0].state_dict())

    def publish_plan(self, plan: OpponentPlan) -> None:
        self.actor.set_plan(plan)

    def get(self, timeout: float) -> Decisions:
        return self.actor.collect(self.send)

    def close(self) -> None:
        pass


# ---- the learner ------------------------------------------------------------------------
class Replay:
    """``size`` decisions, sampled uniformly: the most recent (``"recent"``), or a uniform sample
    of every decision of the run (``"run"``: reservoir sampling, Vitter's algorithm R, as NFSP
    keeps its average-policy memory), so the targets are averaged over the whole run."""

    def __init__(self, size: int, obs_dim: int, num_actions: int, num_players: int, keep: str = "recent",
                 rng: np.random.Generator | None = None) -> None:
        self.obs = np.zeros((size, obs_dim), np.float32)
        self.policy = np.zeros((size, num_actions), np.float32)
        self.value = np.zeros((size, num_players), np.float32)
        self.size, self.count, self.at, self.seen = size, 0, 0, 0
        self.keep, self.rng = keep, rng or np.random.default_rng(0)

    def add(self, d: Decisions) -> None:
        for k in range(len(d)):  # a message is small next to the buffer
            self.seen += 1
            if self.keep == "recent" or self.count < self.size:
                slot = self.at
                self.at = (self.at + 1) % self.size
            else:
                slot = int(self.rng.integers(self.seen))
                if slot >= self.size:
                    continue
            self.obs[slot], self.policy[slot], self.value[slot] = d.obs[k], d.policy[k], d.value[k]
            self.count = min(self.count + 1, self.size)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        idx = rng.integers(self.count, size=n)
        return torch.from_numpy(self.obs[idx]), torch.from_numpy(self.policy[idx]), torch.from_numpy(self.value[idx])


def learn_step(net: PolicyValueNet, optimizer, batch) -> tuple[float, float]:
    """Cross-entropy to the visit distributions plus the values' squared error; one Adam step
    on the net's device."""
    device = net.policy.weight.device
    obs, policy, value = (t.to(device) for t in batch)
    logits, predicted = net(obs)
    policy_loss = -(policy * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    value_loss = ((predicted - net.config.normalise(value)) ** 2).mean()  # on the game's declared scale
    optimizer.zero_grad(set_to_none=True)
    (policy_loss + value_loss).backward()
    optimizer.step()
    return float(policy_loss.detach()), float(value_loss.detach())


def train(config: AZConfig, game_name: str, out_dir: str | os.PathLike, *, minutes: float | None = None,
          frames: int | None = None, actors: int | None = None, seed: int = 0, resume: bool = False,
          on_metrics: Callable[[dict], None] | None = None, game_options: dict | None = None,
          snapshot_minutes: float | None = None, snapshot_frames: int | None = None, league=None,
          device: str | None = "auto", changes: dict | None = None, **_unused) -> Path:
    """Train until ``minutes`` of training time or ``frames`` decisions (totals over resumes),
    as ``dmc.train`` does, with the same run-directory lock, snapshot schedule, ``device``,
    resume ``changes`` and ``league`` hooks (``dmc.LeagueHooks``); returns the final
    checkpoint's path."""
    out = Path(out_dir)
    game = make(game_name, **(game_options or {}))
    if game.num_actions > 4096:
        raise ValueError(f"az: {game_name} has {game.num_actions:,} actions, too many for its policy head; "
                         "use dmc (or dmc+search to plan with a DMC network)")
    dev = resolve_device(device)
    with exclusive(out):
        return _train(config, game_name, out, game, actors, seed, resume, on_metrics,
                      Schedule(minutes, frames, snapshot_minutes, snapshot_frames), league, dev, changes or {})


def _train(config, game_name, out, game, actors, seed, resume, on_metrics, schedule, league, device,
           changes) -> Path:
    ckpt_path, state = out / CHECKPOINT, None
    if check_new_or_resumed(out, resume):
        state = load_checkpoint(ckpt_path, expect_game=game_name, expect_learner=LEARNER)
        config = resumed_config(AZConfig, state["config"], changes, SAFE_ON_RESUME)
        seed, game = int(state["seed"]), make(game_name, **state["game_options"])
    if actors is None:
        actors = max(1, (os.cpu_count() or 2) - 1)
    torch.manual_seed(derive_seed(seed, 0))
    cfg = net_config(game, config)
    net = PolicyValueNet(cfg).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    decisions, steps, episodes, elapsed_before = 0, 0, 0, 0.0
    if state is not None:
        net.load_state_dict(state["models"][0])
        optimizer.load_state_dict(state["optimizers"][0])
        for group in optimizer.param_groups:  # --set on resume
            group["lr"], group["weight_decay"] = config.learning_rate, config.weight_decay
        decisions, elapsed_before = int(state["frames"]), float(state["elapsed_seconds"])
        steps, episodes = int(state["extra"]["learner_steps"]), int(state["extra"]["episodes"])
    write_record(out, {"learner": LEARNER, "game": game_name, "game_options": dict(game.info.options),
                       "seed": seed, "actors": actors, "minutes": schedule.minutes, "frames": schedule.frames,
                       "device": str(device), "config": asdict(config),
                       "snapshot_minutes": schedule.snapshot_minutes, "snapshot_frames": schedule.snapshot_frames,
                       "net_configs": [cfg.to_dict()],
                       "resumed_at_frames": decisions if state is not None else None, "provenance": run_record()},
                 decisions if state is not None else None)

    def trained_seconds() -> float:
        return elapsed_before + time.monotonic() - start

    def save(path: Path = ckpt_path) -> Path:
        return save_checkpoint(path, {
            "game": game_name, "game_options": dict(game.info.options), "learner": LEARNER, "objective": "return",
            "groups": ["policy_value"], "net_configs": [cfg.to_dict()], "models": [net.state_dict()],
            "optimizers": [optimizer.state_dict()], "frames": decisions,
            "elapsed_seconds": trained_seconds(), "seed": seed,
            "config": {**asdict(config), "hidden": list(config.hidden)}, "rng": {"torch": torch.get_rng_state()},
            "extra": {"learner_steps": steps, "episodes": episodes}})

    seeds = [derive_seed(seed, 1, i, decisions) for i in range(max(1, actors))]
    threads_before = torch.get_num_threads()
    torch.set_num_threads(1)  # small networks: more threads only contend with the actors (or slow inline play)
    source = (InlineSelfPlay(game, net, config, seeds[0]) if actors == 0 else
              ActorPool(actors, seeds, AZActorSettings(game_name, dict(game.info.options), cfg, config), [net],
                        main=az_actor_main))
    rng = np.random.default_rng(derive_seed(seed, 2, decisions))
    replay = Replay(config.replay_size, cfg.obs_dim, cfg.num_actions, cfg.num_players, config.replay,
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
        source.publish([net])
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
                window["losses"].append(learn_step(net, optimizer, replay.sample(config.batch_size, rng)))
                credit -= 1
                steps += 1
            source.publish([net])
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
class AZAgent:
    """The search of self-play guided by the network, without exploration noise (ISMCTS or PIMC
    on hidden information); plays the most visited move (a Gumbel root: its chosen move).

    ``action_probabilities(state)`` (what exploitability reads) is the search's policy target
    (visits, or the Gumbel root's improved policy) from a search seeded by the mover's
    information state, so every history of an information set gets the same answer."""

    def __init__(self, net: PolicyValueNet, search: PUCTConfig, name: str = "az", worlds: int = 0,
                 policy: str = "visits") -> None:
        self.net, self.name = net.eval(), name
        self.evaluator = NetworkEvaluator(net.numpy_call, features)
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
        key = state.information_state(state.current_player) if not state.game.info.perfect_information else str(state)
        seed = int.from_bytes(hashlib.blake2b(f"{self.seed}:{key}".encode(), digest_size=8).digest(), "little")
        with torch.inference_mode():
            result = self._search(state.game, seed).search(state)
        return policy_target(result, self.policy)


class PolicyAgent:
    """The policy network alone (``az:path=...,sims=0``): the most likely legal move, and its
    softmax over the legal moves as ``action_probabilities``."""

    def __init__(self, net: PolicyValueNet, name: str = "az-policy") -> None:
        self.net, self.name = net.eval(), name

    def reset(self, seed: int) -> None:
        pass

    def action_probabilities(self, state: State) -> dict[int, float]:
        legal = state.legal_actions()
        logits, _ = self.net.numpy_call(features(state)[None])
        return {a: float(x) for a, x in zip(legal, softmax_over(logits[0, legal]))}

    def act(self, state: State) -> int:
        probs = self.action_probabilities(state)
        return max(probs, key=lambda a: (probs[a], -a))


def load_agent(path: str | os.PathLike, game: Game, simulations: int | None = None,
               device: str | None = "cpu") -> AZAgent:
    """The searching agent of an az checkpoint for ``game``, its network on ``device``;
    CheckpointError if it does not fit."""
    data = load_checkpoint(path, expect_game=game.name, expect_learner=LEARNER)
    cfg = PolicyValueConfig.from_dict(data["net_configs"][0])
    if cfg != net_config(game, AZConfig(hidden=cfg.hidden)):
        raise CheckpointError(f"{path}: its network does not fit {game!r}'s observations and actions")
    net = PolicyValueNet(cfg)
    net.load_state_dict({k: v.float() for k, v in data["models"][0].items()})
    net.to(resolve_device(device))
    config = AZConfig.from_dict(data["config"])
    if simulations == 0:
        return PolicyAgent(net, name=str(path))
    if simulations is not None:
        config.simulations = simulations
    return AZAgent(net, config.search(noise=False), name=str(path), worlds=config.pimc_worlds,
                   policy=config.policy_target)
