"""selfplay.games.env("doudizhu") is a PettingZoo AEC env that passes api_test."""

import warnings

import numpy as np
import pytest

import selfplay.games.pettingzoo_env  # noqa: F401  (the generic adapter: if it does not import, a failure)
from selfplay.games.doudizhu import NUM_ACTIONS


@pytest.mark.parametrize("options", [{}, {"bidding": True}])
def test_api_test_passes(options):
    from pettingzoo.test import api_test

    from selfplay.games import env

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api_test(env("doudizhu", **options), num_cycles=200)


def test_mask_marks_exactly_the_legal_moves():
    from selfplay.games import env

    aec = env("doudizhu")
    aec.reset(seed=3)
    for _ in range(40):
        agent = aec.agent_selection
        if aec.terminations[agent]:
            break
        obs = aec.observe(agent)
        legal = aec.state.legal_actions()
        assert obs["action_mask"].shape == (NUM_ACTIONS,)
        assert np.flatnonzero(obs["action_mask"]).tolist() == legal
        assert obs["observation"].shape == aec.game.info.observation_shape
        aec.step(legal[len(legal) // 2])
