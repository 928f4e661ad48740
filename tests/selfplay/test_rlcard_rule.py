"""RLCard's DouDizhu rule model as an agent: what it reads, that it plays legally, that it is strong."""

import rlcard  # noqa: F401  (a dependency of the package: missing is a failure, not a skip)

import selfplay.games.doudizhu.game  # noqa: F401
from selfplay import arena
from selfplay.agents import RandomAgent
from selfplay.games import make
from selfplay.rlcard_rule import RLCardRuleAgent

DEAL = ("33344455667788999", "TTTJJJQQQKKKAAA22", "35677889TJQKA22BR", "456")


class Checked:
    """Wraps an agent and checks every answer is legal."""

    def __init__(self, agent):
        self.agent, self.name, self.moves = agent, agent.name, 0

    def reset(self, seed):
        self.agent.reset(seed)

    def act(self, state):
        action = self.agent.act(state)
        assert action in state.legal_actions()
        self.moves += 1
        return action


def test_raw_observation_is_rlcards_view_of_the_player_to_move():
    state = make("doudizhu").new_initial_state(deal=DEAL)
    state.apply(state.string_to_action("3334"))
    state.apply(state.string_to_action("pass"))
    raw = RLCardRuleAgent.raw_observation(state)
    assert raw["self"] == 2 and raw["landlord"] == 0
    assert raw["current_hand"] == "35677889TJQKA22BR"
    assert raw["trace"] == [(0, "3334"), (1, "pass")]
    assert "pass" in raw["actions"] and "" not in raw["actions"]
    # nothing of the other hands goes in
    assert state.hand(0) not in str(raw) and state.hand(1) not in str(raw)


def test_leads_its_lowest_card_in_a_combination_and_follows_with_the_cheapest_beater():
    state = make("doudizhu").new_initial_state(deal=DEAL)
    agent = RLCardRuleAgent()
    # the landlord leads: a combination of its hand that holds its lowest card, the 3
    lead = state.action_to_string(agent.act(state))
    assert "3" in lead and len(lead) > 1
    state = make("doudizhu").new_initial_state(deal=DEAL)
    state.apply(state.string_to_action("6"))
    assert state.action_to_string(agent.act(state)) == "T"  # seat 1's cheapest solo above 6


def test_plays_only_legal_moves_and_beats_random_clearly():
    game = make("doudizhu")
    rule = RLCardRuleAgent()
    checked = Checked(rule)
    result = arena.play(game, [checked, RandomAgent()], decks=60, seed=11)
    stats = result.stats()["0:rlcard-rule"]
    assert rule.fallbacks == 0 and checked.moves > 1000
    assert stats["landlord"].win_rate_low > 0.6  # a random landlord wins about 0.35 against random peasants
    assert stats["peasants"].win_rate_low > 0.75


def test_same_seed_same_games():
    game = make("doudizhu")
    one = arena.play(game, [RLCardRuleAgent(), RandomAgent()], decks=5, seed=3)
    two = arena.play(game, [RLCardRuleAgent(), RandomAgent()], decks=5, seed=3)
    assert one.records == two.records
