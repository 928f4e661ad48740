"""Which actions a node searches: Gumbel-top-k and the Sampled MuZero prior correction."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from selfplay.search.sampling import (
    corrected_prior, dirichlet_noise, gumbel_top_k, proposal, sample_actions,
)


def inclusion_without_replacement(p: np.ndarray, k: int) -> np.ndarray:
    """Exact probability that each item is among k sequential draws without replacement."""
    incl = np.zeros(len(p))
    for order in itertools.permutations(range(len(p)), k):
        prob, left = 1.0, 1.0
        for i in order:
            prob *= p[i] / left
            left -= p[i]
        incl[list(order)] += prob
    return incl


def assert_within(freq: np.ndarray, expected: np.ndarray, n: int, sigmas: float = 4.5) -> None:
    """Frequencies from n draws within ``sigmas`` binomial standard errors of the expected ones."""
    tol = sigmas * np.sqrt(expected * (1 - expected) / n) + 1e-9
    assert np.all(np.abs(freq - expected) <= tol), (freq, expected, tol)


def test_gumbel_top_k_draws_k_distinct_actions() -> None:
    rng = np.random.default_rng(0)
    for n, k in [(10, 3), (27, 8), (5, 5), (4, 9)]:
        logits = rng.normal(size=n)
        for _ in range(50):
            drawn = gumbel_top_k(logits, k, rng)
            assert len(drawn) == min(n, k) == len(set(drawn.tolist()))
            assert all(0 <= i < n for i in drawn)


def test_gumbel_top_k_never_draws_zero_weight_actions() -> None:
    rng = np.random.default_rng(1)
    log_w = np.array([np.log(0.5), -np.inf, np.log(0.3), -np.inf, np.log(0.2)])
    for _ in range(200):
        assert set(gumbel_top_k(log_w, 4, rng).tolist()) == {0, 2, 4}  # only three can be drawn


def test_gumbel_top_k_with_k_1_samples_the_prior() -> None:
    p = np.array([0.5, 0.3, 0.15, 0.05])
    rng = np.random.default_rng(2)
    n = 20_000
    freq = np.bincount([int(gumbel_top_k(np.log(p), 1, rng)[0]) for _ in range(n)], minlength=4) / n
    assert_within(freq, p, n)


@pytest.mark.parametrize("p", [[0.5, 0.3, 0.2], [0.4, 0.3, 0.2, 0.1], [0.7, 0.1, 0.1, 0.1]])
def test_gumbel_top_2_inclusion_matches_exact_sampling_without_replacement(p: list[float]) -> None:
    p = np.array(p)
    exact = inclusion_without_replacement(p, 2)
    assert exact.sum() == pytest.approx(2.0)
    rng = np.random.default_rng(3)
    n = 20_000
    counts = np.zeros(len(p))
    first = np.zeros(len(p))
    for _ in range(n):
        drawn = gumbel_top_k(np.log(p), 2, rng)
        counts[drawn] += 1
        first[drawn[0]] += 1
    assert_within(counts / n, exact, n)
    # ... and the first draw is a plain draw from p (the order is the order of drawing)
    assert_within(first / n, p, n)


def test_corrected_prior_equals_its_formula_on_a_hand_example() -> None:
    # Two sampled actions: pi = (0.4, 0.1), beta = (0.5, 0.2), each drawn once of K = 2.
    # (beta_hat / beta) * pi = (0.5 / 0.5 * 0.4, 0.5 / 0.2 * 0.1) = (0.4, 0.25) -> / 0.65
    got = corrected_prior(np.array([0.4, 0.1]), np.array([0.5, 0.2]), np.array([0.5, 0.5]))
    np.testing.assert_allclose(got, [0.4 / 0.65, 0.25 / 0.65])
    # with replacement: drawn 3 and 1 times of K = 4
    got = corrected_prior(np.array([0.4, 0.1]), np.array([0.5, 0.2]), np.array([0.75, 0.25]))
    w = np.array([0.75 / 0.5 * 0.4, 0.25 / 0.2 * 0.1])
    np.testing.assert_allclose(got, w / w.sum())


def test_sampling_without_replacement_from_the_prior_gives_a_uniform_corrected_prior() -> None:
    pi = np.array([0.4, 0.2, 0.15, 0.1, 0.1, 0.05])
    s = sample_actions(pi, 3, np.random.default_rng(4))
    assert len(s.indices) == 3
    np.testing.assert_allclose(s.beta_hat, 1 / 3)
    np.testing.assert_allclose(s.beta, pi[s.indices])
    np.testing.assert_allclose(s.prior, 1 / 3)  # beta = pi: the correction cancels the prior


def test_sampled_prior_follows_the_formula_with_a_tempered_proposal() -> None:
    pi = np.array([0.4, 0.2, 0.15, 0.1, 0.1, 0.05])
    beta = proposal(pi, 0.5)
    np.testing.assert_allclose(beta, pi**2 / (pi**2).sum())
    for replacement in (False, True):
        s = sample_actions(pi, 4, np.random.default_rng(5), temperature=0.5, replacement=replacement)
        np.testing.assert_allclose(s.beta, beta[s.indices])
        expected = s.beta_hat / beta[s.indices] * pi[s.indices]
        np.testing.assert_allclose(s.prior, expected / expected.sum())
        assert s.prior.sum() == pytest.approx(1.0)


def test_sampling_with_replacement_uses_draw_counts_as_beta_hat() -> None:
    pi = np.array([0.6, 0.2, 0.1, 0.05, 0.05])
    s = sample_actions(pi, 4, np.random.default_rng(6), replacement=True)
    assert s.beta_hat.sum() == pytest.approx(1.0)
    assert np.all(np.isclose(s.beta_hat * 4, np.round(s.beta_hat * 4)))  # counts / K
    np.testing.assert_allclose(s.prior, s.beta_hat)  # beta = pi: the corrected prior is beta_hat


def test_small_action_sets_keep_every_action_with_the_plain_prior() -> None:
    pi = np.array([0.5, 0.25, 0.25])
    for k in (3, 5, None):
        s = sample_actions(pi, k, np.random.default_rng(7))
        assert s.indices.tolist() == [0, 1, 2] and s.beta is None
        np.testing.assert_allclose(s.prior, pi)
    # at most K actions with positive prior: all of them, then zero-prior ones up to K
    s = sample_actions(np.array([0.5, 0.0, 0.5, 0.0, 0.0]), 3, np.random.default_rng(7))
    assert s.indices.tolist() == [0, 2, 1] and s.beta is None
    np.testing.assert_allclose(s.prior, [0.5, 0.5, 0.0])


def test_dirichlet_noise_mixes_the_given_fraction() -> None:
    prior = np.array([0.7, 0.2, 0.1])
    noisy = dirichlet_noise(prior, 0.3, 0.25, np.random.default_rng(8))
    assert noisy.sum() == pytest.approx(1.0)
    assert np.all(noisy >= 0.75 * prior - 1e-12)
    assert not np.allclose(noisy, prior)
    np.testing.assert_array_equal(dirichlet_noise(prior, 0.3, 0.0, np.random.default_rng(8)), prior)
