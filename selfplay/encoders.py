"""Per-game feature encoders for learners: what a Q-network sees of a decision.

An encoder turns a ``State`` and the player to move into three float32 arrays:
the state features ``(S,)``, the recent-move history ``(T, F)`` (or ``None``
for games without one) and one row of move features per legal action
``(num_legal, M)``. It reads only what that player may see. It also says which
network a decision belongs to (its *group*): DouDizhu has one network per
role (landlord, landlord_down, landlord_up), other games one per seat.

- DouDizhu: ``selfplay.games.doudizhu.features.douzero_features``
  (state ``x`` 626, history ``z`` 5 x 162, moves 58).
- Any other game: the state is ``state.observation(player)`` flattened and a
  move is a one-hot of its action index (fine for small action spaces: Kuhn,
  Leduc, tictactoe, connect4).

``storage_dtype`` is how samples travel from actors to the learner: ``uint8``
where every feature is a 0/1 flag (DouDizhu), which cuts the bytes per frame
by four; ``float32`` otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from selfplay.games import Game, State


@dataclass(frozen=True)
class FeatureSpec:
    state_dim: int
    move_dim: int
    history_len: int  # T; 0 when the game has no history input
    history_dim: int  # F
    groups: tuple[str, ...]  # one network per group, in this order
    storage_dtype: str = "float32"


Encoded = tuple[np.ndarray, "np.ndarray | None", np.ndarray]


class Encoder:
    """Base: subclasses set ``spec`` and implement ``group`` and ``encode``."""

    spec: FeatureSpec

    def group(self, state: State, player: int) -> int:
        raise NotImplementedError

    def encode(self, state: State, player: int, legal: list[int]) -> Encoded:
        """(state features, history or None, move features of ``legal``), float32."""
        raise NotImplementedError


class GenericEncoder(Encoder):
    """Observation flattened; moves one-hot over the action space; one network per seat."""

    def __init__(self, game: Game) -> None:
        self.game = game
        size = int(np.prod(game.observation_shape))
        self.eye = np.eye(game.num_actions, dtype=np.float32)
        self.spec = FeatureSpec(
            state_dim=size, move_dim=game.num_actions, history_len=0, history_dim=0,
            groups=tuple(f"seat{p}" for p in range(game.num_players)),
        )

    def group(self, state: State, player: int) -> int:
        return player

    def encode(self, state: State, player: int, legal: list[int]) -> Encoded:
        return state.observation(player).reshape(-1).astype(np.float32, copy=False), None, self.eye[legal]


class DouDizhuEncoder(Encoder):
    """DouZero's inputs from ``douzero_features``: ``x``, ``z`` and the move rows.

    Groups are the roles; with ``bidding=True`` a fourth network, ``bidder``,
    takes the bids (no role is known yet)."""

    def __init__(self, game: Game) -> None:
        from selfplay.games.doudizhu import features as ddz

        self._features = ddz.douzero_features
        self.bidding = bool(game.info.options.get("bidding", False))
        groups = ("landlord", "landlord_down", "landlord_up") + (("bidder",) if self.bidding else ())
        self._group_of = {name: i for i, name in enumerate(groups)}
        self.spec = FeatureSpec(
            state_dim=ddz.X_SIZE, move_dim=ddz.ACTION_SIZE,
            history_len=5, history_dim=3 * ddz.CARD_SIZE, groups=groups, storage_dtype="uint8",
        )

    def group(self, state: State, player: int) -> int:
        role = state.role(player)
        return self._group_of["bidder" if role == "undecided" else role]

    def encode(self, state: State, player: int, legal: list[int]) -> Encoded:
        f = self._features(state, player)
        return f["x"], f["z"], f["moves"]


def encoder_for(game: Game) -> Encoder:
    """The encoder of a game: a dedicated one where there is one, else the generic one."""
    if game.name == "doudizhu":
        return DouDizhuEncoder(game)
    return GenericEncoder(game)
