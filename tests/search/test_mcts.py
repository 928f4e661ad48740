"""UCT search: each test is named after the rule it checks (as OpenSpiel's mcts_test.py)."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest

from selfplay.games import make
from selfplay.games.base import Game, GameInfo, IllegalActionError, State
from selfplay.search import MCTS, Evaluator, MCTSAgent, RandomRollout, SearchNode, mcts_search, uct_select

SEARCH_DIR = pathlib.Path(__file__).resolve().parents[2] / "search"


def play(game_name: str, moves: list[int]) -> State:
    state = make(game_name).new_initial_state()
    for move in moves:
        state.apply(move)
    return state


# ---- tiny hand-built test games --------------------------------------------


class ThreeWayState(State):
    """Three players. Player 0 picks 0 or 1; after 0 player 1 answers, after 1
    player 2 answers; then the game ends with the payoffs in ``OUTCOMES``.

    Max^n: player 1 answers 0 (its 1.0 beats 0.0), so branch 0 is worth 1.0
    to player 0; player 2 answers 1 (its 1.0 beats 0.0), so branch 1 is worth
    0.2: player 0 picks 0. A search where everyone maximised player 0's payoff
    would pick 1 (2.0 > 1.0); a paranoid one (others minimise player 0) also 1
    (0.2 > -1.0).
    """

    __slots__ = ("game", "history")
    OUTCOMES = {
        (0, 0): [1.0, 1.0, 0.0],
        (0, 1): [-1.0, 0.0, 1.0],
        (1, 0): [2.0, 0.0, 0.0],
        (1, 1): [0.2, 0.0, 1.0],
    }

    def __init__(self, game: Game, seed: int | None = None) -> None:
        self.game = game
        self.history: list[int] = []

    @property
    def current_player(self) -> int:
        if not self.history:
            return 0
        return 1 if self.history[0] == 0 else 2

    def is_terminal(self) -> bool:
        return len(self.history) == 2

    def _legal_actions(self) -> list[int]:
        return [0, 1]

    def _apply(self, action: int) -> None:
        self.history.append(action)

    def _returns(self) -> list[float]:
        return list(self.OUTCOMES[tuple(self.history)])

    def action_to_string(self, action: int) -> str:
        return str(action)

    def clone(self) -> "ThreeWayState":
        new = ThreeWayState(self.game)
        new.history = self.history[:]
        return new


class ThreeWay(Game):
    state_class = ThreeWayState
    info = GameInfo(name="three_way", num_players=3, num_actions=2, perfect_information=True, observation_shape=(1,))


class GuessState(State):
    """Imperfect information: player 0 guesses a hidden card 0-2 (+1 if right,
    -1 if wrong). Then, after a guess of 0, player 1 moves once with a hand
    that decides its legal actions (hand 0: actions 3 and 4; hand 1: action 5),
    at no change to the payoff.

    The worlds ``resample_hidden`` draws come from ``belief`` (what player 0
    thinks the card is), never from the true card; every call is recorded, and
    cloning the real (unsampled) state fails the test.
    """

    __slots__ = ("game", "card", "hand", "guess", "answered", "sampled", "calls", "belief")

    def __init__(self, game: Game, seed: int | None = None) -> None:
        self.game = game
        self.card, self.hand = 2, 0
        self.guess, self.answered = -1, False
        self.sampled = False
        self.calls: list[int] = []
        self.belief: tuple[int, ...] = (0,)

    @property
    def current_player(self) -> int:
        return 0 if self.guess < 0 else 1

    def is_terminal(self) -> bool:
        return self.guess > 0 or self.answered

    def _legal_actions(self) -> list[int]:
        if self.guess < 0:
            return [0, 1, 2]
        return [3, 4] if self.hand == 0 else [5]

    def _apply(self, action: int) -> None:
        if self.guess < 0:
            self.guess = action
        else:
            self.answered = True

    def _returns(self) -> list[float]:
        return [1.0, -1.0] if self.guess == self.card else [-1.0, 1.0]

    def action_to_string(self, action: int) -> str:
        return str(action)

    def clone(self) -> "GuessState":
        if not self.sampled:
            raise AssertionError("the search cloned the real imperfect-information state")
        new = GuessState(self.game)
        new.card, new.hand, new.guess, new.answered, new.sampled = self.card, self.hand, self.guess, self.answered, True
        return new

    def resample_hidden(self, player: int, rng: np.random.Generator) -> "GuessState":
        assert isinstance(rng, np.random.Generator)
        self.calls.append(player)
        world = GuessState(self.game)
        world.card = self.belief[int(rng.integers(len(self.belief)))]
        world.hand = int(rng.integers(2))
        world.guess, world.answered, world.sampled = self.guess, self.answered, True
        return world


class Guess(Game):
    state_class = GuessState
    info = GameInfo(name="guess", num_players=2, num_actions=6, perfect_information=False, observation_shape=(1,))


class CountingRollout(RandomRollout):
    def __init__(self, rng: int) -> None:
        super().__init__(rng)
        self.evaluations = 0

    def evaluate(self, state: State) -> np.ndarray:
        self.evaluations += 1
        return super().evaluate(state)


# ---- choosing a move --------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_takes_immediate_win(seed: int) -> None:
    # X: 0 1, O: 3 4, X to move. 2 wins at once; 5 would only block.
    state = play("tictactoe", [0, 3, 1, 4])
    assert mcts_search(state, simulations=300, rng=seed).action == 2


@pytest.mark.parametrize("seed", range(3))
def test_takes_immediate_win_connect4(seed: int) -> None:
    # x has three in column 0 and o three in column 1; x to move wins in column 0.
    state = play("connect4", [0, 1, 0, 1, 0, 1])
    assert mcts_search(state, simulations=500, rng=seed).action == 0


@pytest.mark.parametrize("seed", range(3))
def test_blocks_immediate_loss(seed: int) -> None:
    # X: 0 1, O: 4, O to move: only 2 stops X's top row.
    state = play("tictactoe", [0, 4, 1])
    assert mcts_search(state, simulations=1000, rng=seed).action == 2


@pytest.mark.parametrize("seed", range(3))
def test_blocks_immediate_loss_connect4(seed: int) -> None:
    # x has 0, 1, 2 on the bottom row; o (to move) must take column 3.
    state = play("connect4", [0, 6, 1, 6, 2])
    assert mcts_search(state, simulations=1000, rng=seed).action == 3


def test_choose_most_visited_breaks_ties_by_value() -> None:
    root = SearchNode(2)
    root.player = 1
    stats = {  # action: (visits, value sum for player 0, for player 1)
        0: (10, -9.0, 9.0),  # best value for player 1, but fewer visits
        1: (12, 6.0, -6.0),
        2: (12, -3.0, 3.0),  # tied on visits with 1; better for player 1
        3: (12, 3.0, -3.0),
    }
    for action, (visits, v0, v1) in stats.items():
        child = SearchNode(2)
        child.visits, child.value_sum = visits, [v0, v1]
        root.children[action] = child
    assert root.best_action() == 2
    root.player = 0  # the same tie read by player 0 goes to action 1
    assert root.best_action() == 1


def test_choose_most_visited_over_best_value() -> None:
    result = mcts_search(play("tictactoe", []), simulations=400, rng=0)
    counts = result.counts
    assert result.action == max(counts, key=counts.get)
    assert sum(counts.values()) == 400 == result.root.visits


def test_policy_is_visit_distribution() -> None:
    result = mcts_search(play("connect4", []), simulations=300, rng=1)
    policy = result.policy()
    assert set(policy) == set(range(7))
    assert sum(policy.values()) == pytest.approx(1.0)
    for action, count in result.counts.items():
        assert policy[action] == pytest.approx(count / 300)
    greedy = result.policy(temperature=0)
    assert greedy[result.action] == 1.0 and sum(greedy.values()) == 1.0
    sharp = result.policy(temperature=0.25)
    assert max(sharp.values()) > max(policy.values())


# ---- the tree ----------------------------------------------------------------


def test_maxn_backup_three_players() -> None:
    state = ThreeWay().new_initial_state()
    result = mcts_search(state, simulations=3000, c_uct=1.4, rng=0)
    assert result.action == 0
    branch0, branch1 = result.root.children[0], result.root.children[1]
    assert branch0.player == 1 and branch1.player == 2
    assert branch0.best_action() == 0  # player 1 maximises its own payoff
    assert branch1.best_action() == 1  # so does player 2, at player 0's cost
    assert branch0.value_for(0) > 0.8 and branch1.value_for(0) < 0.5
    # Terminal children hold exactly the game's returns vector.
    np.testing.assert_allclose(branch1.children[1].mean_value(), [0.2, 0.0, 1.0])
    # Every node's value sum is the sum of its children's plus its own first visit.
    for node in (branch0, branch1):
        assert node.visits == 1 + sum(ch.visits for ch in node.children.values())


def test_backup_adds_value_vector_to_every_node_on_path() -> None:
    path = [SearchNode(3) for _ in range(3)]
    MCTS._backup(path, np.array([1.0, -0.5, 0.25]))
    MCTS._backup(path, [0.0, 1.0, 0.0])
    for node in path:
        assert node.visits == 2
        assert node.value_sum == [1.0, 0.5, 0.25]


def test_one_evaluation_per_simulation() -> None:
    evaluator = CountingRollout(0)
    result = MCTS(evaluator, simulations=250, rng=0).search(play("connect4", []))
    assert isinstance(evaluator, Evaluator)
    assert evaluator.evaluations == 250 == result.root.visits


def test_terminal_leaves_use_returns_not_evaluator() -> None:
    # Tic-tac-toe with one empty cell left: every simulation ends at a terminal.
    state = play("tictactoe", [0, 1, 2, 4, 3, 5, 7, 6])
    evaluator = CountingRollout(0)
    result = MCTS(evaluator, simulations=20, rng=0).search(state)
    assert evaluator.evaluations == 0
    np.testing.assert_allclose(result.root.children[8].mean_value(), [0.0, 0.0])


def test_uct_select_prefers_unvisited_then_ucb() -> None:
    node = SearchNode(2)
    node.player, node.visits = 0, 10
    for action, (visits, value) in enumerate([(5, 4.0), (0, 0.0), (4, -4.0)]):
        child = SearchNode(2)
        child.visits, child.value_sum = visits, [value, -value]
        node.children[action] = child
    assert uct_select(node, 1.4) == 1
    node.children[1].visits, node.children[1].value_sum = 1, [-1.0, 1.0]
    assert uct_select(node, 0.0) == 0  # no exploration: best mean for player 0
    assert uct_select(node, 100.0) == 1  # huge exploration: least visited
    assert uct_select(node, 0.0, legal={1, 2}) == 1  # only legal children compete


def test_search_leaves_state_unchanged() -> None:
    state = play("connect4", [3, 3, 4])
    before = str(state)
    mcts_search(state, simulations=200, rng=0)
    assert str(state) == before and state.current_player == 1


def test_terminal_state_cannot_be_searched() -> None:
    with pytest.raises(ValueError, match="terminal"):
        mcts_search(play("tictactoe", [0, 3, 1, 4, 2]), simulations=10)


# ---- randomness -----------------------------------------------------------------


def test_same_seed_same_search() -> None:
    state = play("connect4", [3])
    first = mcts_search(state, simulations=300, rng=7)
    again = mcts_search(state, simulations=300, rng=7)
    other = mcts_search(state, simulations=300, rng=8)
    assert first.counts == again.counts and first.action == again.action
    assert first.counts != other.counts


def test_agent_reset_replays_game() -> None:
    def game_record(seed: int) -> list[int]:
        agents = [MCTSAgent(simulations=60, c=1.4), MCTSAgent(simulations=60, c=1.4)]
        for seat, agent in enumerate(agents):
            agent.reset(seed * 2 + seat)
        state, moves = make("connect4").new_initial_state(), []
        while not state.is_terminal():
            move = agents[state.current_player].act(state)
            moves.append(move)
            state.apply(move)
        return moves

    assert game_record(3) == game_record(3)
    assert game_record(3) != game_record(4)


def test_agent_spec_keywords() -> None:
    agent = MCTSAgent(simulations=50, c=2.0, seed=0)
    assert agent.name == "mcts:sims=50,c=2"
    action = agent.act(play("tictactoe", [0, 3, 1, 4]))
    assert action == 2 and agent.last_result is not None and agent.last_result.root.visits == 50
    # A forced move is played without searching.
    agent.last_result = None
    assert agent.act(play("tictactoe", [0, 1, 2, 4, 3, 5, 7, 6])) == 8 and agent.last_result is None


# ---- imperfect information ----------------------------------------------------------


def test_determinizes_imperfect_information() -> None:
    state = Guess().new_initial_state()  # the true card is 2; player 0 believes it is 0
    result = MCTS(RandomRollout(0), simulations=200, rng=0).search(state)
    assert state.calls == [0] * 200  # one sampled world per simulation, for the player to move
    assert result.action == 0  # searched the believed worlds, not the real card
    state.belief = (1,)
    assert MCTS(RandomRollout(0), simulations=200, rng=0).search(state).action == 1


def test_skips_actions_illegal_in_sampled_world() -> None:
    state = Guess().new_initial_state()
    result = MCTS(RandomRollout(0), simulations=300, rng=1).search(state)
    reply = result.root.children[0]  # player 1's node; its legal actions depend on its hand
    assert reply.player == 1
    assert set(reply.children) == {3, 4, 5}  # actions from both kinds of world share one tree
    assert reply.visits == 1 + sum(ch.visits for ch in reply.children.values())
    hand0 = reply.children[3].visits + reply.children[4].visits
    assert 0.3 < hand0 / (reply.visits - 1) < 0.7  # each world only ever chose its own actions


def test_worlds_disagreeing_on_mover_raise() -> None:
    class SwitchingMover(GuessState):
        __slots__ = ()

        @property
        def current_player(self) -> int:
            return 0 if self.guess < 0 else 1 + self.hand  # reveals the hand: not allowed

        def clone(self) -> "SwitchingMover":
            new = SwitchingMover(self.game)
            new.card, new.hand, new.guess, new.answered, new.sampled = self.card, self.hand, self.guess, self.answered, True
            return new

        def resample_hidden(self, player: int, rng: np.random.Generator) -> "SwitchingMover":
            world = SwitchingMover(self.game)
            world.card, world.hand, world.sampled = 0, int(rng.integers(2)), True  # guess 0 wins: searched often
            return world

    class Switching(Guess):
        state_class = SwitchingMover
        info = GameInfo(name="switching", num_players=3, num_actions=6, perfect_information=False, observation_shape=(1,))

    with pytest.raises(ValueError, match="disagree on who moves"):
        MCTS(RandomRollout(0), simulations=200, rng=0).search(Switching().new_initial_state())


def test_imperfect_state_is_never_cloned_directly() -> None:
    state = Guess().new_initial_state()
    with pytest.raises(AssertionError, match="cloned the real"):
        state.clone()  # the guard the tests above rely on does fire
    with pytest.raises(IllegalActionError):
        state.resample_hidden(0, np.random.default_rng(0)).child(5)


# ---- strength -------------------------------------------------------------------------


def test_never_loses_tictactoe_vs_random() -> None:
    game = make("tictactoe")
    start = time.perf_counter()
    results = []
    for g in range(20):
        mcts_seat = g % 2
        agent = MCTSAgent(simulations=1000, c=1.4, seed=g)
        rng = np.random.default_rng(1000 + g)
        state = game.new_initial_state()
        while not state.is_terminal():
            if state.current_player == mcts_seat:
                state.apply(agent.act(state))
            else:
                legal = state.legal_actions()
                state.apply(legal[int(rng.integers(len(legal)))])
        results.append(state.returns()[mcts_seat])
    elapsed = time.perf_counter() - start
    assert min(results) >= 0.0, f"MCTS lost: {results}"
    assert results.count(1.0) >= 14, results  # and it mostly wins
    assert elapsed < 30, f"20 games took {elapsed:.1f}s"


# ---- the room's rules ------------------------------------------------------------------


def test_search_imports_only_point_down() -> None:
    allowed_selfplay = ("selfplay.games", "selfplay.search")
    for path in SEARCH_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] != "torch", f"{path.name} imports torch"
                if name.startswith("selfplay"):
                    assert name.startswith(allowed_selfplay), f"{path.name} imports {name}"


def test_importing_search_pulls_no_torch() -> None:
    code = (
        "import sys, selfplay.search\n"
        "bad = [m for m in sys.modules if m == 'torch' or m.startswith(('selfplay.agents', 'selfplay.learners', "
        "'selfplay.league', 'selfplay.cli', 'torch.'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
