"""Which actions a node searches: Gumbel-top-k sampling and Sampled MuZero's prior correction.

A DouDizhu node can have thousands of legal moves; PUCT over all of them
would spend every simulation visiting each once. Sampled MuZero (Hubert et
al. 2021) searches only ``K`` actions drawn from a proposal ``beta`` and runs
PUCT with the *corrected prior*

    P(a) = (beta_hat(a) / beta(a)) * pi(a)   normalised over the sampled actions,

where ``pi`` is the evaluator's prior and ``beta_hat`` the empirical
distribution of the sample (draw counts / K). The correction makes the
search's improved policy, in expectation over the sample, the one a search
over every action would target.

What this module uses, exactly:

- The proposal is ``beta = pi ** (1 / temperature)``, normalised
  (``temperature`` 1: ``beta = pi``).
- Without replacement (the default, ``gumbel_top_k``): the K actions of
  largest ``log beta(a) + g(a)``, ``g`` i.i.d. standard Gumbel noise, i.e.
  sequential draws without replacement from ``beta`` (Kool et al. 2019); with
  K = 1 this is the Gumbel-max trick, a plain draw from ``beta``. Every
  sampled action is drawn once, so ``beta_hat(a) = 1 / K`` and the corrected
  prior is ``pi(a) / beta(a)`` normalised over the sample: uniform over the
  sample when ``beta = pi``.
- With replacement (``replacement=True``, Sampled MuZero's own scheme): K
  i.i.d. draws from ``beta``; ``beta_hat(a) = n(a) / K`` for the ``n(a)``
  draws of ``a``, so frequent actions keep a larger prior.
- With at most K legal actions (``k`` None means no limit) every action is
  kept with prior ``pi``: nothing is sampled, so nothing is corrected.
  Actions with ``pi(a) = 0`` are never sampled; when at most K actions have
  positive prior, all of them are kept with prior ``pi``, and zero-prior
  actions fill the node up to K (a node always holds ``min(K, legal)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def proposal(prior: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """``beta`` proportional to ``prior ** (1 / temperature)``; zeros stay zero."""
    if temperature <= 0:
        raise ValueError(f"proposal: temperature must be positive, got {temperature}")
    prior = np.asarray(prior, dtype=float)
    positive = prior > 0
    logits = np.full(prior.shape, -np.inf)
    logits[positive] = np.log(prior[positive]) / temperature
    logits -= logits[positive].max()
    beta = np.exp(logits)
    return beta / beta.sum()


def gumbel_top_k(log_weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``k`` distinct items drawn without replacement with probabilities
    proportional to ``exp(log_weights)``, in the order they were drawn.

    ``-inf`` weights are never drawn; fewer than ``k`` come back when fewer are
    finite."""
    log_weights = np.asarray(log_weights, dtype=float)
    keys = log_weights + rng.gumbel(size=log_weights.shape)
    finite = int(np.isfinite(log_weights).sum())
    k = min(k, finite)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-keys, k - 1)[:k] if k < keys.size else np.arange(keys.size)
    return top[np.argsort(-keys[top], kind="stable")]


def corrected_prior(prior: np.ndarray, beta: np.ndarray, beta_hat: np.ndarray) -> np.ndarray:
    """Sampled MuZero's ``(beta_hat / beta) * pi``, normalised, over the sampled actions
    (arrays aligned on those actions; every ``beta`` positive)."""
    weights = np.asarray(beta_hat, dtype=float) / np.asarray(beta, dtype=float) * np.asarray(prior, dtype=float)
    total = weights.sum()
    if total <= 0:  # every sampled action has pi = 0: fall back on the empirical distribution
        weights, total = np.asarray(beta_hat, dtype=float), float(np.sum(beta_hat))
    return weights / total


@dataclass(frozen=True)
class SampledActions:
    """The actions a node keeps (``indices`` into the legal actions) and their
    priors for PUCT; ``beta`` and ``beta_hat`` are ``None`` when nothing was sampled."""

    indices: np.ndarray
    prior: np.ndarray
    beta: np.ndarray | None = None
    beta_hat: np.ndarray | None = None


def sample_actions(
    prior: np.ndarray,
    k: int | None,
    rng: np.random.Generator,
    temperature: float = 1.0,
    replacement: bool = False,
) -> SampledActions:
    """Keep every action when there are at most ``k`` (or ``k`` is None), or ``k`` of
    them when at most ``k`` have positive prior; otherwise sample K from ``beta`` and
    correct the prior (module docstring)."""
    prior = np.asarray(prior, dtype=float)
    total = prior.sum()
    pi = prior / total if total > 0 else np.full(prior.shape, 1.0 / max(prior.size, 1))
    if k is None or pi.size <= k:
        return SampledActions(indices=np.arange(pi.size), prior=pi)
    beta = proposal(pi, temperature)
    support = np.flatnonzero(beta > 0)
    if support.size <= k:
        fill = np.flatnonzero(beta <= 0)[:k - support.size]
        keep = np.concatenate([support, fill])
        return SampledActions(indices=keep, prior=pi[keep] / pi[keep].sum())
    if replacement:
        draws = rng.choice(pi.size, size=k, p=beta)
        indices, counts = np.unique(draws, return_counts=True)
        order = np.argsort(-counts, kind="stable")
        indices, counts = indices[order], counts[order]
        beta_hat = counts / k
    else:
        with np.errstate(divide="ignore"):
            indices = gumbel_top_k(np.log(beta), k, rng)
        beta_hat = np.full(indices.size, 1.0 / indices.size)
    b = beta[indices]
    return SampledActions(indices=indices, prior=corrected_prior(pi[indices], b, beta_hat), beta=b, beta_hat=beta_hat)


def dirichlet_noise(prior: np.ndarray, alpha: float, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """AlphaZero's root exploration: ``(1 - fraction) * prior + fraction * Dir(alpha)``."""
    prior = np.asarray(prior, dtype=float)
    if fraction <= 0 or prior.size == 0:
        return prior
    noise = rng.dirichlet(np.full(prior.size, alpha))
    return (1.0 - fraction) * prior + fraction * noise
