"""DouZero 1.1.0 checkpoints as selfplay agents: its features from ours, its weights in our QNet.

DouZero's network (``douzero/dmc/models.py``) is ours (``selfplay.nets.QNet``,
DouDizhu encoder): an LSTM(162, 128) over the last 15 moves, its last output
joined with the state and the move, five ReLU layers of 512, one value. Only
the state layout differs. DouZero has one per role (``douzero/env/env.py``
``get_obs``: ``x_no_action``, 319 values for the landlord, 430 for a
peasant; the move is 54 more) where ours has one 626-value layout for every
role (``games/doudizhu/features.py``; the move is 58). Every one of DouZero's
values is one of ours, same encoding:

- cards: the same 54 slots (rank-major, four per rank, then B and R);
- cards left: DouZero one-hot at ``n - 1`` over 17 or 20 slots, ours at ``n``
  over 21: DouZero's slot k is our slot k + 1 (a seat to move never sees a
  hand of 0 cards: the game is over then);
- bombs: one-hot 0..14 in both;
- the history ``z``: the same (5, 162), passes as zeros, zero-padded in front.

So ``X_INDEX[role]`` lists, for each of DouZero's ``x_no_action`` columns,
the column of our ``x`` holding the same value, and ``qnet_from_douzero``
copies DouZero's weights into a QNet whose first layer reads those columns
(the others, which DouZero does not have: role flags, the kitty, our own
played cards and latest move, bidding, get zero weights). The result
computes DouZero's function on our features. ``tests/benchmarks/
test_douzero_compat.py`` checks both halves against DouZero's own code on
real positions: the features column by column, and the Q values.

What stays different: legal moves. The arena offers a DouZero model our
(RLCard's) legal moves, a subset of DouZero's (``docs/doudizhu.md``: DouZero
is looser about kickers), so it never plays a move only DouZero allows.

Run ``python benchmarks/douzero_compat.py DIR_OR_WEIGHTS... --out PATH`` to
convert a DouZero save (the three ``<position>_weights_<frames>.ckpt`` files,
or ``model.tar``) into a selfplay checkpoint, an agent spec for
``selfplay tournament``.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from selfplay.checkpoints import save_checkpoint
from selfplay.games.doudizhu.features import X_SIZE
from selfplay.learners.dmc import DMCConfig, net_configs
from selfplay.nets import NetConfig, QNet

ROLES = ("landlord", "landlord_down", "landlord_up")  # our groups' order
CARDS = 54
# DouZero's card values for our notation 3456789TJQKA2BR
DZ_CARD = {"3": 3, "4": 4, "5": 5, "6": 6, "7": 7, "8": 8, "9": 9, "T": 10, "J": 11, "Q": 12, "K": 13, "A": 14,
           "2": 17, "B": 20, "R": 30}

# our x: offsets of the blocks (games/doudizhu/features.py); me / next / prev seen from the mover
_HAND, _UNSEEN, _TO_BEAT, _PLAYED, _LAST, _LEFT, _BOMBS = 0, 54, 108, 162, 324, 486, 606
ME, NEXT, PREV = 0, 1, 2


def _cards(base: int, seat: int = 0) -> list[int]:
    return list(range(base + CARDS * seat, base + CARDS * (seat + 1)))


def _left(seat: int, slots: int) -> list[int]:
    start = _LEFT + 21 * seat + 1  # DouZero's one-hot slot n - 1 is our slot n
    return list(range(start, start + slots))


_BOMB = list(range(_BOMBS, _BOMBS + 15))
# Turn order is landlord -> landlord_down -> landlord_up: the landlord's next is landlord_down,
# landlord_down's next is landlord_up (its teammate), landlord_up's next is the landlord.
X_INDEX = {
    # _get_obs_landlord: hand, others' cards, move to beat, up's played, down's played, up's left, down's left, bombs
    "landlord": np.array(_cards(_HAND) + _cards(_UNSEEN) + _cards(_TO_BEAT) + _cards(_PLAYED, PREV)
                         + _cards(_PLAYED, NEXT) + _left(PREV, 17) + _left(NEXT, 17) + _BOMB),
    # _get_obs_landlord_down: hand, others, landlord's played, teammate's played, move to beat, landlord's latest,
    # teammate's latest, landlord's left, teammate's left, bombs
    "landlord_down": np.array(_cards(_HAND) + _cards(_UNSEEN) + _cards(_PLAYED, PREV) + _cards(_PLAYED, NEXT)
                              + _cards(_TO_BEAT) + _cards(_LAST, PREV) + _cards(_LAST, NEXT) + _left(PREV, 20)
                              + _left(NEXT, 17) + _BOMB),
    # _get_obs_landlord_up: the same, with the landlord next and the teammate prev
    "landlord_up": np.array(_cards(_HAND) + _cards(_UNSEEN) + _cards(_PLAYED, NEXT) + _cards(_PLAYED, PREV)
                            + _cards(_TO_BEAT) + _cards(_LAST, NEXT) + _cards(_LAST, PREV) + _left(NEXT, 20)
                            + _left(PREV, 17) + _BOMB),
}
assert [len(X_INDEX[r]) for r in ROLES] == [319, 430, 430]


def douzero_inputs(features: dict, role: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DouZero's ``(x_no_action, z, actions)`` of a decision from our ``douzero_features`` output."""
    return features["x"][X_INDEX[role]], features["z"], features["moves"][:, :CARDS]


def to_douzero_cards(text: str) -> list[int]:
    """A hand or move in our notation as DouZero's sorted card list (``""``: pass, ``[]``)."""
    return sorted(DZ_CARD[c] for c in text)


def qnet_from_douzero(state_dict: dict, role: str) -> QNet:
    """Our QNet (DouDizhu features, DouZero's sizes) computing the DouZero network ``state_dict`` of ``role``."""
    index = X_INDEX[role]
    lstm_hidden = state_dict["lstm.weight_hh_l0"].shape[1]
    net = QNet(NetConfig(state_dim=X_SIZE, move_dim=CARDS + 4, history_dim=state_dict["lstm.weight_ih_l0"].shape[1],
                         lstm_hidden=lstm_hidden, mlp=(512,) * 5))
    w1 = state_dict["dense1.weight"].float()
    if w1.shape[1] != lstm_hidden + len(index) + CARDS:
        raise ValueError(f"{role}: dense1 takes {w1.shape[1]} inputs, not {lstm_hidden} + {len(index)} + {CARDS}")
    ours = {k: v.float() for k, v in state_dict.items() if k.startswith("lstm.")}
    context = torch.zeros(512, lstm_hidden + X_SIZE)
    context[:, :lstm_hidden] = w1[:, :lstm_hidden]
    context[:, lstm_hidden + torch.from_numpy(index)] = w1[:, lstm_hidden:lstm_hidden + len(index)]
    move = torch.zeros(512, CARDS + 4)
    move[:, :CARDS] = w1[:, lstm_hidden + len(index):]
    ours.update({"context_in.weight": context, "context_in.bias": state_dict["dense1.bias"].float(),
                 "move_in.weight": move})
    for i in range(5):  # dense2..dense6 are body.1, body.3, ... (a ReLU between)
        ours[f"body.{2 * i + 1}.weight"] = state_dict[f"dense{i + 2}.weight"].float()
        ours[f"body.{2 * i + 1}.bias"] = state_dict[f"dense{i + 2}.bias"].float()
    net.load_state_dict(ours)
    return net


def read_douzero(path: str | Path, frames: int | None = None) -> tuple[dict[str, dict], int | None]:
    """DouZero's three state dicts from ``model.tar``, or from a folder's ``<position>_weights_<frames>.ckpt``
    (the save of ``frames``, default the latest). Returns ``({role: state_dict}, frames)``."""
    path = Path(path)
    if path.is_file():  # model.tar: a dict with model_state_dict per position (also optimizer state, flags)
        data = torch.load(path, map_location="cpu", weights_only=True)
        return {r: data["model_state_dict"][r] for r in ROLES}, int(data.get("frames", 0))
    saves = douzero_saves(path)
    if not saves:
        raise FileNotFoundError(f"{path}: no DouZero weights (<position>_weights_<frames>.ckpt)")
    frames = max(saves) if frames is None else frames
    return {r: torch.load(path / f"{r}_weights_{frames}.ckpt", map_location="cpu", weights_only=True)
            for r in ROLES}, frames


def douzero_saves(folder: str | Path) -> list[int]:
    """Frames of every complete save (all three positions' weights) in a DouZero run folder."""
    found: dict[int, set] = {}
    for f in Path(folder).glob("*_weights_*.ckpt"):
        m = re.fullmatch(r"(landlord|landlord_up|landlord_down)_weights_(\d+)\.ckpt", f.name)
        if m:
            found.setdefault(int(m.group(2)), set()).add(m.group(1))
    return sorted(fr for fr, roles in found.items() if roles == set(ROLES))


def convert(weights: dict[str, dict], out: str | Path, frames: int | None = None,
            elapsed_seconds: float | None = None, source: str = "") -> Path:
    """Write DouZero's weights as a selfplay DMC checkpoint (weights only): an agent spec."""
    nets = [qnet_from_douzero(weights[r], r) for r in ROLES]
    config = DMCConfig()
    from selfplay.encoders import encoder_for
    from selfplay.games import make

    assert [n.config for n in nets] == net_configs(encoder_for(make("doudizhu")), config)
    return save_checkpoint(out, {
        "game": "doudizhu", "game_options": {"bidding": False, "objective": "adp", "spring": False},
        "learner": "dmc", "objective": "adp", "groups": list(ROLES),
        "net_configs": [n.config.to_dict() for n in nets], "models": [n.state_dict() for n in nets],
        "frames": int(frames or 0), "elapsed_seconds": float(elapsed_seconds or 0.0), "seed": None,
        "config": {**asdict(config), "mlp": list(config.mlp)},
        "extra": {"converted_from": f"douzero 1.1.0 {source}".strip()},
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", help="a DouZero run folder (latest save) or its model.tar")
    parser.add_argument("--frames", type=int, help="the save of this many frames (a folder holds one per save)")
    parser.add_argument("--out", help="the selfplay checkpoint to write")
    args = parser.parse_args()
    if not args.source or not args.out:
        print(__doc__.split("\n\n")[0] + "\n(usage: douzero_compat.py SOURCE --out PATH; nothing to convert)")
        return
    weights, frames = read_douzero(args.source, args.frames)
    print(f"wrote {convert(weights, args.out, frames=frames, source=str(args.source))} ({frames} frames)")


if __name__ == "__main__":
    main()
