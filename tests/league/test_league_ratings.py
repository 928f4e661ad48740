"""Ratings: the joint Bradley-Terry fit recovers set strengths within its intervals
(one-seat games, a landlord-vs-two-peasants team game, per-role strengths), the anchor
only shifts the scale, and LOS / SPRT match hand-computed values."""

import math

import numpy as np
import pytest

from selfplay.league.ratings import (Result, elo_to_score, fit, head_to_head, likelihood_of_superiority,
                                     records_against, sprt, superiority)


def simulate(strength, pairs, games, rng, bias=(0.0, 0.0), team=False, draws=0.0):
    """Role-swapped games between every ordered pair: ``strength(player, slot)`` in Elo,
    ``bias[slot]`` the role's advantage; slot 1 has two seats (both the same player) when
    ``team``. A draw comes with probability ``draws * min(p, 1 - p)`` so the expected score
    stays the model's p."""
    results = []
    for a, b in pairs:
        diff = strength(a, 0) + bias[0] - strength(b, 1) - bias[1]
        p = elo_to_score(diff)
        u = rng.random(games)
        drawn = draws * min(p, 1 - p)
        won = u < p - drawn / 2
        tied = (u >= p - drawn / 2) & (u < p + drawn / 2)
        slots = ((a,), (b, b) if team else (b,))
        for w, t in zip(won, tied):
            score = 0.0 if t else (1.0 if w else -1.0)
            results.append(Result(slots, (score, -score)))
    return results


def ordered_pairs(names):
    return [(a, b) for a in names for b in names if a != b]


TRUE = {"random": 0.0, "b": 150.0, "c": 300.0, "d": 450.0, "e": 650.0}


def test_fit_recovers_set_elos_within_calibrated_intervals():
    """12 simulated leagues with draws and a first-move advantage: ~95% of true values
    lie in the 95% intervals, and the intervals are as wide as the estimates' spread."""
    rng = np.random.default_rng(1)
    errors, sds, inside = [], [], 0
    for _ in range(12):
        results = simulate(lambda p, t: TRUE[p], ordered_pairs(TRUE), 40, rng, bias=(30.0, -30.0), draws=0.3)
        f = fit(results, roles=("seat 0", "seat 1"), per_role=False)
        assert f.players["random"].elo == 0.0 and f.players["random"].low == f.players["random"].high == 0.0
        checks = [(f.players[p], TRUE[p]) for p in TRUE if p != "random"] + [(f.role_advantage["seat 0"], 30.0)]
        for rating, true in checks:
            inside += rating.low <= true <= rating.high
            errors.append(rating.elo - true)
            sds.append(rating.sd)
    coverage = inside / len(errors)
    assert coverage >= 0.86, coverage
    ratio = np.std(errors) / np.mean(sds)  # calibration: too narrow or too wide intervals fail
    assert 0.6 < ratio < 1.4, ratio
    assert abs(np.mean(errors)) < 15  # no systematic bias
    assert max(sds) < 60  # informative, not trivially wide


def test_team_game_with_landlord_bias_recovers_players_and_role_advantage():
    rng = np.random.default_rng(7)
    results = simulate(lambda p, t: TRUE[p], ordered_pairs(TRUE), 150, rng, bias=(-45.0, 45.0), team=True)
    f = fit(results, roles=("landlord", "peasants"))
    for p, true in TRUE.items():
        r = f.players[p]
        assert r.low <= true <= r.high, (p, r, true)
        assert r.high - r.low < 110
    lord = f.role_advantage["landlord"]
    assert lord.low <= -45.0 <= lord.high and lord.high < 0  # the landlord's handicap is found
    assert f.role_advantage["peasants"].elo == pytest.approx(-lord.elo)  # centred
    assert f.ranking() == ["e", "d", "c", "b", "random"]
    # games: role-swapped against 4 others, 150 each way; teammates count the result once
    assert f.players["c"].games == 8 * 150 and f.by_role["landlord"]["c"].games == 4 * 150


def test_per_role_ratings_recover_each_roles_strength():
    """d is a strong landlord but a weak peasant; per-role ratings see it, the overall
    rating sits between."""
    by_role = {"random": (0.0, 0.0), "b": (200.0, 200.0), "d": (500.0, 100.0)}
    rng = np.random.default_rng(3)
    results = simulate(lambda p, t: by_role[p][t], ordered_pairs(by_role), 400, rng, bias=(-40.0, 40.0),
                       team=True)
    f = fit(results, roles=("landlord", "peasants"))
    for t, role in enumerate(("landlord", "peasants")):
        for p, strengths in by_role.items():
            r = f.by_role[role][p]
            assert r.low <= strengths[t] <= r.high, (role, p, r)
    assert f.by_role["landlord"]["d"].elo > f.players["d"].elo > f.by_role["peasants"]["d"].elo


def test_hand_computed_two_player_fit():
    """30 wins and 10 losses against the anchor, evenly over both seats: Elo 400 log10(3),
    half-width 1.96 / (c sqrt(n p (1 - p))) with c = ln(10) / 400."""
    results = []
    for seat in (0, 1):
        for k in range(20):
            win = k < 15
            slots = (("a",), ("random",)) if seat == 0 else (("random",), ("a",))
            a_score = 1.0 if win else -1.0
            results.append(Result(slots, (a_score, -a_score) if seat == 0 else (-a_score, a_score)))
    f = fit(results, prior_sd=1e9, role_prior_sd=1e9)
    a = f.players["a"]
    assert a.elo == pytest.approx(190.8485, abs=1e-3)
    assert (a.high - a.low) / 2 == pytest.approx(124.328, abs=1e-2)
    assert a.games == 40 and a.score == pytest.approx(0.75)
    assert f.role_advantage["slot 0"].elo == pytest.approx(0.0, abs=1e-6)
    assert f.expected_score("a", "random") == pytest.approx(0.75, abs=1e-6)
    assert f.difference_sd("a", "random") == pytest.approx(a.sd)


def test_moving_the_anchor_only_shifts_every_rating():
    rng = np.random.default_rng(5)
    results = simulate(lambda p, t: TRUE[p], ordered_pairs(TRUE), 30, rng, team=True)
    at_random = fit(results, roles=("landlord", "peasants"), per_role=False)
    at_c = fit(results, anchor="c", roles=("landlord", "peasants"), per_role=False)
    assert at_c.players["c"].elo == 0.0 and at_c.players["c"].sd == 0.0
    shift = at_random.players["c"].elo
    for p in TRUE:
        assert at_c.players[p].elo == pytest.approx(at_random.players[p].elo - shift, abs=1e-6)
    assert at_c.players["random"].sd == pytest.approx(at_random.players["c"].sd, rel=1e-6)
    assert at_c.difference_sd("b", "d") == pytest.approx(at_random.difference_sd("b", "d"), rel=1e-6)
    with pytest.raises(ValueError, match="anchor 'nobody'"):
        fit(results, anchor="nobody")


def test_a_player_who_won_everything_stays_finite_with_a_wide_interval():
    results = [Result((("god",), ("random",)), (1.0, -1.0))] * 10 + [Result((("random",), ("god",)), (-1.0, 1.0))] * 10
    f = fit(results)
    god = f.players["god"]
    assert 300 < god.elo < 3000 and math.isfinite(god.high) and god.high - god.low > 300
    assert god.score == 1.0


def test_three_slot_games_compare_every_pair_with_reduced_weight():
    # one game: a first, b and c tie behind it
    results = [Result((("a",), ("b",), ("random",)), (2.0, -1.0, -1.0))]
    f = fit(results, prior_sd=400)
    assert f.players["a"].score == 1.0 and f.players["a"].games == 1
    assert f.players["b"].score == pytest.approx(0.25)  # a loss and a draw, half weight each
    assert f.players["a"].elo > f.players["b"].elo == pytest.approx(f.players["random"].elo, abs=1e-6)


def test_records_and_head_to_head_count_teammates_and_skip_self_play():
    results = [Result((("new",), ("best", "best")), (2.0, -1.0)),
               Result((("best",), ("new", "new")), (2.0, -1.0)),
               Result((("best",), ("new", "new")), (0.0, 0.0)),
               Result((("new",), ("new", "new")), (1.0, -1.0)),  # self-play: no opponent
               Result((("random",), ("new", "best")), (-2.0, 1.0))]
    rec = head_to_head(results, "new", "best")
    assert (rec.wins, rec.losses, rec.draws) == (1, 1, 1)
    assert records_against(results, "new")["random"].wins == 1
    assert "new" not in records_against(results, "new")


def test_likelihood_of_superiority_hand_values():
    assert likelihood_of_superiority(10, 5) == pytest.approx(0.901647, abs=1e-5)  # Phi(5 / sqrt(15))
    assert likelihood_of_superiority(5, 10) == pytest.approx(1 - 0.901647, abs=1e-5)
    assert likelihood_of_superiority(7, 7, draws=100) == 0.5
    assert likelihood_of_superiority(0, 0) == 0.5


def test_sprt_hand_values_and_verdicts():
    # s = 0.6, var = 0.24, s0 = 0.5, s1 = 1 / (1 + 10^(-20/400)) = 0.528751:
    # llr = 100 (s1 - s0)(2 s - s0 - s1) / (2 var) = 1.02573; bounds ln(0.05/0.95) = -2.94444
    t = sprt(60, 40, 0, elo0=0, elo1=20)
    assert t.llr == pytest.approx(1.02573, abs=1e-4)
    assert t.lower == pytest.approx(-2.944439, abs=1e-5) and t.upper == pytest.approx(2.944439, abs=1e-5)
    assert t.verdict == "undecided" and t.games == 100
    assert sprt(600, 400, 0, elo0=0, elo1=20).verdict == "stronger"
    assert sprt(400, 600, 0, elo0=0, elo1=20).verdict == "not stronger"
    # draws shrink the variance: same score, more confident
    assert sprt(50, 30, 20, elo0=0, elo1=20).llr > t.llr
    assert sprt(30, 0, 0).llr > 0 and sprt(0, 0, 0).verdict == "undecided"


def test_superiority_of_the_newest_snapshot_from_head_to_head_games():
    results = [Result((("new",), ("best",)), (1.0, -1.0))] * 70 + [Result((("best",), ("new",)), (1.0, -1.0))] * 30
    s = superiority(results, "new", "best", elo0=0, elo1=30)
    assert (s.record.wins, s.record.losses) == (70, 30)
    assert s.los > 0.99 and s.test.verdict == "stronger"
