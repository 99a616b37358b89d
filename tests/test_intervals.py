"""The intervals every verdict rests on, each against an independent computation (statsmodels, scipy, a definition)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from raudit.stats.counts import ScoreCounts
from raudit.stats.inference import difference_interval, ratio_interval, threshold_pvalue
from raudit.stats.judgement import family_intervals, holm_levels
from raudit.stats.paired import paired_difference_interval
from raudit.stats.sketch import psi, psi_interval

CASES = [(300, 1000, 400, 1000), (12, 40, 30, 45), (5, 200, 9, 180), (150, 150, 140, 160)]


@pytest.mark.parametrize("k1,n1,k2,n2", CASES)
@pytest.mark.parametrize("level", [0.95, 0.99])
def test_ratio_interval_is_statsmodels_log(k1, n1, k2, n2, level):
    lo, hi = ratio_interval(k1, n1, k2, n2, level=level)
    assert (float(lo), float(hi)) == pytest.approx(
        confint_proportions_2indep(k1, n1, k2, n2, compare="ratio", method="log", alpha=1 - level), rel=1e-10)


def test_a_zero_count_ratio_uses_half_a_row_as_statsmodels_log_adjusted():
    lo, hi = ratio_interval(0, 50, 10, 60)
    assert (float(lo), float(hi)) == pytest.approx(confint_proportions_2indep(0, 50, 10, 60, compare="ratio",
                                                                              method="log-adjusted"), rel=1e-10)


@pytest.mark.parametrize("k1,n1,k2,n2", [*CASES, (0, 30, 3, 30)])
def test_difference_interval_is_statsmodels_newcombe(k1, n1, k2, n2):
    lo, hi = difference_interval(k1, n1, k2, n2, level=0.975)
    assert (float(lo), float(hi)) == pytest.approx(
        confint_proportions_2indep(k1, n1, k2, n2, compare="diff", method="newcomb", alpha=0.025), abs=1e-10)


@pytest.mark.parametrize("fn,value,threshold", [(ratio_interval, 0.75, 0.8), (ratio_interval, 0.75, 0.7),
                                                (difference_interval, -0.1, -0.05)])
def test_threshold_pvalue_is_the_level_where_the_interval_touches_the_threshold(fn, value, threshold):
    bounds = partial(fn, 300, 1000, 400, 1000)
    p = float(threshold_pvalue(bounds, np.array(value), threshold))
    lo, hi = (float(x) for x in bounds(level=1 - p))
    assert min(abs(lo - threshold), abs(hi - threshold)) < 1e-9
    lo, hi = (float(x) for x in bounds(level=1 - p * 1.01))  # a little narrower: excludes the threshold
    assert not lo <= threshold <= hi


def test_holm_levels_make_the_same_claims_as_holm_over_the_one_sided_hypotheses():
    """Each comparison can be claimed on either side of the threshold: 2m one-sided hypotheses, Holm over all of them."""
    rng = np.random.default_rng(0)
    for _ in range(25):  # statsmodels' multipletests takes about 0.1 s a call here
        m = int(rng.integers(1, 8))
        p_two = rng.uniform(0, 0.1, m) ** rng.uniform(0.5, 2)
        levels = holm_levels(p_two, 0.05)
        claimed = p_two <= 1 - levels  # the interval at its level excludes the threshold
        one_sided = np.concatenate([p_two / 2, 1 - p_two / 2])  # the estimate's side, then the other side
        holm = multipletests(one_sided, alpha=0.05, method="holm")[0][:m]
        assert (claimed == holm).all(), (p_two, levels)


def test_family_intervals_hold_jointly_and_decide_as_holm():
    k = np.array([120, 380, 250])
    levels, low, high, p = family_intervals(partial(ratio_interval, k, 1000, 400, 1000), k / 400, lower=0.8)
    assert levels.tolist() == pytest.approx(holm_levels(p, 0.05).tolist())
    assert (high < 0.8).tolist() == [True, False, True] and (low >= 0.8).tolist() == [False, True, False]


def test_delong_from_counts_is_the_placement_definition_and_the_auc_is_sklearns():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 1500)
    s = np.clip(rng.normal(0.5 + 0.15 * y, 0.2), 0, 1).round(2)  # ties, as binned scores have
    sc = ScoreCounts.of(s, y)
    assert sc.roc_auc() == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    pos, neg = s[y == 1], s[y == 0]
    v10 = np.array([(np.sum(neg < p) + 0.5 * np.sum(neg == p)) / len(neg) for p in pos])
    v01 = np.array([(np.sum(pos > q) + 0.5 * np.sum(pos == q)) / len(pos) for q in neg])
    assert sc.roc_auc_se() == pytest.approx(np.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)), rel=1e-9)


def test_average_precision_and_its_logit_interval():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 2000)
    s = rng.random(2000) * 0.6 + 0.4 * y
    sc = ScoreCounts.of(s, y)
    ap = sc.average_precision()
    assert ap == pytest.approx(average_precision_score(y, s), abs=1e-12)
    lo, hi = sc.average_precision_interval()
    eta, se = np.log(ap / (1 - ap)), 1 / np.sqrt(y.sum() * ap * (1 - ap))
    assert (lo, hi) == pytest.approx((1 / (1 + np.exp(-(eta - 1.959964 * se))), 1 / (1 + np.exp(-(eta + 1.959964 * se)))),
                                     rel=1e-6)


def test_bonett_price_paired_interval_covers_at_about_its_level():
    rng = np.random.default_rng(5)
    n, p_a, p_b = 300, 0.05, 0.02  # discordant-pair probabilities: few, where a Wald interval fails
    hits = 0
    for _ in range(2000):
        cells = rng.multinomial(n, [p_a, p_b, 1 - p_a - p_b])
        lo, hi = paired_difference_interval(int(cells[0]), int(cells[1]), n)
        hits += lo <= p_a - p_b <= hi
    assert 0.93 <= hits / 2000 <= 0.975


def test_psi_interval_of_two_samples_of_one_distribution_starts_at_zero_and_covers_a_real_shift():
    rng = np.random.default_rng(6)
    same = [psi_interval(rng.multinomial(3000, [0.1] * 10), rng.multinomial(3000, [0.1] * 10), rng)[0] for _ in range(40)]
    assert np.mean(np.array(same) == 0) >= 0.9, "no shift: the lower end is (almost always) 0, whatever the upward bias"
    p, q = np.full(10, 0.1), np.array([0.05] * 5 + [0.15] * 5)
    true = psi(p * 1e6, q * 1e6)
    hits = sum(lo <= true <= hi for lo, hi in (psi_interval(rng.multinomial(3000, p), rng.multinomial(3000, q), rng)
                                                for _ in range(60)))
    assert hits / 60 >= 0.85


def test_newcombes_worked_example():
    """Newcombe (1998), Statistics in Medicine 17, Table II, method 10: 56/70 vs 48/80 gives 0.0524 to 0.3339."""
    lo, hi = difference_interval(56, 70, 48, 80)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.0524, 0.3339)
