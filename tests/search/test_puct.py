"""Sampled PUCT: each test is named after the rule it checks."""

from __future__ import annotations

import numpy as np
import pytest
from test_mcts import ThreeWay  # the three-player toy game of UCT's max^n test (its docstring)

from selfplay.games import make
from selfplay.games.base import State
from selfplay.games.doudizhu.cards import RANK_LIMITS, RANKS, parse_counts
from selfplay.games.doudizhu.game import NUM_ACTIONS
from selfplay.games.doudizhu.moves import MOVE_SIZE
from selfplay.search import (
    ISMCTS, PIMC, PUCT, BatchEvaluator, NetworkEvaluator, PUCTConfig, PUCTNode, RandomRollout, search_batched,
    team_value_vector,
)


def play(game_name: str, moves: list[int]) -> State:
    state = make(game_name).new_initial_state()
    for move in moves:
        state.apply(move)
    return state


def softmax(x) -> np.ndarray:
    z = np.exp(np.asarray(x, dtype=float) - np.max(x))
    return z / z.sum()


class CountingEvaluator:
    """Random rollouts (uniform prior), recording the size of every batch it is called with."""

    def __init__(self, seed: int = 0) -> None:
        self.inner = RandomRollout(seed)
        self.batches: list[int] = []

    def evaluate_batch(self, states):
        self.batches.append(len(states))
        return self.inner.evaluate_batch(states)


class TacticalPrior:
    """A prior that sees one move ahead, as a trained network would learn to: an immediate
    win weighs e^6, a move after which the opponent cannot win at once e^4, anything else
    e^0. Value: one random rollout."""

    def __init__(self, seed: int = 0) -> None:
        self.rollout = RandomRollout(seed)

    def evaluate_batch(self, states):
        priors = []
        for state in states:
            me, logits = state.current_player, []
            for action in state.legal_actions():
                after = state.child(action)
                if after.is_terminal():
                    logits.append(6.0 if after.returns()[me] > 0 else 0.0)
                    continue
                loses = any(after.child(b).is_terminal() and after.child(b).returns()[me] < 0
                            for b in after.legal_actions())
                logits.append(0.0 if loses else 4.0)
            priors.append(softmax(logits))
        return priors, self.rollout.evaluate_batch(states)[1]


# ---- sampling finds the winning move ---------------------------------------------------------------


def landlord_deal(landlord_cards: str) -> tuple[str, str, str, str]:
    """A DouDizhu deal where the landlord (seat 0) holds exactly ``landlord_cards`` (20 cards)."""
    used = parse_counts(landlord_cards)
    rest = "".join(RANKS[r] * (RANK_LIMITS[r] - n) for r, n in enumerate(used))
    return landlord_cards[:17], rest[:17], rest[17:], landlord_cards[17:]


MOVE_SIZES = np.zeros(NUM_ACTIONS)
MOVE_SIZES[:len(MOVE_SIZE)] = MOVE_SIZE


def shedding_network(scale: float = 1.0, bonus: dict[int, float] | None = None):
    """A stand-in policy network for DouDizhu: logits grow with the cards a move sheds
    (plus ``bonus`` on chosen actions); value 0 for everyone."""
    logits = MOVE_SIZES * scale
    for action, extra in (bonus or {}).items():
        logits[action] += extra

    def network(features: np.ndarray):
        return np.tile(logits, (len(features), 1)), np.zeros((len(features), 3))

    return NetworkEvaluator(network, features=lambda s: np.zeros(1))


# The landlord can lead its whole hand as one move and win at once, among hundreds of moves.
WHOLE_HAND_WINS = [
    "33344455566677789TJQ",  # an airplane of five trios with five solo wings
    "333444555666778899TT",  # an airplane of four trios with four pair wings
    "33445566778899TTJJQQ",  # ten consecutive pairs
]


@pytest.mark.parametrize("hand", WHOLE_HAND_WINS)
def test_sampled_search_finds_the_winning_move_with_k_much_smaller_than_the_action_count(hand: str) -> None:
    state = make("doudizhu").new_initial_state(deal=landlord_deal(hand))
    win, k = state.string_to_action(hand), 8
    assert len(state.legal_actions()) >= 9 * k  # 452, 321 and 77 legal moves
    for seed in range(4):
        ismcts = ISMCTS(shedding_network(), PUCTConfig(simulations=64, k=k, batch=4), rng=seed).search(state)
        assert len(ismcts.root.children) == k
        assert ismcts.action == win
        pimc = PIMC(shedding_network(), PUCTConfig(simulations=32, k=k, batch=4), worlds=3, rng=seed).search(state)
        assert pimc.action == win


@pytest.mark.parametrize("replacement", [False, True])
def test_sampled_search_prefers_a_sampled_win_over_the_priors_favourite(replacement: bool) -> None:
    # The prior ranks a 16-card airplane first (about 3x the win's prior), and the win is
    # sampled only about half the time; whenever it is, the search finds it.
    hand = WHOLE_HAND_WINS[0]
    state = make("doudizhu").new_initial_state(deal=landlord_deal(hand))
    win, decoy = state.string_to_action(hand), state.string_to_action("333444555666789T")
    evaluator = shedding_network(scale=0.5, bonus={decoy: 3.0})
    legal = state.legal_actions()
    prior = softmax(evaluator.network(np.zeros((1, 1)))[0][0][legal])
    assert prior.argmax() == legal.index(decoy) and prior[legal.index(win)] < 0.1
    config = PUCTConfig(simulations=48, k=8, batch=4, replacement=replacement)
    sampled = both = 0
    for seed in range(10):
        result = ISMCTS(evaluator, config, rng=seed).search(state)
        if win in result.root.children:
            sampled += 1
            both += decoy in result.root.children
            assert result.action == win  # a sampled win is always found, favourite or not
    assert 3 <= sampled <= 9 and both >= 2


@pytest.mark.parametrize("seed", range(6))
def test_chooses_the_win_whenever_it_is_sampled_under_a_uniform_prior(seed: int) -> None:
    state = play("connect4", [0, 1, 0, 1, 0, 1])  # column 0 wins at once
    result = PUCT(RandomRollout(seed), PUCTConfig(simulations=150, k=3), rng=seed).search(state)
    assert len(result.root.children) == 3
    if 0 in result.root.children:
        assert result.action == 0
    else:
        assert result.action in result.root.children  # never an action that was not sampled


CASES = {  # position, the move that wins or blocks, K (below the legal count)
    "connect4 win in 1": ("connect4", [0, 1, 0, 1, 0, 1], 0, 3),
    "connect4 block": ("connect4", [0, 6, 1, 6, 2], 3, 3),
    "tictactoe win in 1": ("tictactoe", [0, 3, 1, 4], 2, 2),
    "tictactoe block": ("tictactoe", [0, 4, 1], 2, 2),
}


@pytest.mark.parametrize("case", CASES)
def test_sampled_search_wins_in_one_and_blocks_a_loss_in_one(case: str) -> None:
    game, moves, answer, k = CASES[case]
    state = play(game, moves)
    assert len(state.legal_actions()) > k
    for seed in range(3):
        result = PUCT(TacticalPrior(seed), PUCTConfig(simulations=200, k=k, batch=4), rng=seed).search(state)
        assert result.action == answer


@pytest.mark.parametrize("case", CASES)
def test_search_over_every_action_wins_in_one_and_blocks_with_random_rollouts(case: str) -> None:
    game, moves, answer, _ = CASES[case]
    result = PUCT(RandomRollout(0), PUCTConfig(simulations=600, k=None, batch=8), rng=0).search(play(game, moves))
    assert set(result.root.children) == set(play(game, moves).legal_actions())
    assert result.action == answer


# ---- max^n ---------------------------------------------------------------------------------------


def test_maxn_backup_lets_each_player_pick_by_its_own_value() -> None:
    result = PUCT(RandomRollout(0), PUCTConfig(simulations=400, k=None, batch=4), rng=0).search(
        ThreeWay().new_initial_state())
    assert result.action == 0
    branch0, branch1 = result.root.children[0], result.root.children[1]
    assert (branch0.player, branch1.player) == (1, 2)
    assert branch0.best_action() == 0 and branch1.best_action() == 1
    assert branch0.value_for(0) > 0.7 and branch1.value_for(0) < 0.6
    np.testing.assert_allclose(branch1.children[1].mean_value(), [0.2, 0.0, 1.0])  # the full vector is kept


def test_team_value_vector_shares_with_teammates_and_splits_losses_by_team_size() -> None:
    teams = ((0,), (1, 2))
    np.testing.assert_allclose(team_value_vector(1.0, 0, teams), [1.0, -0.5, -0.5])
    np.testing.assert_allclose(team_value_vector(1.0, 2, teams), [-2.0, 1.0, 1.0])
    np.testing.assert_allclose(team_value_vector(1.0, 1, teams, zero_sum=False), [-1.0, 1.0, 1.0])
    np.testing.assert_allclose(team_value_vector(0.5, 1, ((0,), (1,))), [-0.5, 0.5])


def test_network_evaluator_gives_the_softmax_over_legal_actions_and_spreads_a_mover_value() -> None:
    calls = []

    def network(features):
        calls.append(features.shape)
        logits = np.tile(np.arange(7, dtype=float), (len(features), 1))
        return logits, np.full(len(features), 0.25)

    states = [play("connect4", [0] * 6), play("connect4", [3])]  # column 0 full in the first
    priors, values = NetworkEvaluator(network, temperature=2.0).evaluate_batch(states)
    assert calls == [(2, 126)]  # one call for the batch, observations flattened
    np.testing.assert_allclose(priors[0], softmax(np.arange(1, 7) / 2.0))
    np.testing.assert_allclose(priors[1], softmax(np.arange(7) / 2.0))
    np.testing.assert_allclose(values, [[0.25, -0.25], [-0.25, 0.25]])  # mover: player 0, then 1


# ---- batching under virtual loss -------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_batched_search_chooses_as_unbatched_and_calls_the_evaluator_with_batches(case: str) -> None:
    game, moves, answer, _ = CASES[case]
    state = play(game, moves)
    config = PUCTConfig(simulations=400, k=None)
    one = CountingEvaluator(0)
    unbatched = PUCT(one, config, rng=0).search(state)
    assert set(one.batches) == {1}
    eight = CountingEvaluator(0)
    batched = PUCT(eight, PUCTConfig(simulations=400, k=None, batch=8), rng=0).search(state)
    assert batched.action == unbatched.action == answer
    assert max(eight.batches) == 8 and len(eight.batches) < len(one.batches) / 3
    assert batched.root.visits == unbatched.root.visits == 400
    assert all(node.pending == 0 for node in walk(batched.root))  # every virtual loss was removed


def walk(node: PUCTNode):
    yield node
    for child in node.children.values():
        yield from walk(child)
    for out in (node.outcomes or {}).values():
        yield from walk(out)


def test_concurrent_searches_share_one_evaluator_call_per_round() -> None:
    evaluator = CountingEvaluator(1)
    positions = [play("connect4", m) for m in ([0, 1, 0, 1, 0, 1], [0, 6, 1, 6, 2], [3], [])]
    searches = [PUCT(evaluator, PUCTConfig(simulations=200, k=None, batch=8), rng=i) for i in range(4)]
    results = search_batched(searches, positions)
    assert [r.action for r in results[:2]] == [0, 3]
    assert all(r.root.visits == 200 for r in results)
    assert max(evaluator.batches) > 8 and max(evaluator.batches) <= 4 * 8  # leaves of several games per call
    assert len(evaluator.batches) <= 200 // 8 * 2


def test_virtual_loss_steers_the_next_selection_away_from_a_pending_leaf() -> None:
    search = PUCT(RandomRollout(0), PUCTConfig(k=None))
    search._lo, search._hi = -1.0, 1.0
    node = PUCTNode(2)
    node.player, node.visits, node.value_sum = 0, 2, [0.0, 0.0]
    for action in (0, 1):
        child = node.children[action] = PUCTNode(2, prior=0.5)
        child.visits, child.value_sum = 1, [0.0, 0.0]
    assert search._pick(node, node.children.items())[0] == 0  # a tie goes to the first child
    node.children[0].pending = 1
    assert search._pick(node, node.children.items())[0] == 1


def test_dirichlet_noise_perturbs_only_the_root_priors() -> None:
    state = play("connect4", [3])
    config = PUCTConfig(simulations=100, k=None, dirichlet_fraction=0.25)
    result = PUCT(RandomRollout(0), config, rng=0).search(state)
    root_priors = [ch.prior for ch in result.root.children.values()]
    assert sum(root_priors) == pytest.approx(1.0) and max(root_priors) - min(root_priors) > 0.01
    for child in result.root.children.values():
        for grandchild in child.children.values():
            assert grandchild.prior == pytest.approx(1 / 7)


# ---- tree reuse ---------------------------------------------------------------------------------------


def test_tree_reuse_keeps_the_visit_counts_of_the_chosen_subtree() -> None:
    state = play("connect4", [])
    search = PUCT(RandomRollout(0), PUCTConfig(simulations=300, k=None, batch=4), rng=0)
    first = search.search(state)
    mine = first.action
    reply = first.root.children[mine].best_action()
    kept = first.root.children[mine].children[reply]
    visits, counts = kept.visits, kept.visit_counts()
    assert visits > 0
    state.apply(mine)
    state.apply(reply)
    second = search.search(state, simulations=100)
    assert second.root is kept
    assert second.root.visits == visits + 100
    assert all(second.counts[a] >= n for a, n in counts.items())
    # without reuse the tree starts over
    fresh = PUCT(RandomRollout(0), PUCTConfig(simulations=100, k=None, reuse=False), rng=0)
    fresh.search(play("connect4", []))
    assert fresh.search(state).root.visits == 100


def test_tree_reuse_starts_over_when_the_position_is_not_in_the_tree() -> None:
    search = PUCT(RandomRollout(0), PUCTConfig(simulations=50, k=None), rng=0)
    search.search(play("connect4", [3]))
    result = search.search(play("tictactoe", [4]))
    assert result.root.visits == 50


def test_search_leaves_the_state_unchanged_and_refuses_terminal_states() -> None:
    state = play("connect4", [3, 3, 4])
    before = str(state)
    PUCT(RandomRollout(0), PUCTConfig(simulations=100, batch=4), rng=0).search(state)
    assert str(state) == before
    with pytest.raises(ValueError, match="terminal"):
        PUCT(RandomRollout(0)).search(play("tictactoe", [0, 3, 1, 4, 2]))


def test_same_seed_same_search() -> None:
    state = play("connect4", [3])
    runs = [PUCT(RandomRollout(7), PUCTConfig(simulations=200, k=4, batch=4), rng=7).search(state).counts
            for _ in range(2)]
    other = PUCT(RandomRollout(8), PUCTConfig(simulations=200, k=4, batch=4), rng=8).search(state).counts
    assert runs[0] == runs[1] != other


def test_plain_evaluators_are_adapted_to_batches() -> None:
    class Plain:  # the UCT Evaluator protocol only: evaluate and prior
        def evaluate(self, state):
            return np.zeros(state.num_players)

        def prior(self, state):
            legal = state.legal_actions()
            return {a: 1.0 / len(legal) for a in legal}

    result = PUCT(Plain(), PUCTConfig(simulations=30, batch=4), rng=0).search(play("tictactoe", [0, 3, 1, 4]))
    assert result.action == 2
    assert isinstance(RandomRollout(0), BatchEvaluator)
