"""Matchmaking: `past` plays the latest self ~80% of the time and lowers the quality of
snapshots the learner beats; `pfsp` favours the opponents the learner loses to; seating
covers every place the learner can take."""

from collections import Counter

import numpy as np
import pytest

from selfplay.games import make
from selfplay.league.matchmaking import (LEARNER, PFSP, Latest, Past, learner_score, make_matchmaker, seating,
                                         seating_options)
from selfplay.league.ratings import Result, records_against


def binomial_bounds(n, p, sds=4.5):
    half = sds * (n * p * (1 - p)) ** 0.5
    return n * p - half, n * p + half


def test_latest_is_pure_self_play():
    mm = make_matchmaker("latest")
    mm.add(1)
    assert isinstance(mm, Latest) and {mm.choose(np.random.default_rng(s)) for s in range(20)} == {LEARNER}


def test_past_picks_the_latest_about_80_percent_and_samples_the_pool_otherwise():
    mm = Past()
    for snapshot in (1, 2, 3, 4, 5):
        mm.add(snapshot)
    rng = np.random.default_rng(0)
    picks = Counter(mm.choose(rng) for _ in range(4000))
    low, high = binomial_bounds(4000, 0.8)
    assert low <= picks[LEARNER] <= high
    for snapshot in (1, 2, 3, 4, 5):  # equal quality: each of the other 20% equally
        low, high = binomial_bounds(4000, 0.04)
        assert low <= picks[snapshot] <= high


def test_past_with_an_empty_pool_plays_the_learner():
    assert Past().choose(np.random.default_rng(0)) == LEARNER
    assert PFSP().choose(np.random.default_rng(0)) == LEARNER


def test_past_quality_drops_by_lr_over_n_p_when_the_learner_wins():
    mm = Past(learning_rate=0.01)
    for snapshot in "abcd":
        mm.add(snapshot)
    mm.update("a", 1.0)  # p = 1/4, N = 4: q_a -= 0.01 / (4 * 0.25)
    assert mm.quality["a"] == pytest.approx(-0.01) and mm.quality["b"] == 0.0
    p_a = mm.probabilities()["a"]
    mm.update("a", 1.0)
    assert mm.quality["a"] == pytest.approx(-0.01 - 0.01 / (4 * p_a))
    before = dict(mm.quality)
    mm.update("b", 0.5)  # a draw or a loss leaves quality alone
    mm.update("b", 0.0)
    mm.update(LEARNER, 1.0)
    assert mm.quality == before
    for _ in range(300):
        mm.update("a", 1.0)
    probs = mm.probabilities()
    assert probs["a"] < 0.5 * probs["b"] and sum(probs.values()) == pytest.approx(1.0)
    mm.add("e")  # a new snapshot starts at the best quality in the pool
    assert mm.quality["e"] == max(mm.quality.values()) == 0.0


def test_pfsp_hard_weights_are_one_minus_win_rate_squared():
    mm = PFSP(weighting="hard", decay=1.0)
    for opponent in "abc":
        mm.add(opponent)
    for k in range(10):
        mm.update("a", 1.0 if k < 9 else 0.0)  # the learner beats a
        mm.update("b", 1.0 if k < 1 else 0.0)  # and loses to b; c is unplayed
    # prior of one win and one loss: x_a = 10/12, x_b = 2/12, x_c = 1/2
    assert mm.win_rate("a") == pytest.approx(10 / 12) and mm.win_rate("c") == 0.5
    f = {"a": (2 / 12) ** 2, "b": (10 / 12) ** 2, "c": 0.25}
    total = sum(f.values())
    assert mm.probabilities() == pytest.approx({k: v / total for k, v in f.items()})
    picks = Counter(mm.choose(np.random.default_rng(s)) for s in range(600))
    assert picks["b"] > picks["c"] > picks["a"]  # the opponents the learner loses to come first


def test_pfsp_variance_weights_favour_even_opponents():
    mm = make_matchmaker("pfsp", weighting="variance", decay=1.0)
    for opponent in "abc":
        mm.add(opponent)
    for _ in range(20):
        mm.update("a", 1.0)
        mm.update("b", 0.0)
        mm.update("c", 0.5)
    probs = mm.probabilities()
    assert probs["c"] > 3 * probs["a"] and probs["a"] == pytest.approx(probs["b"])


def test_pfsp_forgets_old_results_and_loads_records_from_the_store():
    mm = PFSP(decay=0.9)
    mm.add("a")
    for _ in range(50):
        mm.update("a", 0.0)
    for _ in range(50):
        mm.update("a", 1.0)
    assert mm.win_rate("a") > 0.9  # recent wins outweigh old losses
    results = [Result((("new",), ("old",)), (1.0, -1.0))] * 3 + [Result((("old",), ("new",)), (1.0, -1.0))]
    fresh = PFSP()
    fresh.add("old")
    fresh.load_records(records_against(results, "new"))
    assert fresh.win_rate("old") == pytest.approx((3 + 1) / (4 + 2))


def test_seating_covers_landlord_both_peasants_and_one_peasant_a_third_each():
    game = make("doudizhu")
    assert seating_options(game) == [[(0,)], [(1, 2)], [(1,), (2,)]]
    rng = np.random.default_rng(1)
    n = 3000
    seen = Counter(seating(game, rng) for _ in range(n))
    assert set(seen) == {(0,), (1, 2), (1,), (2,)}
    for seats, p in {(0,): 1 / 3, (1, 2): 1 / 3, (1,): 1 / 6, (2,): 1 / 6}.items():
        low, high = binomial_bounds(n, p)
        assert low <= seen[seats] <= high, (seats, seen)


def test_seating_in_a_two_seat_game_takes_either_seat_equally():
    rng = np.random.default_rng(2)
    seen = Counter(seating(make("connect4"), rng) for _ in range(1000))
    assert set(seen) == {(0,), (1,)} and binomial_bounds(1000, 0.5)[0] <= seen[(0,)] <= binomial_bounds(1000, 0.5)[1]


def test_table_puts_the_learner_at_its_seats_and_the_opponent_elsewhere():
    mm = Past(latest_share=0.0)
    mm.add(7)
    rng = np.random.default_rng(3)
    game = make("doudizhu")
    for _ in range(20):
        table = mm.table(game, rng)
        assert table.opponent == 7 and len(table.seats) == 3
        assert all((seat == LEARNER) == (s in table.learner_seats) for s, seat in enumerate(table.seats))


def test_learner_score_and_bad_options():
    assert learner_score((2.0, -1.0, -1.0), (1, 2)) == 0.0
    assert learner_score((-2.0, 1.0, 1.0), (1,)) == 1.0 and learner_score((0.0, 0.0), (0,)) == 0.5
    with pytest.raises(ValueError, match="unknown matchmaking"):
        make_matchmaker("elo")
    with pytest.raises(ValueError):
        PFSP(weighting="soft")
    with pytest.raises(ValueError):
        Past().add(LEARNER)
