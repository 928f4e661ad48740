"""Helpers for game tests: play a scripted deal, or a game chosen by a list of picks."""


def play(game, deal, actions):
    """The state after ``actions`` from the explicit ``deal``."""
    state = game.new_initial_state(deal=deal)
    for a in actions:
        state.apply(a)
    return state


def random_game(game, seed, picks, steps=None):
    """A game from ``seed`` whose i-th move is legal action ``picks[i] % len(legal)``."""
    state = game.new_initial_state(seed=seed)
    for pick in picks[:steps]:
        if state.is_terminal():
            break
        legal = state.legal_actions()
        state.apply(legal[pick % len(legal)])
    return state
