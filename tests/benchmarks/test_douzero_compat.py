"""DouZero 1.1.0 checkpoints play in our arena as DouZero: its features are a selection of ours,
its network computes the same Q values inside our QNet (benchmarks/douzero_compat.py, which
benchmarks/learning_curve.py uses to score DouZero's checkpoints)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("douzero.env")
from douzero.env.env import DummyAgent, _cards2array, get_obs  # noqa: E402
from douzero.env.game import GameEnv  # noqa: E402


def _load_beside_benchmarks(name: str):
    """A module of benchmarks/ (not a package), loaded by path: no benchmarks/ on sys.path for other tests."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


dc = _load_beside_benchmarks("douzero_compat")

from selfplay.games import make  # noqa: E402
from selfplay.games.doudizhu import douzero_features  # noqa: E402
from selfplay.games.doudizhu.cards import format_hand  # noqa: E402
from selfplay.games.doudizhu.moves import MOVE_CARDS  # noqa: E402
from selfplay.learners.dmc import load_agent  # noqa: E402
from selfplay.nets import decision_q_values  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """The suite runs beside other tests (pytest -n 2 on 2 cores): no spinning thread pools."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def douzero_game(state) -> tuple[GameEnv, dict]:
    """DouZero's engine on our deal: seat 0 landlord (with the kitty), seat 1 landlord_down, seat 2 landlord_up."""
    players = {p: DummyAgent(p) for p in ("landlord", "landlord_up", "landlord_down")}
    env = GameEnv(players)
    env.card_play_init({"landlord": dc.to_douzero_cards(state.hand(0)),
                        "landlord_down": dc.to_douzero_cards(state.hand(1)),
                        "landlord_up": dc.to_douzero_cards(state.hand(2)),
                        "three_landlord_cards": dc.to_douzero_cards(format_hand(state._kitty))})
    return env, players


def positions(games: int, seed: int):
    """(our state, our player, DouZero's infoset) at every decision of random games played in both engines."""
    game, rng = make("doudizhu"), random.Random(seed)
    for g in range(games):
        state = game.new_initial_state(seed=seed * 1000 + g)
        env, players = douzero_game(state)
        while not state.is_terminal():
            assert not env.game_over
            yield state, state.current_player, env.game_infoset
            action = rng.choice(state.legal_actions())
            move = dc.to_douzero_cards(MOVE_CARDS[action])
            players[env.acting_player_position].set_action(move)  # asserts the move is legal for DouZero too
            env.step()
            state.apply(action)
        assert env.game_over and (env.get_winner() == "landlord") == (state.winners == (0,))


def test_our_features_hold_douzero_features_value_for_value_on_real_positions():
    seen = {r: 0 for r in dc.ROLES}
    for state, player, infoset in positions(games=12, seed=1):
        role = state.role(player)
        assert infoset.player_position == role
        obs = get_obs(infoset)
        x, z, moves = dc.douzero_inputs(douzero_features(state, player), role)
        np.testing.assert_array_equal(x, obs["x_no_action"])
        np.testing.assert_array_equal(z, obs["z"])
        # every legal move of ours is one of DouZero's (its kicker rules are looser), encoded alike
        theirs = {tuple(m) for m in obs["legal_actions"]}
        for action, row in zip(state.legal_actions(), moves):
            cards = dc.to_douzero_cards(MOVE_CARDS[action])
            assert tuple(cards) in theirs
            np.testing.assert_array_equal(row, _cards2array(cards))
        seen[role] += 1
    assert min(seen.values()) >= 100, seen  # a few hundred positions, every role


def douzero_models():
    """DouZero's own network classes: douzero/dmc/models.py, loaded alone (``douzero.dmc`` imports GitPython)."""
    path = Path(importlib.util.find_spec("douzero").submodule_search_locations[0]) / "dmc" / "models.py"
    spec = importlib.util.spec_from_file_location("douzero_models_only", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {"landlord": module.LandlordLstmModel, "landlord_down": module.FarmerLstmModel,
            "landlord_up": module.FarmerLstmModel}


def test_douzero_weights_in_our_qnet_give_douzero_q_values_and_play_as_a_checkpoint(tmp_path):
    torch.manual_seed(0)
    classes = douzero_models()
    theirs = {}
    for role in dc.ROLES:
        model = classes[role]()
        with torch.no_grad():  # PyTorch's initial weights give nearly flat Q values: spread them
            for p in model.parameters():
                p.mul_(3.0)
        theirs[role] = model.eval()
    ours = {r: dc.qnet_from_douzero(theirs[r].state_dict(), r).eval() for r in dc.ROLES}
    checked = 0
    for state, player, infoset in positions(games=3, seed=2):
        role = state.role(player)
        obs = get_obs(infoset)
        f = douzero_features(state, player)
        with torch.no_grad():
            want = theirs[role](torch.from_numpy(obs["z_batch"]), torch.from_numpy(obs["x_batch"]),
                                return_value=True)["values"][:, 0].numpy()
        by_move = {tuple(m): q for m, q in zip(obs["legal_actions"], want)}
        got = decision_q_values(ours[role], [(f["x"], f["z"], f["moves"])])[0]
        expect = [by_move[tuple(dc.to_douzero_cards(MOVE_CARDS[a]))] for a in state.legal_actions()]
        np.testing.assert_allclose(got, expect, rtol=1e-4, atol=1e-5)
        checked += 1
    assert checked > 50
    # written as a selfplay checkpoint, it is an agent of the arena
    path = dc.convert({r: theirs[r].state_dict() for r in dc.ROLES}, tmp_path / "douzero.pt", frames=123)
    agent = load_agent(path, make("doudizhu"))
    state = make("doudizhu").new_initial_state(seed=5)
    f = douzero_features(state)
    legal, q = agent.q_values(state)
    assert legal[int(np.argmax(q))] == agent.act(state)
    np.testing.assert_allclose(q, decision_q_values(ours["landlord"], [(f["x"], f["z"], f["moves"])])[0], rtol=1e-6)


def test_douzero_saves_are_read_from_a_run_folder(tmp_path):
    classes = douzero_models()
    for frames in (0, 3200):
        for role in dc.ROLES:
            torch.save(classes[role]().state_dict(), tmp_path / f"{role}_weights_{frames}.ckpt")
    torch.save(classes["landlord"]().state_dict(), tmp_path / "landlord_weights_6400.ckpt")  # incomplete save
    assert dc.douzero_saves(tmp_path) == [0, 3200]
    weights, frames = dc.read_douzero(tmp_path)
    assert frames == 3200 and set(weights) == set(dc.ROLES)
