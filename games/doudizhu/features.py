"""Observation features for learners, in the spirit of DouZero.

Cards are encoded as 54 zeros/ones (:func:`cards_vector`): for each rank
``3``..``2`` four slots, the first ``n`` set when the set holds ``n`` cards of
that rank (rank-major: slot ``4*r + j``), then the black joker (52) and the red
joker (53). Seats are seen from the observing player: *me*, *next* (who plays
after me) and *prev* (who plays before me); with the landlord at seat 0 those
are the roles landlord / landlord_down / landlord_up of DouZero.

``state.observation(player)`` is one float32 vector of ``OBSERVATION_SIZE =
1436`` values, the concatenation of (offsets in brackets):

==========  =====  ============================================================
offset      size   what
==========  =====  ============================================================
0           54     my hand
54          54     cards I cannot see: the union of the others' hands (plus the
                   undealt kitty while bidding)
108         54     the move I must beat (zeros when I lead, or while bidding)
162         3x54   cards played so far by me, next, prev
324         3x54   the latest card-play action of me, next, prev (zeros for a
                   pass or no action yet)
486         3x21   cards left in the hand of me, next, prev, one-hot 0..20
549         3      whether me, next, prev is the landlord (zeros while bidding)
552         54     the kitty, once revealed (zeros while bidding)
606         15     bombs and rockets played so far, one-hot 0..14 (14 = 14+)
621         5      bidding phase flag, then the highest bid so far one-hot 0..3
626         15x54  the last 15 card-play actions, oldest first, zero-padded at
                   the front, a pass as zeros (DouZero's history)
==========  =====  ============================================================

:func:`features` returns the same information split as DouZero's network
wants it (``x`` = the first 626 values, ``z`` = the history as ``(5, 162)``,
three moves per row) plus one row per legal action: ``moves`` with
``ACTION_SIZE = 58`` columns (the 54 cards of the move, then a one-hot of the
bid 0..3 for bidding actions; a pass is all zeros) and ``x_batch`` =
``x`` repeated and joined with ``moves`` (``(n, 684)``).
"""

from __future__ import annotations

import numpy as np

from selfplay.games.doudizhu.moves import MOVE_MASK, NUM_MOVES

CARD_SIZE = 54
HISTORY_MOVES = 15
X_SIZE = 626
OBSERVATION_SIZE = X_SIZE + HISTORY_MOVES * CARD_SIZE
ACTION_SIZE = CARD_SIZE + 4
X_BATCH_SIZE = X_SIZE + ACTION_SIZE
_LEFT_SLOTS = 21
_BOMB_SLOTS = 15

# a byte of a packed hand holds two ranks; row b is the unary code of both nibbles
_BYTE_UNARY = np.array([[1.0 if j < (b & 15) else 0.0 for j in range(4)]
                        + [1.0 if j < (b >> 4) else 0.0 for j in range(4)] for b in range(256)], dtype=np.float32)
# of the 64 slots (16 nibbles x 4), keep ranks 3..2 (52 slots) and the first slot of each joker
_KEEP = np.array(list(range(52)) + [52, 56])
_move_vectors: np.ndarray | None = None


def cards_vector(hand: int) -> np.ndarray:
    """The 54-value encoding of a packed hand (float32)."""
    raw = np.frombuffer(hand.to_bytes(8, "little"), dtype=np.uint8)
    return _BYTE_UNARY[raw].reshape(64)[_KEEP]


def cards_vectors(hands) -> np.ndarray:
    """Encodings of many packed hands, shape ``(len(hands), 54)``."""
    raw = np.asarray(hands, dtype=np.uint64).astype("<u8").view(np.uint8).reshape(-1, 8)
    return _BYTE_UNARY[raw].reshape(-1, 64)[:, _KEEP]


def move_vectors() -> np.ndarray:
    """``(NUM_MOVES, 54)`` float32 table of every move's cards (pass = zeros); built once."""
    global _move_vectors
    if _move_vectors is None:
        table = cards_vectors(MOVE_MASK)
        table.flags.writeable = False
        _move_vectors = table
    return _move_vectors


def observation(state, player: int) -> np.ndarray:
    """The fixed-size float32 observation of ``player`` (layout in the module docstring)."""
    out = np.zeros(OBSERVATION_SIZE, dtype=np.float32)
    _fill_x(state, player, out)
    hist = state._card_history()[-HISTORY_MOVES:]
    if hist:
        out[OBSERVATION_SIZE - CARD_SIZE * len(hist):] = move_vectors()[hist].reshape(-1)
    return out


def _fill_x(state, player: int, out: np.ndarray) -> None:
    seats = (player, (player + 1) % 3, (player + 2) % 3)
    hands, played, left = state._hands, state._played, state._left
    table = move_vectors()
    unseen = state._unseen(player)
    packed = [hands[player], unseen, played[seats[0]], played[seats[1]], played[seats[2]], state._kitty_public()]
    vecs = cards_vectors(packed)
    out[0:54] = vecs[0]
    out[54:108] = vecs[1]
    if state._to_beat >= 0:
        out[108:162] = table[state._to_beat]
    out[162:324] = vecs[2:5].reshape(-1)
    last = state._last_actions()
    for i, seat in enumerate(seats):
        if last[seat] >= 0:
            out[324 + 54 * i:378 + 54 * i] = table[last[seat]]
        out[486 + _LEFT_SLOTS * i + min(left[seat], 20)] = 1.0
        if seat == state._landlord:
            out[549 + i] = 1.0
    out[552:606] = vecs[5]
    out[606 + min(state._bombs, _BOMB_SLOTS - 1)] = 1.0
    if state._bidding:
        out[621] = 1.0
    out[622 + state._bid] = 1.0


def douzero_features(state, player: int | None = None) -> dict:
    """DouZero-style features of the player to move (or ``player``).

    Returns a dict of numpy arrays: ``x`` (626,) state without action; ``z``
    (5, 162) the last 15 card-play actions, three per row, oldest first;
    ``actions`` (n,) int64 the legal actions; ``moves`` (n, 58) one row per
    legal action (54 cards, then bid one-hot); ``x_batch`` (n, 684) ``x``
    joined with each row of ``moves``. ``n`` is 0 for other players than the
    one to move, or at the end of the game.
    """
    if player is None:
        player = state.current_player
    x = np.zeros(X_SIZE, dtype=np.float32)
    _fill_x(state, player, x)
    hist = state._card_history()[-HISTORY_MOVES:]
    z = np.zeros((HISTORY_MOVES, CARD_SIZE), dtype=np.float32)
    if hist:
        z[HISTORY_MOVES - len(hist):] = move_vectors()[hist]
    actions = np.array(state.legal_actions() if player == state.current_player else [], dtype=np.int64)
    moves = np.zeros((len(actions), ACTION_SIZE), dtype=np.float32)
    cards = actions[actions < NUM_MOVES]
    if len(cards) == len(actions):
        moves[:, :CARD_SIZE] = move_vectors()[actions]
    else:  # bidding: actions NUM_MOVES + bid
        moves[np.arange(len(actions)), CARD_SIZE + actions - NUM_MOVES] = 1.0
    x_batch = np.concatenate([np.broadcast_to(x, (len(actions), X_SIZE)), moves], axis=1)
    return {"x": x, "z": z.reshape(5, 3 * CARD_SIZE), "actions": actions, "moves": moves, "x_batch": x_batch}
