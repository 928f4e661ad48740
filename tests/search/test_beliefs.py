"""Beliefs: worlds weighted by the opponents' past moves (search/beliefs.py), the replay of a
game's decisions they rest on, and ISMCTS's opponents that follow their policy."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from selfplay.games import make, names
from selfplay.search.beliefs import BeliefSampler, sample_worlds
from selfplay.search.puct import PUCT, PUCTConfig

HIDDEN = [n for n in names() if not make(n).info.perfect_information]


def random_position(game, seed, moves):
    rng = np.random.default_rng(seed)
    state = game.new_initial_state(seed=seed)
    for _ in range(moves):
        if state.is_terminal():
            break
        legal = state.legal_actions()
        state.apply(legal[int(rng.integers(len(legal)))])
    return state


@pytest.mark.parametrize("name", HIDDEN)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), moves=st.integers(0, 12))
def test_past_decisions_replay_the_game(name, seed, moves):
    """Replaying the decisions from the first one's state reaches this very state, and each
    decision's state is the one its action was legal in, with its mover's view."""
    game = make(name)
    state = random_position(game, seed, moves)
    decisions = state.past_decisions()
    assert len(decisions) == min(moves, len(decisions)) and all(a in s.legal_actions() for s, a in decisions)
    if not decisions:
        return
    replay = decisions[0][0].clone()
    for before, action in decisions:
        assert str(before) == str(replay)
        replay.apply(action)
    assert str(replay) == str(state)
    assert all(replay.information_state(p) == state.information_state(p) for p in range(game.num_players))


class KuhnBettor:
    """Player 0 bets with K always, with J a third of the time, never with Q (a prior over
    [pass, bet] from the mover's own card)."""

    BET = {0: 1 / 3, 1: 0.0, 2: 1.0}

    def evaluate_batch(self, states):
        priors = [np.array([1 - self.BET[s.cards[s.current_player]], self.BET[s.cards[s.current_player]]])
                  for s in states]
        return priors, np.zeros((len(states), 2))


def test_a_bet_makes_the_king_three_times_likelier_than_the_jack():
    """Player 1 holds Q and faces a bet: by Bayes, P(K) = 1 / (1 + 1/3) = 0.75 (uniform: 0.5)."""
    state = make("kuhn").new_initial_state(deal=("J", "Q"))
    state.apply(1)
    rng = np.random.default_rng(0)
    worlds = BeliefSampler(KuhnBettor(), candidates=4000, epsilon=0.0).draw(state, 1, rng, 4000)
    assert abs(np.mean([w.cards[0] == 2 for w in worlds]) - 0.75) < 0.03
    uniform = sample_worlds(state, 1, rng, 4000, KuhnBettor(), candidates=0)
    assert abs(np.mean([w.cards[0] == 2 for w in uniform]) - 0.5) < 0.03
    assert all(w.cards[1] == 1 and w.history == (1,) for w in worlds + uniform)  # the mover's own view kept


def test_weights_floor_an_impossible_move_and_ignore_the_movers_own_moves():
    state = make("kuhn").new_initial_state(deal=("K", "Q"))
    state.apply(0)  # player 0 passes: the observer's own move says nothing about player 1's card
    _, weight = BeliefSampler(KuhnBettor(), candidates=64).weighted(state, 0, np.random.default_rng(1))
    assert np.allclose(weight, 1 / 64)
    state = make("kuhn").new_initial_state(deal=("J", "K"))
    state.apply(1)  # player 1 (K) saw a bet: from J (p 1/3) or from Q (p 0 under the prior)
    worlds, weight = BeliefSampler(KuhnBettor(), candidates=64, epsilon=1e-3).weighted(
        state, 1, np.random.default_rng(2))
    queen = np.array([w.cards[0] == 1 for w in worlds])
    assert queen.any() and (~queen).any()
    ratio = weight[queen].max() / weight[~queen].min()  # (1e-3 / 2) / (0.999 / 3 + 1e-3 / 2)
    assert 0 < ratio == pytest.approx((1e-3 / 2) / (0.999 / 3 + 1e-3 / 2))


class Uniform:
    def evaluate_batch(self, states):
        return [np.full(len(s.legal_actions()), 1 / len(s.legal_actions())) for s in states], \
            np.zeros((len(states), states[0].num_players))


def test_policy_opponents_get_a_node_per_hand_that_follows_its_prior():
    """``opponents="policy"``: after player 0's bet, player 1's node depends on player 1's own
    card (two nodes under the observer's K, one per J and Q), and its visits follow its prior."""
    state = make("kuhn").new_initial_state(deal=("K", "J"))
    search = PUCT(Uniform(), PUCTConfig(simulations=400, k=None, opponents="policy"), rng=0, mode="ismcts")
    result = search.search(state)
    bet = result.root.children[1]
    keys = sorted(bet.outcomes)
    assert len(keys) == 2 and all("| p1" in k for k in keys)
    for node in bet.outcomes.values():
        n = [node.children[a].visits for a in (0, 1) if a in node.children]
        assert len(n) == 2 and abs(n[0] - n[1]) <= 1  # uniform prior: visits split evenly
    shared = PUCT(Uniform(), PUCTConfig(simulations=400, k=None), rng=0, mode="ismcts").search(state)
    assert len(shared.root.children[1].outcomes) == 1  # the default: one node for both hands
