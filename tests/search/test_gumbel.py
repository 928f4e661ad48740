"""The Gumbel root (Danihelka et al. 2022, as DeepMind's mctx): each test is named after the rule it checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_mcts import ThreeWay  # the three-player toy game of UCT's max^n test (its docstring)

from selfplay.games import make
from selfplay.games.base import Game, GameInfo, State
from selfplay.search import (
    ISMCTS, PUCT, GumbelPIMC, GumbelPIMCResult, GumbelResult, PUCTConfig, RandomRollout, improved_policy,
    search_batched,
)
from selfplay.search.gumbel import completed_q, considered_visits, mixed_value, sigma
from selfplay.search.minimax import Minimax

KUHN_FOLD, KUHN_CALL = 0, 1


def play(game_name: str, moves: list[int], **options) -> State:
    state = make(game_name).new_initial_state(**options)
    for move in moves:
        state.apply(move)
    return state


def gumbel(simulations: int = 8, **fields) -> PUCTConfig:
    return PUCTConfig(simulations=simulations, k=None, root="gumbel", **fields)


# ---- a one-move game: action a ends it with return rewards[a] (so q(a) = rewards[a]) ------------
class BanditState(State):
    __slots__ = ("game", "done")

    def __init__(self, game: "Bandit", seed: int | None = None) -> None:
        self.game, self.done = game, None

    @property
    def current_player(self) -> int:
        return 0

    def is_terminal(self) -> bool:
        return self.done is not None

    def _legal_actions(self) -> list[int]:
        return list(range(len(self.game.rewards)))

    def _apply(self, action: int) -> None:
        self.done = action

    def _returns(self) -> list[float]:
        return [float(self.game.rewards[self.done])]

    def action_to_string(self, action: int) -> str:
        return str(action)

    def clone(self) -> "BanditState":
        new = BanditState(self.game)
        new.done = self.done
        return new

    def __str__(self) -> str:
        return f"bandit({self.done})"


class Bandit(Game):
    state_class = BanditState
    info = GameInfo(name="bandit", num_players=1, num_actions=32, perfect_information=True, observation_shape=(1,))

    def __init__(self, rewards) -> None:
        self.rewards = list(rewards)


class FixedRoot:
    """Prior ``softmax(logits)`` and value ``value`` for every state (only the root is ever evaluated)."""

    def __init__(self, logits, value: float) -> None:
        self.logits, self.value = np.asarray(logits, dtype=float), value

    def evaluate_batch(self, states):
        prior = np.exp(self.logits - self.logits.max())
        return [prior / prior.sum() for _ in states], np.full((len(states), 1), self.value)


class Perfect:
    """Uniform prior, the exact minimax value (tictactoe)."""

    tree = Minimax()

    def evaluate_batch(self, states):
        priors = [np.full(len(s.legal_actions()), 1.0 / len(s.legal_actions())) for s in states]
        return priors, np.array([self.tree.solve(s) for s in states], dtype=float)


# ---- (1) the policy target -----------------------------------------------------------------------
def test_policy_target_matches_a_hand_computation() -> None:
    logits = np.log([0.4, 0.3, 0.2, 0.1])  # so pi = softmax(logits) = (0.4, 0.3, 0.2, 0.1)
    visits = np.array([4, 2, 0, 0])
    q = np.array([0.5, -0.25, 123.0, -7.0])  # the unvisited entries are never read
    v_hat = 0.1
    # v_mix = (v_hat + sum N * (sum_visited pi q) / (sum_visited pi)) / (1 + sum N)
    #   sum N = 6; sum_visited pi q = 0.4 * 0.5 + 0.3 * (-0.25) = 0.125; sum_visited pi = 0.7
    #   weighted q = 0.125 / 0.7 = 5/28 = 0.178571428...
    #   v_mix = (1/10 + 6 * 5/28) / 7 = (41/35) / 7 = 41/245 = 0.167346938...
    v_mix = 41 / 245
    assert mixed_value(v_hat, logits, visits, q) == pytest.approx(v_mix, abs=1e-12)
    # completed Q = (0.5, -0.25, 41/245, 41/245); min -0.25, max 0.5, span 0.75
    completed = completed_q(v_hat, logits, visits, q)
    assert completed == pytest.approx([0.5, -0.25, v_mix, v_mix], abs=1e-12)
    # rescaled = (1, 0, (41/245 + 1/4) / (3/4), same) = (1, 0, 409/735, 409/735); 409/735 = 0.556462585...
    # sigma = (c_visit + max N) * c_scale * rescaled = (50 + 4) * 0.1 * rescaled = 5.4 * rescaled
    #       = (5.4, 0, 3681/1225, 3681/1225) = (5.4, 0, 3.004897959..., 3.004897959...)
    s = 3681 / 1225
    assert sigma(completed, visits) == pytest.approx([5.4, 0.0, s, s], abs=1e-12)
    # target = softmax(logits + sigma), proportional to pi * e^sigma:
    #   0.4 * e^5.4 = 0.4 * 221.406416204 = 88.562566482
    #   0.3 * e^0   = 0.3
    #   0.2 * e^s   = 0.2 * 20.184156383 = 4.036831277
    #   0.1 * e^s   = 0.1 * 20.184156383 = 2.018415638
    #   total 94.917813397 -> (0.933044740, 0.003160629, 0.042529754, 0.021264877)
    weights = [0.4 * math.exp(5.4), 0.3, 0.2 * math.exp(s), 0.1 * math.exp(s)]
    expected = [w / sum(weights) for w in weights]
    target = improved_policy(logits, visits, q, v_hat)
    assert np.max(np.abs(target - expected)) < 1e-9
    assert target == pytest.approx([0.933044740, 0.003160629, 0.042529754, 0.021264877], abs=1e-9)


def test_target_on_the_games_scale_and_with_a_magnet_matches_a_hand_computation() -> None:
    """The case above with Q rescaled by a declared range (-1, 1) instead of its min and max,
    then with the magnet 1 (the exponent halved)."""
    logits = np.log([0.4, 0.3, 0.2, 0.1])
    visits, q, v_hat = np.array([4, 2, 0, 0]), np.array([0.5, -0.25, 0.0, 0.0]), 0.1
    completed = completed_q(v_hat, logits, visits, q)  # (0.5, -0.25, 41/245, 41/245)
    # rescaled = (q + 1) / 2 = (0.75, 0.375, 143/245, 143/245); sigma = 5.4 * rescaled
    s = 5.4 * 143 / 245  # 3.151836734...
    assert sigma(completed, visits, value_range=(-1.0, 1.0)) == pytest.approx([4.05, 2.025, s, s], abs=1e-12)
    weights = [0.4 * math.exp(4.05), 0.3 * math.exp(2.025), 0.2 * math.exp(s), 0.1 * math.exp(s)]
    # 0.4 e^4.05 = 22.958, 0.3 e^2.025 = 2.2723, 0.2 e^s = 4.6766, 0.1 e^s = 2.3383: total 32.245
    target = improved_policy(logits, visits, q, v_hat, value_range=(-1.0, 1.0))
    assert target == pytest.approx([w / sum(weights) for w in weights], abs=1e-12)
    assert target == pytest.approx([0.71201, 0.07049, 0.14501, 0.07250], abs=1e-4)
    # magnet 1: softmax((logits + sigma) / 2), proportional to sqrt(pi * e^sigma)
    roots = [math.sqrt(w) for w in weights]
    damped = improved_policy(logits, visits, q, v_hat, value_range=(-1.0, 1.0), magnet=1.0)
    assert damped == pytest.approx([r / sum(roots) for r in roots], abs=1e-12)
    assert damped == pytest.approx([0.47961, 0.15090, 0.21644, 0.15305], abs=1e-4)
    # and a value outside the declared range clips to it
    assert sigma(np.array([3.0, -3.0]), np.array([1, 1]), value_range=(-1.0, 1.0)) == pytest.approx([5.1, 0.0])


def test_with_no_visits_the_target_is_the_prior() -> None:
    # v_mix = v_hat for every action: equal completed Qs rescale to 0, sigma = 0.
    logits = np.log([0.5, 0.25, 0.25])
    target = improved_policy(logits, np.zeros(3), np.zeros(3), value=0.7)
    assert np.max(np.abs(target - [0.5, 0.25, 0.25])) < 1e-12


# ---- (2) sequential halving ----------------------------------------------------------------------
def test_sequential_halving_schedule_is_mctx_s() -> None:
    # mctx's get_sequence_of_considered_visits: phases of max(1, n // (ceil(log2 m) * width)) rounds.
    # m=4, n=8: 2 phases; 4 actions x 1 round, then 2 actions x 2 rounds.
    assert considered_visits(4, 8) == (0, 0, 0, 0, 1, 1, 2, 2)
    # m=16, n=32: 4 phases planned; 16 x 1, 8 x 1, 4 x 2 rounds spend the 32 (the 2-action phase never comes).
    assert considered_visits(16, 32) == (0,) * 16 + (1,) * 8 + (2,) * 4 + (3,) * 4
    assert considered_visits(2, 8) == (0, 0, 1, 1, 2, 2, 3, 3)
    assert considered_visits(1, 3) == (0, 1, 2)
    assert considered_visits(16, 8) == (0,) * 8  # fewer simulations than actions: the first 8 once each


@pytest.mark.parametrize("batch", [1, 4])
def test_sequential_halving_spends_the_budget_phase_by_phase(batch: int) -> None:
    rng = np.random.default_rng(7)
    rewards, logits = rng.uniform(-1, 1, size=20), rng.normal(size=20)
    search = PUCT(FixedRoot(logits, 0.0), gumbel(32, gumbel_m=16, batch=batch), rng=3)
    result = search.search(Bandit(rewards).new_initial_state())
    g = np.array([search._gumbel.gumbel[a] for a in range(20)])
    chosen = search._gumbel.chosen
    assert len(chosen) == 32 and sum(result.counts.values()) == 32
    assert result.root.visits == 33 and result.simulations == 33  # the root's own evaluation comes first
    # phase 1: the 16 actions of largest g + logits (Gumbel-top-k), once each
    top16 = set(np.argsort(-(g + np.log(np.exp(logits) / np.exp(logits).sum())))[:16].tolist())
    assert set(chosen[:16]) == top16 == set(result.counts)
    # phase 2: 8 of them once more; phase 3: 4 of those 8, twice
    assert len(set(chosen[16:24])) == 8 and set(chosen[16:24]) <= top16
    assert len(set(chosen[24:28])) == 4 and set(chosen[24:28]) <= set(chosen[16:24])
    assert set(chosen[28:32]) == set(chosen[24:28])
    assert sorted(result.counts.values(), reverse=True) == [4] * 4 + [2] * 4 + [1] * 8
    # the move: among the most visited, the best g + logits + sigma (here with exact q = reward)
    assert result.counts[result.action] == 4


@pytest.mark.parametrize("batch", [1, 4])
def test_sequential_halving_on_tictactoe_with_leaf_evaluations(batch: int) -> None:
    evaluator = RandomRollout(0)
    search = PUCT(evaluator, gumbel(8, gumbel_m=4, batch=batch), rng=1)
    result = search.search(play("tictactoe", []))
    chosen = search._gumbel.chosen
    assert len(set(chosen[:4])) == 4 and len(set(chosen[4:6])) == 2 and set(chosen[6:8]) == set(chosen[4:6])
    assert sorted(result.counts.values()) == [1, 1, 3, 3] and result.root.visits == 9
    assert len(result.target) == 9  # every legal action, searched or not


# mctx 0.0.71 gumbel_muzero_policy on one-step roots (reward r(a), discount 0: q(a) = r(a)), its Gumbel
# draws passed to ours; the visits and the move are mctx's, the weights its float32 action_weights.
MCTX_ROOTS = [
    dict(m=4, n=16, value=-0.9757971686556146,
         logits=[0.0803715296, 0.700444143, -0.196853454, -0.126344291, -1.94971087, 0.23166517, 0.273547831,
                 0.881879535, -0.243380605],
         rewards=[-0.234323982, 0.131547814, 0.97153927, -0.143950962, 0.686029429, -0.837352617, 0.750456507,
                  0.883412311, -0.476271968],
         gumbel=[1.39145815, 0.381182283, 0.48387754, -1.307284, 0.641894162, 1.39910913, 0.792738378,
                 -0.357768416, 0.527754307],
         visits=[2, 6, 0, 0, 0, 2, 6, 0, 0], action=6,
         weights=[0.0180498101, 0.121947527, 0.0246793944, 0.0264823344, 0.00427639857, 0.00250333431,
                  0.705922902, 0.0725808889, 0.0235574357]),
    dict(m=16, n=32, value=-0.12186357897527245,
         logits=[-0.152399832, 0.0044306638, -0.0986399787, -0.377835457, 0.2656362, 0.369204802, 0.177186264],
         rewards=[-0.27028555, -0.832925158, 0.315964788, 0.433209841, -0.255517952, -0.577229689, -0.181497098],
         gumbel=[-0.818887413, 1.5403173, 2.29577041, 0.451989263, 3.50377655, -0.816108346, 0.0412266031],
         visits=[1, 1, 12, 4, 12, 1, 1], action=2,
         weights=[0.0204629935, 0.00152244745, 0.381123692, 0.511861205, 0.0334137678, 0.00766896037,
                  0.0439469293]),
]


@pytest.mark.parametrize("case", MCTX_ROOTS, ids=["m4-n16", "m16-n32"])
def test_the_root_visits_chooses_and_targets_as_mctx(case: dict) -> None:
    search = PUCT(FixedRoot(case["logits"], case["value"]), gumbel(case["n"], gumbel_m=case["m"]), rng=0)
    search.root_gumbel = dict(enumerate(case["gumbel"]))
    result = search.search(Bandit(case["rewards"]).new_initial_state())
    actions = range(len(case["rewards"]))
    assert [result.counts.get(a, 0) for a in actions] == case["visits"]
    assert result.action == case["action"]
    assert np.max(np.abs(np.array([result.target[a] for a in actions]) - case["weights"])) < 1e-5


def test_the_target_is_the_formula_over_the_search_tree() -> None:
    state = play("tictactoe", [4])
    result = PUCT(RandomRollout(2), gumbel(16), rng=2).search(state)
    legal = state.legal_actions()
    visits = np.array([result.counts.get(a, 0) for a in legal])
    q = np.array([result.root.children[a].value_for(1) if visits[i] else 0.0 for i, a in enumerate(legal)])
    expected = improved_policy(np.log(np.full(len(legal), 1 / len(legal))), visits, q, result.statistics.value)
    assert np.max(np.abs(np.array([result.target[a] for a in legal]) - expected)) < 1e-12
    assert isinstance(result, GumbelResult) and sum(visits) == 16


# ---- (3) a perfect evaluator, 8 simulations -------------------------------------------------------
# X to move. [0, 3, 1, 4]: 2 wins, 5 blocks (a draw), 6/7/8 lose. [0, 4, 8, 2, 6, 3]: 7 wins, 5 draws, 1 loses.
WINS_IN_ONE = [([0, 3, 1, 4], 2), ([0, 4, 8, 2, 6, 3], 7)]


@pytest.mark.parametrize("moves,win", WINS_IN_ONE)
def test_a_perfect_evaluator_finds_the_win_in_one_with_8_simulations(moves: list[int], win: int) -> None:
    state = play("tictactoe", moves)
    for seed in range(20):
        result = PUCT(Perfect(), gumbel(8), rng=seed).search(state)
        # the improved policy puts most of its mass on the win whatever the seed (0.84 at least over 100 seeds:
        # the draw keeps about e^(5.3 * rescaled draw value) of the win's e^5.3)
        assert max(result.target, key=result.target.get) == win and result.target[win] > 0.8
        # mctx's evaluation setting for perfect information (no Gumbel noise): the move is the win
        assert PUCT(Perfect(), gumbel(8, gumbel_scale=0.0), rng=seed).search(state).action == win
    # with the noise (self-play), the move is a draw from the improved policy: the win most of the time
    picks = [PUCT(Perfect(), gumbel(8), rng=seed).search(state).action for seed in range(100)]
    assert picks.count(win) >= 80


@pytest.mark.parametrize("deal,best", [(("Q", "K"), KUHN_CALL), (("K", "J"), KUHN_FOLD)])
def test_kuhn_facing_a_bet_the_king_calls_and_the_jack_folds(deal, best) -> None:
    state = play("kuhn", [1], deal=deal)  # player 0 bets; player 1 to move
    for seed in range(10):
        result = ISMCTS(RandomRollout(seed), gumbel(8, gumbel_scale=0.0), rng=seed).search(state)
        assert result.action == best and result.target[best] > 0.99  # e^5.4 / (e^5.4 + 1) = 0.9955


def test_max_n_the_root_reads_the_movers_own_value() -> None:
    # ThreeWay: max^n makes branch 0 worth 1.0 to player 0 and branch 1 worth 0.2; reading player 2's
    # entry instead would prefer branch 1.
    # (With 64 simulations PUCT's exploration below the root still drags the branches' means to 0.5 and 0.65.)
    for seed in range(5):
        result = PUCT(RandomRollout(seed), gumbel(200), rng=seed).search(ThreeWay().new_initial_state())
        assert result.action == 0 and result.target[0] > 0.9


# ---- (4) determinism, (5) hidden information -------------------------------------------------------
def leduc_facing_a_bet() -> State:
    return play("leduc", [2], deal=("Qh", "Ks", "Js"))  # player 0 bets; player 1 (Ks) to move


def searches(kind: str, seed: int):
    config = gumbel(16, batch=4)
    if kind == "perfect":
        return PUCT(RandomRollout(seed), config, rng=seed), play("tictactoe", [4, 0])
    if kind == "ismcts":
        return ISMCTS(RandomRollout(seed), config, rng=seed), leduc_facing_a_bet()
    return GumbelPIMC(RandomRollout(seed), config, worlds=4, rng=seed), leduc_facing_a_bet()


@pytest.mark.parametrize("kind", ["perfect", "ismcts", "pimc"])
def test_the_same_seed_gives_the_same_search(kind: str) -> None:
    (first, state), (second, _) = searches(kind, 5), searches(kind, 5)
    a, b = first.search(state), second.search(state)
    assert a.action == b.action and a.counts == b.counts and a.target == b.target
    assert np.array_equal(a.statistics.gumbel, b.statistics.gumbel)
    other, _ = searches(kind, 6)
    assert not np.array_equal(other.search(state).statistics.gumbel, a.statistics.gumbel)


@pytest.mark.parametrize("kind", ["ismcts", "pimc"])
def test_leduc_target_covers_the_legal_actions_and_sums_to_one(kind: str) -> None:
    search, state = searches(kind, 0)
    result = search.search(state)
    assert set(result.target) == set(state.legal_actions())
    assert abs(sum(result.target.values()) - 1.0) < 1e-12 and min(result.target.values()) >= 0
    worlds = 4 if kind == "pimc" else 1
    assert sum(result.counts.values()) == 16 * worlds  # the budget, below the root(s)
    if kind == "pimc":
        assert isinstance(result, GumbelPIMCResult)
        assert all(np.array_equal(w.statistics.gumbel, result.statistics.gumbel) for w in result.worlds)


def test_pimc_with_one_world_is_that_worlds_own_search() -> None:
    state, config = leduc_facing_a_bet(), gumbel(16)
    pimc = GumbelPIMC(RandomRollout(9), config, worlds=1, rng=4).search(state)
    rng = np.random.default_rng(4)  # replay PIMC's draws: the world, its search's seed, then g
    world = state.resample_hidden(state.current_player, rng)
    seed = int(rng.integers(2**63, size=1)[0])
    search = PUCT(RandomRollout(9), config, rng=seed, mode="perfect")
    search.root_gumbel = dict(zip(world.legal_actions(), rng.gumbel(size=len(world.legal_actions())).tolist()))
    alone = search.search(world)
    assert pimc.action == alone.action and pimc.counts == alone.counts
    assert all(abs(pimc.target[a] - alone.target[a]) < 1e-12 for a in alone.target)


def test_search_batched_runs_gumbel_and_puct_roots_together() -> None:
    states = [play("tictactoe", []), play("tictactoe", [4]), play("connect4", [3])]
    configs = [gumbel(8, batch=4), gumbel(12, batch=2), PUCTConfig(simulations=10, k=None, batch=4)]
    results = search_batched([PUCT(RandomRollout(i), c, rng=i) for i, c in enumerate(configs)], states)
    assert [sum(r.counts.values()) for r in results[:2]] == [8, 12]
    assert results[2].simulations == 10 and not isinstance(results[2], GumbelResult)


def test_a_gumbel_root_starts_afresh_and_takes_no_dirichlet_noise() -> None:
    search = PUCT(RandomRollout(0), gumbel(8, dirichlet_fraction=0.25), rng=0)
    state = play("tictactoe", [])
    search.search(state)
    state.apply(4)
    state.apply(0)
    result = search.search(state)  # a reusing PUCT would keep the subtree under 4, 0
    assert result.root.visits == 9 and sum(result.counts.values()) == 8
    assert all(child.prior == pytest.approx(1 / 7) for child in result.root.children.values())


def test_config_rejects_unknown_roots_and_bad_gumbel_settings() -> None:
    for bad in (dict(root="halving"), dict(gumbel_m=0), dict(c_scale=-1.0), dict(gumbel_scale=-0.5)):
        with pytest.raises(ValueError):
            PUCTConfig(**bad)
