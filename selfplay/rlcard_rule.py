"""RLCard's DouDizhu rule model (``doudizhu-rule-v1``) as an agent of ours.

RLCard's rule agent reads a raw observation dict, ``state["raw_obs"]``, of
which it uses ``current_hand`` (the player's cards, sorted, standard
notation), ``trace`` (every card-play action so far as ``(seat, cards)``,
``"pass"`` for a pass), ``actions`` (the legal moves as strings), ``landlord``
(the landlord's seat) and ``self`` (the player's seat), and answers a move
string. Our notation and move strings are RLCard's (``3456789TJQKA2BR``,
cards sorted by rank), so the translation is direct: ``""`` becomes
``"pass"`` and back. Only the player's own information goes in.

Its one random choice (``np.random.choice`` on the global numpy generator) is
made on a generator of the agent's own, seeded by ``reset``, so games in the
arena stay reproducible and nothing else's global random state moves.

RLCard's rule model plays cards only. In ``bidding=True`` games this agent
bids by ``selfplay.bidding_rule`` (hand-strength points and thresholds): the
bid its 17 cards are worth when that is higher than the highest bid so far
(a legal bid), else it passes.
"""

from __future__ import annotations

import numpy as np

from selfplay.bidding_rule import rule_bid
from selfplay.games import State

BID_BASE = 27472  # selfplay.games.doudizhu.BID_BASE; kept literal so that importing this module stays cheap


class RLCardRuleAgent:
    """``rlcard.models.load("doudizhu-rule-v1")``'s agent, seat-independent."""

    def __init__(self, seed: int = 0) -> None:
        import rlcard.models

        model = rlcard.models.load("doudizhu-rule-v1")
        self.rule = model.agents[0]  # one stateless rule agent serves every seat
        self.name = "rlcard-rule"
        self.fallbacks = 0  # answers that were not legal here (should stay 0)
        self.reset(seed)

    def reset(self, seed: int) -> None:
        seed = int(seed)
        self._np_state = np.random.RandomState([seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF]).get_state()

    @staticmethod
    def raw_observation(state: State) -> dict:
        """What RLCard's rule agent reads, from the player to move's point of view."""
        player = state.current_player
        legal = state.legal_actions()
        card_play = [a for a in state.history if a < BID_BASE]
        landlord = state.landlord
        trace = [((landlord + k) % 3, state.action_to_string(a)) for k, a in enumerate(card_play)]
        return {
            "self": player,
            "landlord": landlord,
            "current_hand": state.hand(player),
            "trace": trace,
            "actions": [state.action_to_string(a) for a in legal],
        }

    def act(self, state: State) -> int:
        legal = state.legal_actions()
        if len(legal) == 1:
            return legal[0]
        if state.landlord is None:  # bidding: RLCard's model has no rule for it; ours
            bid = BID_BASE + rule_bid(state.hand(state.current_player))
            return bid if bid in legal else BID_BASE
        raw = self.raw_observation(state)
        saved = np.random.get_state()
        np.random.set_state(self._np_state)
        try:
            move = self.rule.step({"raw_obs": raw})
        finally:
            self._np_state = np.random.get_state()
            np.random.set_state(saved)
        if move in raw["actions"]:
            return legal[raw["actions"].index(move)]
        self.fallbacks += 1  # a move the rules here do not allow: play the first legal one instead
        return legal[0]
