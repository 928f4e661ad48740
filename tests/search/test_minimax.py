"""Minimax: exact values of hand-built tictactoe positions, perfect play in the arena,
random tie-breaks that a seed fixes."""

import pytest

from selfplay import arena
from selfplay.agents import AgentSpecError, RandomAgent, load
from selfplay.games import make
from selfplay.search.minimax import Minimax, MinimaxAgent

# tictactoe cells, row-major:   0 1 2
#                               3 4 5
#                               6 7 8     X (player 0) moves first


def position(moves):
    state = make("tictactoe").new_initial_state()
    for m in moves:
        state.apply(m)
    return state


def test_empty_board_is_a_draw_and_every_opening_keeps_it():
    tree = Minimax()
    state = position([])
    assert tree.solve(state) == (0.0, 0.0)
    assert sorted(tree.best_actions(state)) == list(range(9))  # no first move loses in tictactoe
    assert str(state) == "...\n...\n..."  # solving leaves the position as it was
    # memoised by position, not by path: every non-terminal position of tictactoe once
    # (5,478 legal positions, 958 of them terminal)
    assert len(tree.values) == 5478 - 958


def test_win_in_one_is_taken():
    # X: 0 1, O: 3 4, X to move: 2 wins at once (5 only blocks O's row)
    state = position([0, 3, 1, 4])
    tree = Minimax()
    assert tree.solve(state) == (1.0, -1.0)
    assert tree.best_actions(state) == [2]
    agent = MinimaxAgent(seed=0)
    for seed in range(5):
        agent.reset(seed)
        assert agent.act(state) == 2


def test_a_won_position_counts_every_winning_move_alike():
    # X: 0 1 8, O: 3 4, O to move: 5 wins at once; 2 blocks and forks (5 and 6), winning
    # later. Values are bare returns (no preference for the shorter win), so both are best;
    # every other move lets X complete the top row.
    state = position([0, 3, 1, 4, 8])
    tree = Minimax()
    assert tree.solve(state) == (-1.0, 1.0)
    assert tree.best_actions(state) == [2, 5]


def test_immediate_threat_is_blocked():
    # X: 0 1, O: 4, O to move: only 2 saves the game (and it then holds the draw)
    state = position([0, 4, 1])
    tree = Minimax()
    assert tree.best_actions(state) == [2]
    assert tree.solve(state) == (0.0, 0.0)
    for action in state.legal_actions():
        expected = (0.0, 0.0) if action == 2 else (1.0, -1.0)
        assert tree.solve(state.child(action)) == expected, action
    assert MinimaxAgent(seed=3).act(state) == 2


def test_a_fork_is_found_and_the_losing_side_knows_it():
    # X: 0 8, O: 4 then O blunders to a corner (2): X forks with 6 (threats at 3 and 7)
    state = position([0, 4, 8, 2])
    tree = Minimax()
    assert tree.solve(state) == (1.0, -1.0)
    assert 6 in tree.best_actions(state)
    # O's only non-losing replies to X's corner-corner opening are the edges
    before = position([0, 4, 8])
    assert sorted(tree.best_actions(before)) == [1, 3, 5, 7]


SOLVED = Minimax()  # shared by the agents below: the tree is the same, only tie-breaks differ


def play_out(seed_x, seed_o):
    """One game between two seeded minimax agents: the moves."""
    agents = [MinimaxAgent(seed=seed_x), MinimaxAgent(seed=seed_o)]
    for agent in agents:
        agent.tree = SOLVED
    state, moves = position([]), []
    while not state.is_terminal():
        action = agents[state.current_player].act(state)
        moves.append(action)
        state.apply(action)
    return tuple(moves), state.returns()


def test_tie_breaks_are_reproducible_for_a_seed_and_differ_across_seeds():
    first = [play_out(seed, seed + 100) for seed in range(6)]
    again = [play_out(seed, seed + 100) for seed in range(6)]
    assert first == again
    assert len({moves for moves, _ in first}) >= 4  # equal moves chosen at random, not the first
    assert all(returns == [0.0, 0.0] for _, returns in first)
    # reset(seed) restarts the same sequence of choices
    agent = MinimaxAgent()
    choices = []
    for _ in range(2):
        agent.reset(7)
        choices.append([agent.act(position([])) for _ in range(10)])
    assert choices[0] == choices[1] and len(set(choices[0])) > 1


def test_minimax_against_itself_always_draws():
    game = make("tictactoe")
    result = arena.play(game, [MinimaxAgent(), MinimaxAgent()], games=20, seed=0)
    assert len(result.records) == 20
    assert all(r.returns == (0.0, 0.0) for r in result.records)
    assert {r.slots for r in result.records} == {(0, 1), (1, 0)}


def test_minimax_never_loses_to_random_in_either_seat():
    game = make("tictactoe")
    result = arena.play(game, [MinimaxAgent(), RandomAgent()], games=50, seed=0)
    stats = result.stats()["0:minimax"]
    assert stats["all"].games == 50 and stats["all"].losses == 0
    assert stats["seat 0"].games == stats["seat 1"].games == 25
    assert stats["seat 0"].losses == stats["seat 1"].losses == 0
    assert stats["all"].wins >= 40  # it also punishes random play, from either seat
    assert stats["seat 1"].wins >= 15


def test_minimax_spec_and_imperfect_information_refused():
    assert isinstance(load("minimax", make("tictactoe")), MinimaxAgent)
    with pytest.raises(AgentSpecError):
        load("minimax", make("kuhn"))
    kuhn = make("kuhn").new_initial_state(seed=0)
    with pytest.raises(ValueError, match="perfect-information"):
        MinimaxAgent(seed=0).act(kuhn)
