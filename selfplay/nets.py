"""The Q-network of Deep Monte-Carlo: Q(s, a) for every legal move of many decisions at once.

As DouZero's (Zha et al. 2021, Fig. 4): an LSTM reads the recent-move history,
its last output joins the state features and the candidate move's features,
and an MLP of ReLU layers maps that to one value. The first MLP layer is a
linear map of the concatenation ``[lstm_out, state, move]``; here it is
written as two blocks, ``context_in`` on ``[lstm_out, state]`` and
``move_in`` on the move, which is the same function (same parameters, same
output) but lets a decision's context pass through the LSTM and the first
block once, however many legal moves it has. DouZero instead repeats the
history and the state once per legal move and runs the LSTM on every copy.

A forward takes a batch of decisions (``state`` ``(N, S)``, ``history``
``(N, T, F)`` or ``None``) and a batch of candidate moves (``moves``
``(R, M)``) with ``owner`` ``(R,)``: the decision each move belongs to. For
training, one move per decision: ``owner=None``. ``decision_q_values`` packs
encoded decisions (an encoder's ``(state, history, moves)``) into that form.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class NetConfig:
    """Sizes of one Q-network; the encoder gives the feature sizes, the learner config the rest."""

    state_dim: int
    move_dim: int
    history_dim: int = 0  # features per history step; 0: no history, no LSTM
    lstm_hidden: int = 128
    mlp: tuple[int, ...] = (512, 512, 512, 512, 512)
    outputs: int = 1  # values per move row: DMC's Q; az's logit and the returns after the move (``MoveModel``)

    def to_dict(self) -> dict:
        return {**asdict(self), "mlp": list(self.mlp)}

    @classmethod
    def from_dict(cls, data: dict) -> "NetConfig":
        return cls(**{**data, "mlp": tuple(data["mlp"])})


class QNet(nn.Module):
    def __init__(self, config: NetConfig) -> None:
        super().__init__()
        self.config = config
        if not config.mlp:
            raise ValueError("a Q-network needs at least one hidden layer")
        use_lstm = config.history_dim > 0
        self.lstm = nn.LSTM(config.history_dim, config.lstm_hidden, batch_first=True) if use_lstm else None
        context_dim = config.state_dim + (config.lstm_hidden if use_lstm else 0)
        width = config.mlp[0]
        self.context_in = nn.Linear(context_dim, width)
        self.move_in = nn.Linear(config.move_dim, width, bias=False)
        # initialise the two blocks as the one layer they stand for (PyTorch's default, fan-in of the whole input)
        bound = 1.0 / math.sqrt(context_dim + config.move_dim)
        with torch.no_grad():
            for tensor in (self.context_in.weight, self.context_in.bias, self.move_in.weight):
                tensor.uniform_(-bound, bound)
        layers: list[nn.Module] = []
        for a, b in zip(config.mlp, config.mlp[1:]):
            layers += [nn.ReLU(), nn.Linear(a, b)]
        layers += [nn.ReLU(), nn.Linear(config.mlp[-1], config.outputs)]
        self.body = nn.Sequential(*layers)

    def context(self, state: torch.Tensor, history: torch.Tensor | None) -> torch.Tensor:
        """First-layer pre-activation of each decision's context, ``(N, width)``."""
        if self.lstm is not None:
            _, (h_n, _) = self.lstm(history)
            state = torch.cat([h_n[-1], state], dim=1)
        return self.context_in(state)

    def forward(self, state: torch.Tensor, history: torch.Tensor | None, moves: torch.Tensor,
                owner: torch.Tensor | None = None, *, row_exact: bool = False) -> torch.Tensor:
        """Q of each move row, shape ``(R,)`` (``(R, outputs)`` with several outputs).
        ``row_exact``: take a one-unit output layer as a two-unit one (a matrix product rather
        than a matrix-vector one, whose rounding depends on the number of rows), for
        ``decision_rows``."""
        ctx = self.context(state, history)
        if owner is not None:
            ctx = ctx.index_select(0, owner)
        if self.config.outputs > 1:
            return self.body(ctx + self.move_in(moves))
        if not row_exact:
            return self.body(ctx + self.move_in(moves)).squeeze(1)
        hidden, out = self.body[:-1](ctx + self.move_in(moves)), self.body[-1]
        return nn.functional.linear(hidden, out.weight.expand(2, -1), out.bias.expand(2))[:, 0]


# A decision's Q values must not depend on the batch it is scored in (the arena's lockstep
# play gives the same games as one-at-a-time play). A matrix product computes each row alike
# whatever the number of rows, except through other kernels for very few rows (MKL: below 4)
# or a single output column (matrix-vector): so products get at least MIN_ROWS rows (padding)
# and the output layer two columns (``row_exact``).
MIN_ROWS = 8


def decision_q_values(net: QNet, decisions: Sequence[tuple]) -> list[np.ndarray]:
    """Q of every legal move of each decision ``(state, history or None, moves)``
    (an encoder's output), float32, from one forward pass in the net's dtype; the same
    values for a decision whatever the other decisions (see ``MIN_ROWS``)."""
    return decision_rows(net, decisions)


@torch.inference_mode()
def decision_rows(net: QNet, decisions: Sequence[tuple]) -> list[np.ndarray]:
    """``decision_q_values`` for any number of outputs: per decision ``(num_legal,)``
    with one output, ``(num_legal, outputs)`` with several."""
    first = next(net.parameters())
    dt, dev = first.dtype, first.device
    counts = [len(d[2]) for d in decisions]
    padded = list(decisions) + [decisions[0]] * max(0, MIN_ROWS - len(decisions))  # padding, dropped below
    state = torch.from_numpy(np.stack([d[0] for d in padded])).to(dev, dt)
    history = None if decisions[0][1] is None else torch.from_numpy(np.stack([d[1] for d in padded])).to(dev, dt)
    moves = [d[2] for d in decisions]
    total = sum(counts)
    if total < MIN_ROWS:
        moves.append(np.repeat(moves[0][:1], MIN_ROWS - total, axis=0))
    owner = np.repeat(np.arange(len(decisions)), counts)
    owner = torch.from_numpy(np.pad(owner, (0, max(0, MIN_ROWS - total)))).to(dev)
    q = net(state, history, torch.from_numpy(np.concatenate(moves)).to(dev, dt), owner, row_exact=True)
    q = q.float().cpu().numpy()
    return np.split(q[:total], np.cumsum(counts)[:-1])


DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str | None) -> torch.device:
    """``auto`` (or None): CUDA when present, else the CPU; ``cpu``; ``cuda`` or ``cuda:N``
    (ValueError, one line, where there is none)."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise ValueError(f"device {name}: CUDA is not available here (torch {torch.__version__}"
                             f"{', built without CUDA' if torch.version.cuda is None else ', no GPU found'}); "
                             "use --device cpu or auto")
        return torch.device(name)
    raise ValueError(f"device must be auto, cpu, cuda or cuda:N; not {name!r}")


def num_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


# ---- AlphaZero-style policy-value network ---------------------------------------------
@dataclass(frozen=True)
class PolicyValueConfig:
    """Sizes of a policy-value network: observation in, one logit per action and one value per player out."""

    obs_dim: int
    num_actions: int
    num_players: int
    hidden: tuple[int, ...] = (128, 128)
    return_range: tuple[float, float] = (-1.0, 1.0)  # the game's (``GameInfo.return_range``)

    def to_dict(self) -> dict:
        return {**asdict(self), "hidden": list(self.hidden), "return_range": list(self.return_range)}

    @classmethod
    def from_dict(cls, data: dict) -> "PolicyValueConfig":
        return cls(**{**data, "hidden": tuple(data["hidden"]),
                      "return_range": tuple(data.get("return_range", (-1.0, 1.0)))})

    def normalise(self, returns: torch.Tensor) -> torch.Tensor:
        """Returns on the game's scale -> [-1, 1] (clipped: a capped range, as DouDizhu's points)."""
        low, high = self.return_range
        return (2 * (returns.clamp(low, high) - low) / (high - low) - 1).to(returns.dtype)

    def denormalise(self, values: np.ndarray) -> np.ndarray:
        low, high = self.return_range
        return low + (values + 1) * (high - low) / 2


class PolicyValueNet(nn.Module):
    """An MLP trunk with a policy head (logits over every action; the search masks the
    illegal ones) and a value head (each player's expected return, tanh in [-1, 1]: the
    game's declared return range, ``config.return_range``, mapped onto it). ``forward``
    gives the normalised values the learner fits; ``numpy_call`` (the search's network)
    gives them back on the game's scale, so the search backs up real returns."""

    def __init__(self, config: PolicyValueConfig) -> None:
        super().__init__()
        self.config = config
        layers, width = [], config.obs_dim
        for h in config.hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.trunk = nn.Sequential(*layers)
        self.policy = nn.Linear(width, config.num_actions)
        self.value = nn.Linear(width, config.num_players)

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.trunk(obs)
        return self.policy(x), torch.tanh(self.value(x))

    @torch.inference_mode()
    def numpy_call(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``search.NetworkEvaluator``'s network: numpy in, numpy out."""
        device = self.policy.weight.device
        logits, values = self(torch.from_numpy(np.asarray(obs, dtype=np.float32)).to(device))
        return logits.cpu().numpy(), self.config.denormalise(values.cpu().numpy())
