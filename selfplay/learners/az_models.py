"""The two networks az learns with, behind one interface (``FlatModel``, ``MoveModel``).

- ``FlatModel``: ``nets.PolicyValueNet``, an MLP over the flat observation with one
  logit per action of the game and a value per player. For games whose action
  space a head can hold (boards, poker).
- ``MoveModel``: one ``nets.QNet`` per encoder group (DouDizhu: the three roles),
  the DMC Q-network's shape: a decision's context (state features, the LSTM over
  the recent moves) passes through once and every legal move is a row. Each row
  gives ``1 + P`` outputs: the move's logit and the returns every player can
  expect after it (``q``, seats counted from the mover, on the game's declared
  scale mapped onto [-1, 1]). The prior is the softmax of the logits over the
  legal moves; a position's value is the prior's expectation of ``q``. The policy
  learns the search's target (cross-entropy), ``q`` of the move played learns the
  game's result (squared error: DMC's Monte-Carlo target). So a DMC checkpoint
  warm-starts it exactly (``warm_start_from_dmc``): logits ``Q / T``, ``q`` the
  team's share of ``Q``.

A model turns a decision into a sample (``sample``: what the mover saw, the policy
target, the move played), a finished game's samples into training rows
(``rows``: with every player's return), a batch of rows into the loss
(``loss``), and gives the search its evaluator (``leaf_evaluator``: the network's
values, or playouts by its greedy moves) and the ``sims=0`` agent its greedy moves
(``greedy``: its largest logit, ties to the lower action, read off the logits without a
softmax, since a playout asks for it every move).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from selfplay.encoders import Encoder, encoder_for
from selfplay.games import Game, State
from selfplay.nets import NetConfig, PolicyValueConfig, PolicyValueNet, QNet, decision_rows
from selfplay.search.evaluators import NetworkEvaluator, softmax_over
from selfplay.search.playouts import PlayoutLeaves

#: The largest action space ``FlatModel``'s policy head takes (``network=auto`` picks ``moves`` above it).
FLAT_ACTIONS = 4096
NETWORKS = ("auto", "flat", "moves")


def resolve_network(name: str, game: Game) -> str:
    if name not in NETWORKS:
        raise ValueError(f"az: network must be auto, flat or moves, not {name!r}")
    if name == "auto":
        return "flat" if game.num_actions <= FLAT_ACTIONS else "moves"
    if name == "flat" and game.num_actions > FLAT_ACTIONS:
        raise ValueError(f"az: {game.name} has {game.num_actions:,} actions, too many for a flat policy head; "
                         "use network=moves (one row per legal move)")
    return name


def features(state: State) -> np.ndarray:
    return np.asarray(state.observation(state.current_player), dtype=np.float32).reshape(-1)


def _normalise(values: torch.Tensor, return_range) -> torch.Tensor:
    low, high = return_range
    return (2 * (values.clamp(low, high) - low) / (high - low) - 1).to(values.dtype)


class FlatModel:
    """``PolicyValueNet``: rows ``(observation, policy over all actions, returns, weight)``."""

    kind = "flat"

    def __init__(self, game: Game, configs: list[PolicyValueConfig]) -> None:
        self.game = game
        self.nets = [PolicyValueNet(configs[0])]
        self.groups = ["policy_value"]

    @staticmethod
    def configs(game: Game, hidden: tuple[int, ...]) -> list[PolicyValueConfig]:
        obs_dim = int(np.prod(game.info.observation_shape))
        return [PolicyValueConfig(obs_dim, game.num_actions, game.num_players, hidden,
                                  tuple(float(r) for r in game.info.return_range))]

    @staticmethod
    def config_from_dict(data: dict) -> PolicyValueConfig:
        return PolicyValueConfig.from_dict(data)

    def evaluator(self) -> NetworkEvaluator:
        return NetworkEvaluator(self.nets[0].numpy_call, features)

    def sample(self, state: State, target: dict[int, float], action: int, weight: float) -> tuple:
        dense = np.zeros(self.game.num_actions, dtype=np.float32)
        dense[list(target)] = list(target.values())
        return features(state), dense, np.float32(weight)

    def rows(self, samples: list[tuple], returns) -> list[tuple]:
        value = np.asarray(returns, dtype=np.float32)
        return [(obs, policy, value, weight) for obs, policy, weight in samples]

    def loss(self, rows: list[tuple]) -> tuple[torch.Tensor, torch.Tensor]:
        net = self.nets[0]
        device = net.policy.weight.device
        obs, policy, value, weight = (torch.from_numpy(np.stack(c)).to(device) for c in zip(*rows))
        logits, predicted = net(obs)
        policy_loss = -(weight * (policy * F.log_softmax(logits, dim=1)).sum(dim=1)).mean()
        value_loss = ((predicted - net.config.normalise(value)) ** 2).mean()  # on the game's declared scale
        return policy_loss, value_loss

    def greedy(self, states: list[State]) -> list[int]:
        logits, _ = self.nets[0].numpy_call(np.stack([features(s) for s in states]))
        out = []
        for row, state in zip(logits, states):
            legal = np.asarray(state.legal_actions())
            out.append(int(legal[row[legal] == row[legal].max()].min()))
        return out

    def policy(self, states: list[State]) -> list[dict[int, float]]:
        logits, _ = self.nets[0].numpy_call(np.stack([features(s) for s in states]))
        out = []
        for row, state in zip(logits, states):
            legal = state.legal_actions()
            out.append({a: float(x) for a, x in zip(legal, softmax_over(row[legal]))})
        return out


class MoveModel:
    """One ``QNet`` per encoder group with ``1 + num_players`` outputs per move row (module
    docstring). Rows ``(group, state, history, moves, target, played, returns from the mover, weight)``,
    features stored in the encoder's ``storage_dtype``."""

    kind = "moves"

    def __init__(self, game: Game, configs: list[NetConfig]) -> None:
        self.game, self.encoder = game, encoder_for(game)
        self.players = game.num_players
        self.return_range = tuple(float(r) for r in game.info.return_range)
        self.nets = [QNet(c) for c in configs]
        self.groups = list(self.encoder.spec.groups)
        self.store = np.dtype(self.encoder.spec.storage_dtype)

    @staticmethod
    def configs(game: Game, hidden: tuple[int, ...], lstm_hidden: int = 128) -> list[NetConfig]:
        spec = encoder_for(game).spec
        one = NetConfig(state_dim=spec.state_dim, move_dim=spec.move_dim, history_dim=spec.history_dim,
                        lstm_hidden=lstm_hidden, mlp=tuple(hidden), outputs=1 + game.num_players)
        return [one] * len(spec.groups)

    @staticmethod
    def config_from_dict(data: dict) -> NetConfig:
        return NetConfig.from_dict(data)

    def _outputs(self, states: list[State]) -> list[tuple[list[int], np.ndarray]]:
        """Each state's legal moves and their rows of outputs, one forward pass per group."""
        out: list = [None] * len(states)
        by_group: dict[int, list[tuple[int, list[int], tuple]]] = {}
        for i, state in enumerate(states):
            player, legal = state.current_player, state.legal_actions()
            by_group.setdefault(self.encoder.group(state, player), []).append(
                (i, legal, self.encoder.encode(state, player, legal)))
        for group, pending in by_group.items():
            for (i, legal, _), rows in zip(pending, decision_rows(self.nets[group], [f for _, _, f in pending])):
                out[i] = (legal, rows)
        return out

    def evaluate_batch(self, states) -> tuple[list[np.ndarray], np.ndarray]:
        """``BatchEvaluator``: the softmax of the logits, and the prior's expected returns
        (seats from the mover turned back into seats, on the game's scale)."""
        priors, values = [], np.zeros((len(states), self.players))
        for i, (state, (_, rows)) in enumerate(zip(states, self._outputs(list(states)))):
            prior = softmax_over(rows[:, 0].astype(float))
            seats = (state.current_player + np.arange(self.players)) % self.players
            values[i, seats] = self._on_scale(prior @ rows[:, 1:].astype(float))
            priors.append(prior)
        return priors, values

    def move_values(self, state: State) -> tuple[list[int], np.ndarray, np.ndarray]:
        """The legal moves, the policy's probability of each, and the mover's expected return
        after each (on the game's scale: DouDizhu's points)."""
        legal, rows = self._outputs([state])[0]
        return legal, softmax_over(rows[:, 0].astype(float)), self._on_scale(rows[:, 1].astype(float))

    def _on_scale(self, relative: np.ndarray) -> np.ndarray:
        """Outputs on the network's [-1, 1] scale as returns on the game's."""
        low, high = self.return_range
        return low + (np.clip(relative, -1.0, 1.0) + 1) * (high - low) / 2

    def evaluator(self) -> "MoveModel":
        return self

    def sample(self, state: State, target: dict[int, float], action: int, weight: float) -> tuple:
        player, legal = state.current_player, state.legal_actions()
        x, z, moves = self.encoder.encode(state, player, legal)
        probs = np.array([target.get(a, 0.0) for a in legal], dtype=np.float32)
        return (self.encoder.group(state, player), x.astype(self.store), None if z is None else z.astype(self.store),
                moves.astype(self.store), probs, legal.index(action), player, np.float32(weight))

    def rows(self, samples: list[tuple], returns) -> list[tuple]:
        returns = np.asarray(returns, dtype=np.float32)
        seats = np.arange(self.players)
        return [(g, x, z, moves, probs, played, returns[(player + seats) % self.players], weight)
                for g, x, z, moves, probs, played, player, weight in samples]

    def loss(self, rows: list[tuple]) -> tuple[torch.Tensor, torch.Tensor]:
        """Summed over the groups, each decision weighing the same: the policy's cross-entropy
        to the target over the legal moves, and the squared error of the played move's ``q``."""
        by_group: dict[int, list[tuple]] = {}
        for row in rows:
            by_group.setdefault(row[0], []).append(row)
        policy_loss = value_loss = torch.zeros(())
        for group, part in by_group.items():
            net = self.nets[group]
            first = next(net.parameters())
            dev, dt = first.device, first.dtype
            _, x, z, moves, probs, played, value, weight = zip(*part)
            counts = torch.tensor([len(m) for m in moves], device=dev)
            owner = torch.repeat_interleave(torch.arange(len(part), device=dev), counts)
            state = torch.from_numpy(np.stack(x)).to(dev, dt)
            history = None if z[0] is None else torch.from_numpy(np.stack(z)).to(dev, dt)
            out = net(state, history, torch.from_numpy(np.concatenate(moves)).to(dev, dt), owner)
            logits = out[:, 0]
            top = torch.full((len(part),), -torch.inf, device=dev, dtype=dt).scatter_reduce(0, owner, logits, "amax")
            shifted = (logits - top[owner]).exp()
            log_z = torch.zeros(len(part), device=dev, dtype=dt).index_add(0, owner, shifted).log() + top
            target = torch.from_numpy(np.concatenate(probs)).to(dev, dt)
            w = torch.tensor(weight, device=dev, dtype=dt)
            cross = -torch.zeros(len(part), device=dev, dtype=dt).index_add(0, owner, target * (logits - log_z[owner]))
            starts = torch.cumsum(counts, 0) - counts
            q = out[starts + torch.tensor(played, device=dev), 1:]
            goal = _normalise(torch.from_numpy(np.stack(value)).to(dev, dt), self.return_range)
            policy_loss = policy_loss + (w * cross).sum().cpu()
            value_loss = value_loss + ((q - goal) ** 2).mean(dim=1).sum().cpu()
        return policy_loss / len(rows), value_loss / len(rows)

    def greedy(self, states: list[State]) -> list[int]:
        out = []
        for legal, rows in self._outputs(states):
            logits = rows[:, 0]
            out.append(min(legal[i] for i in np.flatnonzero(logits == logits.max())))
        return out

    def policy(self, states: list[State]) -> list[dict[int, float]]:
        return [{a: float(p) for a, p in zip(legal, softmax_over(rows[:, 0].astype(float)))}
                for legal, rows in self._outputs(states)]


MODELS = {"flat": FlatModel, "moves": MoveModel}


def leaf_evaluator(model: FlatModel | MoveModel, leaf: str):
    """What the search asks of a leaf: the network's prior and value (``"network"``), or the
    network's prior and the return of playing the leaf out with its greedy moves, every seat
    by its own view (``"playout"``: ``search.playouts.PlayoutLeaves``)."""
    if leaf == "playout":
        return PlayoutLeaves(model.evaluator(), lambda states: model.greedy(list(states)),
                             tuple(float(r) for r in model.game.info.return_range))
    return model.evaluator()


def team_shares(game: Game, group_seat: int) -> np.ndarray:
    """What each seat, counted from ``group_seat``, gets of a point the mover's side wins
    (``team_value_vector``: teammates share it, the others lose it in proportion)."""
    from selfplay.search.evaluators import team_value_vector

    zero_sum = game.info.options.get("objective", "adp") != "wp"
    vec = team_value_vector(1.0, group_seat, game.info.teams, zero_sum)
    return vec[(group_seat + np.arange(game.num_players)) % game.num_players]


def warm_start_from_dmc(model: MoveModel, dmc_nets: list[QNet], temperature: float) -> None:
    """Copy DMC's Q-networks into ``model``: every layer as it is, the output layer's row for
    the logit as ``Q / temperature`` and the rows of ``q`` as each seat's share of ``Q``
    (``team_shares``, at the group's seat when the landlord sits at seat 0), normalised as
    the value head's targets are. So the prior is DMC's softmax over Q and the policy's
    greedy move is DMC's."""
    if len(dmc_nets) != len(model.nets):
        raise ValueError(f"a DMC checkpoint with {len(dmc_nets)} networks cannot start {len(model.nets)}")
    low, high = model.return_range
    scale, shift = 2 / (high - low), -2 * low / (high - low) - 1
    for seat, (mine, theirs) in enumerate(zip(model.nets, dmc_nets)):
        source = theirs.state_dict()
        out_w, out_b = source.pop("body." + str(len(theirs.body) - 1) + ".weight"), source.pop(
            "body." + str(len(theirs.body) - 1) + ".bias")
        shares = torch.from_numpy(team_shares(model.game, seat % model.game.num_players)).to(out_w.dtype)
        weight = torch.cat([out_w / temperature, scale * shares[:, None] * out_w])
        bias = torch.cat([out_b / temperature, scale * shares * out_b + shift])
        last = str(len(mine.body) - 1)
        mine.load_state_dict({**source, f"body.{last}.weight": weight, f"body.{last}.bias": bias})
