"""az's self-play search never reads a hidden card: on every imperfect-information game, in
both search modes (ISMCTS, PIMC), with both roots (PUCT, Gumbel), with uniform or
belief-weighted worlds, the search from the real
position and from a position where the opponents hold other cards consistent with everything
the mover has seen give the same visit counts and the same policy target, with the same rng."""

import numpy as np
import pytest

from selfplay.games import make, names
from selfplay.learners.az import AZConfig, SelfPlay, make_search, policy_target
from selfplay.search.evaluators import NetworkEvaluator

HIDDEN = [n for n in names() if not make(n).info.perfect_information]


class ObservationNet:
    """A fixed random function of the mover's observation: logits and values that differ
    with what the mover sees, so a search that saw other cards would end elsewhere."""

    def __init__(self, game, seed=0):
        rng = np.random.default_rng(seed)
        size = int(np.prod(game.info.observation_shape))
        self.w_logits = rng.normal(size=(size, game.num_actions)).astype(np.float32) * 0.3
        self.w_values = rng.normal(size=(size, game.num_players)).astype(np.float32) * 0.3

    def __call__(self, obs):
        return obs @ self.w_logits, np.tanh(obs @ self.w_values)


def positions(game, seed, count):
    """Decision points of random games, each with another world the mover cannot tell apart."""
    rng = np.random.default_rng(seed)
    found = []
    while len(found) < count:
        state = game.new_initial_state(seed=int(rng.integers(1 << 30)))
        for _ in range(int(rng.integers(0, 6))):
            if state.is_terminal():
                break
            legal = state.legal_actions()
            state.apply(legal[int(rng.integers(len(legal)))])
        if state.is_terminal():
            continue
        mover = state.current_player
        for _ in range(50):
            other = state.resample_hidden(mover, rng)
            if str(other) != str(state):  # the opponents hold other cards
                break
        else:
            continue
        assert other.information_state(mover) == state.information_state(mover)
        assert other.legal_actions() == state.legal_actions()
        found.append((state, other))
    return found


@pytest.mark.parametrize("beliefs", [0, 8], ids=["uniform", "beliefs"])
@pytest.mark.parametrize("root", ["puct", "gumbel"])
@pytest.mark.parametrize("worlds", [0, 4], ids=["ismcts", "pimc"])
@pytest.mark.parametrize("name", HIDDEN)
def test_self_play_search_sees_only_what_the_mover_has_seen(name, worlds, root, beliefs):
    """Also with belief-weighted worlds and opponents that follow their policy (the poker recipe)."""
    game = make(name)
    config = AZConfig(simulations=24, k=8, search_batch=4, root=root, pimc_worlds=worlds,
                      policy_target="gumbel" if root == "gumbel" else "visits", beliefs=beliefs,
                      opponents="policy" if beliefs else "search")
    evaluator = NetworkEvaluator(ObservationNet(game), lambda s: s.observation(s.current_player).reshape(-1))
    for k, (real, other) in enumerate(positions(game, seed=7, count=4 if name != "doudizhu" else 2)):
        results = []
        for state in (real, other):
            search = make_search(game, evaluator, config.search(noise=True), config.pimc_worlds, rng=100 + k)
            results.append(search.search(state))
        a, b = results
        assert a.counts == b.counts, (name, worlds, root, k)
        assert policy_target(a, config.policy_target) == policy_target(b, config.policy_target)
        assert a.action == b.action


@pytest.mark.parametrize("worlds", [0, 4], ids=["ismcts", "pimc"])
@pytest.mark.parametrize("name", HIDDEN)
def test_playout_leaves_see_only_what_the_mover_has_seen(name, worlds):
    """``leaf="playout"``: every leaf is a sampled world played out by every seat's greedy move at
    its own view of that world, so the playouts too see nothing the mover has not seen."""
    from selfplay.search.playouts import PlayoutLeaves

    game = make(name)
    config = AZConfig(simulations=8, k=4, gumbel_m=4, search_batch=4, root="gumbel", pimc_worlds=worlds,
                      policy_target="gumbel", leaf="playout")
    network = NetworkEvaluator(ObservationNet(game), lambda s: s.observation(s.current_player).reshape(-1))

    def highest(states):  # a cheap policy of each seat's own view: its highest legal action
        return [max(s.legal_actions()) for s in states]

    evaluator = PlayoutLeaves(network, highest, game.info.return_range)
    for k, (real, other) in enumerate(positions(game, seed=11, count=3 if name != "doudizhu" else 2)):
        results = [make_search(game, evaluator, config.search(noise=True), worlds, rng=200 + k).search(state)
                   for state in (real, other)]
        a, b = results
        assert a.counts == b.counts and a.action == b.action, (name, worlds, k)
        assert policy_target(a, "gumbel") == policy_target(b, "gumbel")


def test_self_play_builds_its_searches_with_that_function():
    """``SelfPlay`` (the actors) searches with ``make_search``'s searches: ISMCTS or PIMC."""
    from selfplay.learners.az import new_model
    from selfplay.search.determinize import PIMC
    from selfplay.search.puct import PUCT

    game = make("leduc")
    for worlds, kind in ((0, PUCT), (3, PIMC)):
        config = AZConfig(games_per_actor=2, pimc_worlds=worlds)
        actor = SelfPlay(game, new_model(game, config), config, seed=0)
        assert all(isinstance(s, kind) for s in actor.searches)
        assert all(s.mode == "auto" for s in actor.searches if isinstance(s, PUCT))  # auto: ISMCTS on leduc
