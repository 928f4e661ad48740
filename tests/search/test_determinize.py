"""Hidden information: PIMC and single-observer ISMCTS over resample_hidden worlds."""

from __future__ import annotations

import numpy as np
import pytest

from selfplay.games import make
from selfplay.games.base import Game, GameInfo, State
from selfplay.search import ISMCTS, PIMC, PUCTConfig, RandomRollout

KUHN_CALL, KUHN_FOLD = 1, 0


def kuhn_facing_bet(deal: tuple[str, str]) -> State:
    state = make("kuhn").new_initial_state(deal=deal)
    state.apply(1)  # player 0 bets; player 1 to move
    return state


class CountingRollout(RandomRollout):
    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.batches: list[int] = []

    def evaluate_batch(self, states):
        self.batches.append(len(states))
        return super().evaluate_batch(states)


def searchers(seed: int):
    config = PUCTConfig(simulations=200, k=None, batch=4)
    return {
        "ismcts": ISMCTS(RandomRollout(seed), config, rng=seed),
        "pimc": PIMC(RandomRollout(seed), PUCTConfig(simulations=50, k=None, batch=4), worlds=6, rng=seed),
    }


@pytest.mark.parametrize("kind", ["ismcts", "pimc"])
def test_determinized_search_never_reads_the_opponents_hidden_card(kind: str) -> None:
    # Player 1 holds the king facing a bet; the opponent's real card is the jack or the queen.
    first = searchers(0)[kind].search(kuhn_facing_bet(("J", "K")))
    second = searchers(0)[kind].search(kuhn_facing_bet(("Q", "K")))
    assert kuhn_facing_bet(("J", "K")).information_state(1) == kuhn_facing_bet(("Q", "K")).information_state(1)
    assert first.counts == second.counts and first.action == second.action


@pytest.mark.parametrize("kind", ["ismcts", "pimc"])
def test_leduc_search_never_reads_the_opponents_card_or_the_public_card(kind: str) -> None:
    results, views = [], set()
    for deal in [("Qh", "Ks", "Js"), ("Jh", "Ks", "Qs"), ("Kh", "Ks", "Qh")]:  # player 1 holds Ks
        state = make("leduc").new_initial_state(deal=deal)
        state.apply(2)  # player 0 bets; player 1 to move
        views.add(state.information_state(1))
        results.append(searchers(1)[kind].search(state))
    assert len(views) == 1
    assert results[0].counts == results[1].counts == results[2].counts


@pytest.mark.parametrize("kind", ["ismcts", "pimc"])
def test_with_the_king_facing_a_bet_calls_and_with_the_jack_folds(kind: str) -> None:
    for seed in range(2):
        assert searchers(seed)[kind].search(kuhn_facing_bet(("Q", "K"))).action == KUHN_CALL
        assert searchers(seed)[kind].search(kuhn_facing_bet(("K", "J"))).action == KUHN_FOLD


def test_leduc_with_a_pair_facing_a_raise_never_folds() -> None:
    state = make("leduc").new_initial_state(deal=("Qs", "Ks", "Kh"))
    state.apply(1)
    state.apply(1)  # check, check: round 2, the public king pairs player 1's king
    state.apply(2)  # player 0 bets into player 1's pair
    for kind in ("ismcts", "pimc"):
        assert searchers(2)[kind].search(state).action != 0


def test_ismcts_branches_at_chance_the_observer_sees() -> None:
    # Player 0 checks, player 1 checks: the public card (drawn by each world) starts round 2.
    state = make("leduc").new_initial_state(deal=("Ks", "Qh", "Js"))
    result = ISMCTS(RandomRollout(0), PUCTConfig(simulations=1500, k=None, batch=4), rng=0).search(state)
    after_check = next(iter(result.root.children[1].outcomes.values()))  # player 1 to answer
    check_check = after_check.children[1]
    keys = set(check_check.outcomes)
    assert len(keys) == 5  # one node per public card player 0 has not seen
    assert all(key.startswith("p0 Ks ") and "??" not in key for key in keys)
    assert check_check.visits == sum(out.visits for out in check_check.outcomes.values())
    # before the public card, one node serves every world (the opponent's card stays hidden)
    assert len(result.root.children[1].outcomes) == 1


def test_ismcts_reuses_the_subtree_of_the_information_state_reached() -> None:
    state = make("kuhn").new_initial_state(deal=("Q", "K"))
    search = ISMCTS(RandomRollout(0), PUCTConfig(simulations=300, k=None), rng=0)
    first = search.search(state)
    state.apply(0)  # player 0 checks, player 1 bets
    state.apply(1)
    kept = first.root.children[0].outcomes["p0 Q p"].children[1].outcomes["p0 Q pb"]
    visits = kept.visits
    assert visits > 0
    second = search.search(state, simulations=100)
    assert second.root is kept and second.root.visits == visits + 100


def test_pimc_searches_its_worlds_together_and_combines_them() -> None:
    evaluator = CountingRollout(0)
    config = PUCTConfig(simulations=40, k=None, batch=4)
    state = make("leduc").new_initial_state(deal=("Ks", "Qh", "Js"))
    result = PIMC(evaluator, config, worlds=5, rng=0).search(state)
    assert len(result.worlds) == 5 and sum(result.votes.values()) == 5
    assert result.counts == {a: sum(w.counts.get(a, 0) for w in result.worlds) for a in result.counts}
    assert max(evaluator.batches) > 4  # leaves of several worlds in one call
    votes = PIMC(CountingRollout(0), config, worlds=5, combine="votes", rng=0).search(state)
    assert votes.votes[votes.action] == max(votes.votes.values())


class HiddenHandState(State):
    """Player 0 picks 0 or 1 (worth +1 / -1 to it); then player 1, whose hidden hand decides
    its legal actions (hand 0: 2, 3 and 4; hand 1: 5), answers at no change to the payoff."""

    __slots__ = ("game", "hand", "history")

    def __init__(self, game: Game, seed: int | None = None) -> None:
        self.game, self.hand, self.history = game, 0, []

    @property
    def current_player(self) -> int:
        return len(self.history)

    def is_terminal(self) -> bool:
        return len(self.history) == 2

    def _legal_actions(self) -> list[int]:
        return [0, 1] if not self.history else ([2, 3, 4] if self.hand == 0 else [5])

    def _apply(self, action: int) -> None:
        self.history.append(action)

    def _returns(self) -> list[float]:
        v = 1.0 if self.history[0] == 0 else -1.0
        return [v, -v]

    def action_to_string(self, action: int) -> str:
        return str(action)

    def clone(self) -> "HiddenHandState":
        new = HiddenHandState(self.game)
        new.hand, new.history = self.hand, self.history[:]
        return new

    def information_state(self, player: int) -> str:
        return f"p{player} {self.hand if player == 1 else '?'} {self.history}"

    def resample_hidden(self, player: int, rng: np.random.Generator) -> "HiddenHandState":
        world = self.clone()
        if player != 1:
            world.hand = int(rng.integers(2))
        return world


class HiddenHand(Game):
    state_class = HiddenHandState
    info = GameInfo(name="hidden_hand", num_players=2, num_actions=6, perfect_information=False,
                    observation_shape=(1,))


def test_ismcts_follows_only_actions_legal_in_each_world_and_samples_per_world() -> None:
    state = HiddenHand().new_initial_state()
    result = ISMCTS(RandomRollout(0), PUCTConfig(simulations=300, k=2, batch=2), rng=0).search(state)
    assert result.action == 0
    reply = next(iter(result.root.children[0].outcomes.values()))
    assert reply.player == 1
    # K = 2: hand-0 worlds sample two of 2, 3, 4; hand-1 worlds add their only move, 5
    assert 5 in reply.children and len(set(reply.children) & {2, 3, 4}) >= 2
    hand0 = sum(reply.children[a].visits for a in (2, 3, 4) if a in reply.children)
    assert 0.3 < hand0 / (hand0 + reply.children[5].visits) < 0.7
