"""A masked PettingZoo AEC env as a ``Game``, so our agents and arena can play it.

``make("pettingzoo:classic.texas_holdem_v4")`` imports
``pettingzoo.classic.texas_holdem_v4`` and drives its ``env()``. The env must
put a mask in ``observation["action_mask"]``. States are copied with
``deepcopy`` (environments keep their own RNGs, so a copy replays the same
chance); hidden information cannot be resampled from outside the env, so
searches that need ``resample_hidden`` do not apply.
"""

from __future__ import annotations

import copy
import importlib

import numpy as np

from selfplay.games.base import Game, GameInfo, State


class PettingZooState(State):
    def __init__(self, game: "PettingZooGame", seed: int | None = None) -> None:
        self.game = game
        self.env = game.make_env()
        self.env.reset(seed=seed)
        self.totals = [0.0] * game.num_players
        self._skip_dead_agents()

    def _agent(self, player: int) -> str:
        return self.env.possible_agents[player]

    def _skip_dead_agents(self) -> None:
        # AEC envs ask every finished agent for a final None step; fold those in.
        env = self.env
        while env.agents and (env.terminations[env.agent_selection] or env.truncations[env.agent_selection]):
            if all(env.terminations[a] or env.truncations[a] for a in env.agents):
                return
            env.step(None)
            self._collect_rewards()

    def _collect_rewards(self) -> None:
        for p in range(self.game.num_players):
            self.totals[p] += float(self.env.rewards.get(self._agent(p), 0.0))

    @property
    def current_player(self) -> int:
        return self.env.possible_agents.index(self.env.agent_selection)

    def is_terminal(self) -> bool:
        env = self.env
        return not env.agents or all(env.terminations[a] or env.truncations[a] for a in env.agents)

    def _legal_actions(self) -> list[int]:
        mask = self.env.observe(self.env.agent_selection)["action_mask"]
        return [int(a) for a in np.flatnonzero(mask)]

    def _apply(self, action: int) -> None:
        self.env.step(action)
        self._collect_rewards()
        self._skip_dead_agents()

    def _returns(self) -> list[float]:
        return list(self.totals)

    def action_to_string(self, action: int) -> str:
        return str(action)

    def observation(self, player: int) -> np.ndarray:
        return np.asarray(self.env.observe(self._agent(player))["observation"], dtype=np.float32)

    def clone(self) -> "PettingZooState":
        return copy.deepcopy(self)

    def __str__(self) -> str:
        return f"{self.game.name}: {self.env.agent_selection} to move, rewards so far {self.totals}"


class PettingZooGame(Game):
    state_class = PettingZooState

    def __init__(self, module: str, perfect_information: bool = False) -> None:
        try:
            self._module = importlib.import_module(f"pettingzoo.{module}")
        except ImportError as err:
            raise ValueError(f"cannot import pettingzoo.{module}: {err}") from None
        probe = self.make_env()
        probe.reset(seed=0)
        agent = probe.possible_agents[0]
        obs_space = probe.observation_space(agent)
        if not hasattr(obs_space, "spaces") or "action_mask" not in obs_space.spaces:
            raise ValueError(f"pettingzoo.{module} has no observation['action_mask']; only masked envs can be played")
        self.info = GameInfo(
            name=f"pettingzoo:{module}", num_players=len(probe.possible_agents),
            num_actions=int(probe.action_space(agent).n), perfect_information=perfect_information,
            observation_shape=tuple(obs_space["observation"].shape), description=f"PettingZoo {module}",
        )

    def make_env(self):
        return self._module.env()
