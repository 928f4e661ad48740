"""Agents, and the one registry that turns a spec string into an agent.

An agent is anything with ``act(state) -> action`` and ``reset(seed)``; it
reads only what the player to move may see (``legal_actions``,
``observation``, ``information_state``, or a ``resample_hidden`` world).

Specs, as the CLI takes them: ``NAME`` or ``NAME:key=value,key=value``, e.g.
``random`` or ``mcts:sims=200,c=1.4``; or the path of a checkpoint file
(``runs/ddz/checkpoint.pt``), which plays greedily over its learned values.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np

from selfplay.games import Game, State


class Agent(Protocol):
    """``reset(seed)`` starts a game; ``act(state)`` picks the move of the player to move.

    An agent may also define ``act_batch(states) -> list[int]``: then it must be a
    pure function of the state (no per-game memory, no randomness), and the arena
    scores the pending decisions of all its concurrent games in one call."""

    name: str

    def act(self, state: State) -> int: ...

    def reset(self, seed: int) -> None: ...


class AgentSpecError(ValueError):
    """A spec that names no agent, or gives it parameters it does not take."""


class RandomAgent:
    """Uniform over the legal actions."""

    def __init__(self, seed: int | None = None) -> None:
        self.name = "random"
        self._rng = np.random.default_rng(seed)

    def reset(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def act(self, state: State) -> int:
        legal = state.legal_actions()
        return legal[int(self._rng.integers(len(legal)))]

    def action_probabilities(self, state: State) -> dict[int, float]:
        legal = state.legal_actions()
        return {a: 1.0 / len(legal) for a in legal}


def _mcts(game: Game, sims: int = 1000, c: float = 1.4) -> Agent:
    from selfplay.search.mcts import MCTSAgent

    if sims < 1:
        raise AgentSpecError("mcts: sims must be at least 1")
    if c < 0:
        raise AgentSpecError("mcts: c must be non-negative")
    return MCTSAgent(simulations=sims, c=c)


def _rlcard_rule(game: Game) -> Agent:
    from selfplay.rlcard_rule import RLCardRuleAgent

    return RLCardRuleAgent()


def _checkpoint(game: Game, path: str = "", device: str = "cpu", temperature: float = 0.0) -> Agent:
    """The agent of a checkpoint, by the learner that wrote it (dmc: greedy over Q, or softmax
    over Q at ``temperature``; az: search), its networks on ``device``."""
    from selfplay.checkpoints import CheckpointError, load_checkpoint
    from selfplay.learners import az, dmc

    if not path:
        raise AgentSpecError("checkpoint: give path=CHECKPOINT")
    if not os.path.isfile(path):
        raise AgentSpecError(f"no checkpoint file {path!r}")
    try:
        if temperature < 0:
            raise AgentSpecError("checkpoint: temperature must be 0 (greedy) or positive")
        learner = load_checkpoint(path, expect_game=game.name)["learner"]
        if learner == az.LEARNER:
            if temperature:
                raise AgentSpecError("checkpoint: temperature is for DMC checkpoints (az plays its search)")
            return az.load_agent(path, game, device=_device(device))
        return dmc.load_agent(path, game, device=_device(device), temperature=temperature)
    except CheckpointError as err:
        raise AgentSpecError(str(err)) from None


def _device(name: str) -> str:
    """``name`` if it names a device this machine has; AgentSpecError (one line) if not."""
    from selfplay.nets import resolve_device

    try:
        resolve_device(str(name))
    except ValueError as err:
        raise AgentSpecError(str(err)) from None
    return str(name)


def _puct(game: Game, sims: int = 200, k: int = 16, c: float = 1.25, batch: int = 8, pimc: int = 0) -> Agent:
    from selfplay.search_agents import puct_agent

    if sims < 1 or k < 0 or batch < 1 or pimc < 0:
        raise AgentSpecError("puct: needs sims >= 1, k >= 0 (0: every action), batch >= 1, pimc >= 0")
    return puct_agent(game, sims=sims, k=k, c=c, batch=batch, pimc=pimc)


def _dmc_search(game: Game, path: str = "", k: int = 4, worlds: int = 8, margin: float = 0.0,
                device: str = "cpu") -> Agent:
    from selfplay.checkpoints import CheckpointError
    from selfplay.search_agents import dmc_search_agent

    path = path or (str(RELEASED_DMC[game.name]) if game.name in RELEASED_DMC else "")
    if not path:
        raise AgentSpecError(f"dmc+search: give path=CHECKPOINT (no released model for {game.name})")
    if not os.path.isfile(path):
        raise AgentSpecError(f"no checkpoint file {path!r}")
    if k < 1 or worlds < 1 or margin < 0:
        raise AgentSpecError("dmc+search: needs k >= 1, worlds >= 1, margin >= 0")
    try:
        return dmc_search_agent(path, game, k=k, worlds=worlds, margin=margin, device=_device(device))
    except CheckpointError as err:
        raise AgentSpecError(str(err)) from None


def _az(game: Game, path: str = "", sims: int = -1, beliefs: int = -1, worlds: int = -1, device: str = "cpu") -> Agent:
    from selfplay.checkpoints import CheckpointError
    from selfplay.learners.az import load_agent

    if not path:
        raise AgentSpecError("az: give path=CHECKPOINT (an az run's checkpoint.pt or snapshot)")
    if not os.path.isfile(path):
        raise AgentSpecError(f"no checkpoint file {path!r}")
    if sims < -1:
        raise AgentSpecError("az: sims must be 0 (the policy network alone) or more (default: the run's own)")
    if beliefs < -1 or worlds < -1:
        raise AgentSpecError("az: beliefs (0: uniform worlds) and worlds (0: information-set MCTS) must be 0 or more "
                             "(default: the run's own)")
    try:
        return load_agent(path, game, simulations=None if sims == -1 else sims, device=_device(device),
                          beliefs=None if beliefs == -1 else beliefs, worlds=None if worlds == -1 else worlds)
    except CheckpointError as err:
        raise AgentSpecError(str(err)) from None


def _cfr(game: Game, iterations: int = 1000) -> Agent:
    from selfplay.search.cfr import cfr_agent

    if iterations < 1:
        raise AgentSpecError("cfr: iterations must be at least 1")
    return cfr_agent(game, iterations)


def _minimax(game: Game) -> Agent:
    from selfplay.search.minimax import MinimaxAgent

    return MinimaxAgent()


def looks_like_path(spec: str) -> bool:
    if spec.partition(":")[0] in REGISTRY:  # e.g. dmc+search:path=runs/x.pt
        return False
    return os.sep in spec or spec.endswith((".pt", ".pth")) or os.path.isfile(spec)


def short_name(spec: str) -> str:
    """A spec as a table shows it: a checkpoint by its file name (``doudizhu-az.pt``,
    ``az:path=doudizhu-az.pt,sims=0``)."""
    if looks_like_path(spec):
        return Path(spec).name
    name, sep, rest = spec.partition(":")
    parts = [f"path={Path(p[5:]).name}" if p.strip().startswith("path=") else p for p in rest.split(",")]
    return name + sep + ",".join(parts)


@dataclass(frozen=True)
class Entry:
    factory: Callable[..., Agent]
    summary: str
    games: tuple[str, ...] = ()  # empty: every game


REGISTRY: dict[str, Entry] = {
    "random": Entry(lambda game: RandomAgent(), "uniformly random legal moves"),
    "mcts": Entry(_mcts, "UCT search with random rollouts; sims=N simulations per move (1000), c=exploration (1.4)"),
    "puct": Entry(_puct, "sampled PUCT with random rollouts: sims, k sampled actions per node (16; 0: all), c, "
                         "batch leaves per call, pimc=N worlds (0: information-set MCTS)"),
    "dmc+search": Entry(_dmc_search, "a DMC checkpoint's k best moves (4) by Q, each played out greedily in "
                                     "worlds sampled worlds (8), the best mean kept: path= (DouDizhu: the "
                                     "released DMC model), margin, device"),
    "az": Entry(_az, "an az checkpoint's network searching sims simulations per move (path=; sims: the run's own, "
                     "0 the policy network alone; worlds=N: PIMC over N worlds, 0 ISMCTS; beliefs=N: worlds "
                     "weighted by the opponents' moves, 0 uniform; device)"),
    "checkpoint": Entry(_checkpoint, "a checkpoint file by its learner (path=; device=cpu|cuda|auto; DMC: "
                                     "temperature=T, softmax over Q, 0 greedy): what PATH alone gives, with options"),
    "cfr": Entry(_cfr, "tabular CFR+ solved when loaded: iterations=N (1000); plays its average policy",
                 games=("kuhn", "leduc")),
    "minimax": Entry(_minimax, "perfect play by exact search, random among equal moves (small games)",
                     games=("tictactoe",)),
    "rlcard-rule": Entry(_rlcard_rule, "RLCard's DouDizhu rule model (doudizhu-rule-v1), a standard baseline; "
                         "bids by hand strength (selfplay/bidding_rule.py)",
                         games=("doudizhu",)),
}
#: Shown by `selfplay agents` beside the registry: specs that are not names.
OTHER_SPECS = (
    ("PATH", "a checkpoint file (e.g. runs/ddz/checkpoint.pt): dmc greedy over Q, az searches with its network"),
    ("snapshot:NAME", "with --league DIR: a league's snapshot (snapshot:best, snapshot:latest)"),
)


def _models_folder() -> tuple[Path, str]:
    """The folder of the released models (the package ``selfplay.models``: the repository's
    models/, installed as package data) and, if its files cannot be read there, why."""
    import importlib.resources

    root = importlib.resources.files("selfplay.models")
    if isinstance(root, os.PathLike):  # a regular install or a clone: a real folder, for good
        return Path(root).resolve(), ""
    return Path(__file__).resolve().parent / "models", f"selfplay.models is not a folder on disk ({root})"


#: Released models (models/README.md says how each was trained and how strong it is), their
#: paths on disk in the installed package ``selfplay.models`` (a clone: models/).
MODELS, _MODELS_PROBLEM = _models_folder()
BUILT_IN_DEFAULT = "mcts:sims=1000"  # where no model is released: search, for any game


@dataclass(frozen=True)
class Release:
    """A game's default agent from a released model: ``plays`` is its spec, ``{}`` standing
    for the model's path (``"{}"``: the checkpoint file itself); ``fallback`` is the default
    where an install lacks the file."""

    model: Path
    plays: str = "{}"
    fallback: str = BUILT_IN_DEFAULT


#: Each game's default agent, where a model is released: DouDizhu's az network alone (it
#: beats the DMC model, models/README.md).
RELEASED = {"doudizhu": Release(MODELS / "doudizhu-az.pt", "az:path={},sims=0", "rlcard-rule")}
#: Games whose options change what a model must know: DouDizhu with bidding needs a bidder
#: network. Their released model, and the baseline that plays them where an install lacks it.
RELEASED_WITH_OPTION = {("doudizhu", "bidding"): Release(MODELS / "doudizhu-bid.pt", fallback="rlcard-rule")}
#: Each game's released DMC model: the blueprint that ``dmc+search`` searches with by default.
RELEASED_DMC = {"doudizhu": MODELS / "doudizhu-dmc.pt"}


@dataclass(frozen=True)
class DefaultAgent:
    """A game's default agent and where it comes from: ``source`` is ``"released model"``
    (``path`` is its file), ``"built-in"`` (no model released for the game) or ``"fallback"``
    (a released model that this install lacks: ``note`` says why)."""

    game: str
    spec: str
    source: str
    note: str
    path: Path | None = None


def default_agent(game_name: str, options: dict | None = None) -> DefaultAgent:
    """The default opponent of a game (with these ``options``) and where it comes from: see
    ``default_spec``."""
    for (game, option), release in RELEASED_WITH_OPTION.items():
        if game == game_name and (options or {}).get(option):
            return _released(game_name, release)
    release = RELEASED.get(game_name)
    if release is None:
        return DefaultAgent(game_name, BUILT_IN_DEFAULT, "built-in", "no released model")
    return _released(game_name, release)


def _released(game_name: str, release: Release) -> DefaultAgent:
    model = release.model
    name = f"selfplay.models/{model.name}"
    if model.is_file():
        return DefaultAgent(game_name, release.plays.format(model), "released model", name, model)
    why = _MODELS_PROBLEM or f"no file {model}"
    return DefaultAgent(game_name, release.fallback, "fallback",
                        f"released model {name} missing from this install: {why}", model)


def default_spec(game_name: str, options: dict | None = None) -> str:
    """The default opponent of a game, wherever one is needed (``play``, league baselines):
    the released model of the game if there is one (DouDizhu: the policy network of
    ``selfplay.models/doudizhu-az.pt``, a real file: ``RELEASED["doudizhu"]``), else
    ``mcts:sims=1000``. Where this install lacks
    a released model it warns and falls back (DouDizhu: ``rlcard-rule``); ``selfplay agents``
    shows each game's default and why. ``options``: the game's (DouDizhu with ``bidding``:
    the released bidding model ``doudizhu-bid.pt``; its fallback ``rlcard-rule`` bids by its rule)."""
    default = default_agent(game_name, options)
    if default.source == "fallback":
        import warnings

        warnings.warn(f"{game_name}: {default.note}; the default agent is {default.spec} instead", stacklevel=2)
    return default.spec


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"mcts:sims=200,c=1.4"`` -> ``("mcts", {"sims": 200, "c": 1.4})``."""
    name, _, rest = spec.strip().partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise AgentSpecError(f"agent spec {spec!r}: expected key=value, got {item!r}")
        params[key.strip()] = _parse_value(value.strip())
    return name, params


def _parse_value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def load(spec: str, game: Game) -> Agent:
    """The agent a spec names, for ``game``; ``AgentSpecError`` if there is none."""
    if looks_like_path(spec):
        if not os.path.isfile(spec):
            raise AgentSpecError(f"no checkpoint file {spec!r}")
        agent = _checkpoint(game, spec)
        agent.name = spec
        return agent
    name, params = parse_spec(spec)
    entry = REGISTRY.get(name)
    if entry is None:
        raise AgentSpecError(f"unknown agent {spec!r}; known agents: {', '.join(REGISTRY)}")
    if entry.games and game.name not in entry.games:
        raise AgentSpecError(f"agent {name!r} plays only {', '.join(entry.games)}, not {game.name}")
    accepted = [p for p in inspect.signature(entry.factory).parameters if p != "game"]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) or "no parameters"
        raise AgentSpecError(f"agent {name!r} has no parameter {', '.join(unknown)}; it takes: {takes}")
    defaults = {p.name: p.default for p in inspect.signature(entry.factory).parameters.values()}
    for key, value in params.items():
        want = type(defaults[key])
        if want in (int, float) and not (isinstance(value, want) or want is float and isinstance(value, int)):
            raise AgentSpecError(f"agent {name!r}: {key} must be {'an integer' if want is int else 'a number'}, not {value!r}")
    try:
        agent = entry.factory(game, **params)
    except (TypeError, ValueError) as err:
        raise AgentSpecError(f"agent spec {spec!r}: {err}") from None
    agent.name = spec
    return agent
