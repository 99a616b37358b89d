"""The separation statistics of membership attacks equal scikit-learn's, scipy's, or their definitions computed the slow way."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score, roc_curve

from raudit.stats.inference import clopper_pearson
from raudit.stats.roc import Operating, Separation, epsilon_lower_bound


@pytest.fixture(scope="module")
def tied():
    """Scores with many ties (rounded), positives shifted up a little."""
    rng = np.random.default_rng(5)
    return np.round(rng.normal(0.3, 1, 700), 1), np.round(rng.normal(0, 1, 900), 1)


def test_auc_roc_and_advantage_equal_sklearn(tied):
    pos, neg = tied
    y, s = np.r_[np.ones(len(pos)), np.zeros(len(neg))], np.r_[pos, neg]
    sep = Separation.of(pos, neg)
    assert sep.auc() == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    ours = sep.roc()
    np.testing.assert_allclose(ours[0], fpr)
    np.testing.assert_allclose(ours[1], tpr)
    np.testing.assert_allclose(ours[2][1:], thr[1:])
    assert sep.advantage() == pytest.approx(max(0.0, float(np.max(tpr - fpr))), abs=1e-12)


@pytest.mark.parametrize("target", [0.0, 0.001, 0.01, 0.05, 0.5])
def test_tpr_at_fpr_is_the_best_threshold_within_the_target(tied, target):
    pos, neg = tied
    op = Separation.of(pos, neg).at_fpr(target)
    # by brute force over every candidate threshold: predict positive when score >= t
    best = max(((pos >= t).sum(), -(neg >= t).sum()) for t in np.r_[np.inf, np.unique(np.r_[pos, neg])]
               if (neg >= t).mean() <= target)
    assert (op.tp, -op.fp) == best
    assert op.tpr == op.tp / len(pos) and op.fpr <= target


def test_delong_variance_equals_its_definition():
    rng = np.random.default_rng(2)
    pos, neg = np.round(rng.normal(0.5, 1, 60), 1), np.round(rng.normal(0, 1, 45), 1)
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])  # O(m n) placement values
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    expected = v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)
    assert Separation.of(pos, neg).delong_variance() == pytest.approx(expected, rel=1e-12)


def test_bootstrap_is_seeded_and_centred(tied):
    pos, neg = tied
    sep = Separation.of(pos, neg)
    a1, d1 = sep.bootstrap(np.random.default_rng(0), 300)
    a2, d2 = sep.bootstrap(np.random.default_rng(0), 300)
    assert np.array_equal(a1, a2) and np.array_equal(d1, d2)
    assert abs(np.mean(a1) - sep.auc()) < 0.01  # resamples scatter around the estimate
    # the bootstrap standard error agrees with DeLong's within 20 % (two estimates of one thing)
    assert np.std(a1) == pytest.approx(math.sqrt(sep.delong_variance()), rel=0.2)


@pytest.mark.parametrize(("k", "n", "level"), [(0, 300, 0.95), (3, 300, 0.95), (7, 300, 0.99), (150, 300, 0.9), (300, 300, 0.95),
                                               (1, 2, 0.999)])
def test_clopper_pearson_equals_scipy_binomtest(k, n, level):
    lo, hi = clopper_pearson(k, n, level=level)
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    assert float(lo) == pytest.approx(ci.low, abs=1e-12) and float(hi) == pytest.approx(ci.high, abs=1e-12)


def test_epsilon_lower_bound_by_hand():
    op = Operating(0.5, tp=400, fp=10, positives=1000, negatives=1000)
    tpr_lo = binomtest(400, 1000).proportion_ci(0.95, method="exact").low
    fpr_hi = binomtest(10, 1000).proportion_ci(0.95, method="exact").high
    assert epsilon_lower_bound(op, delta=1e-5) == pytest.approx(math.log((tpr_lo - 1e-5) / fpr_hi))
    # an attack no better than chance bounds nothing
    assert epsilon_lower_bound(Operating(0.5, tp=10, fp=10, positives=1000, negatives=1000)) == 0.0
