"""Paired statistics against published values, statsmodels and scipy (raudit/stats/paired.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from raudit.stats.paired import EXACT_BELOW, bootstrap_p, bootstrap_weights, delong, mcnemar

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def asah() -> pd.DataFrame:
    """pROC's aSAH data: 113 patients after aneurysmal subarachnoid haemorrhage (Turck et al. 2010,
    Intensive Care Medicine 36(1):107-115), the example data of pROC (Robin et al. 2011, BMC Bioinformatics
    12:77). Read from pROC's data/aSAH.RData (github.com/xrobin/pROC) and written unchanged as CSV:
    outcome, wfns (the WFNS grade 1-5), s100b and ndka."""
    return pd.read_csv(DATA / "asah.csv")


# pROC's own test suite, tests/testthat/test-roc.test.R ("roc.test statistic and p are as expected with
# defaults"), on r.X <- roc(aSAH$outcome, aSAH$X): t1 = roc.test(r.wfns, r.s100b), t2 = roc.test(r.wfns, r.ndka),
# t3 = roc.test(r.ndka, r.s100b); DeLong's test, two-sided, 95 % interval of AUC(first) - AUC(second).
PROC = [
    ("s100b", "wfns", 2.20898359144091, 0.0271757822291882, 0.0104061769564846, 0.174214419249478),
    ("ndka", "wfns", 2.79777591868904, 0.00514557970691098, 0.0634011709339876, 0.3600405634833566),
    ("s100b", "ndka", -1.39077002573558, 0.164295175223054, -0.2876917446341914, 0.0488706064228094),
]


@pytest.mark.parametrize("a,b,z,p,lo,hi", PROC, ids=[f"{a}-vs-{b}" for a, b, *_ in PROC])
def test_delong_matches_proc_roc_test_on_asah(asah, a, b, z, p, lo, hi):
    y = (asah.outcome == "Poor").to_numpy(int)  # pROC: controls "Good", cases "Poor", direction "<"
    r = delong(y, asah[a].to_numpy(float), asah[b].to_numpy(float))
    assert r.z == pytest.approx(z, abs=1e-6)
    assert r.pvalue == pytest.approx(p, abs=1e-6)
    assert (r.low, r.high) == pytest.approx((lo, hi), abs=1e-6)


def test_delong_aucs_match_proc_and_sklearn(asah):
    from sklearn.metrics import roc_auc_score

    y = (asah.outcome == "Poor").to_numpy(int)
    r = delong(y, asah.s100b.to_numpy(float), asah.wfns.to_numpy(float))
    # pROC's documented print(roc.test(roc1, roc2)) on the same data: AUC of roc1 0.7313686, roc2 0.8236789
    assert (r.auc_a, r.auc_b) == pytest.approx((0.7313686, 0.8236789), abs=1e-7)
    assert r.auc_a == pytest.approx(roc_auc_score(y, asah.s100b), abs=1e-12)


def test_delong_identical_curves_z_0_p_1(asah):
    y = (asah.outcome == "Poor").to_numpy(int)
    r = delong(y, asah.wfns.to_numpy(float), asah.wfns.to_numpy(float))
    assert (r.z, r.pvalue, r.delta) == (0.0, 1.0, 0.0)


def test_delong_variance_against_the_quadratic_definition():
    """The fast mid-rank form equals DeLong's O(m·n) definition with the kernel psi (ties 1/2)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    a = np.round(rng.normal(size=60) + y, 1)  # rounding makes ties
    b = np.round(rng.normal(size=60) + 0.5 * y, 1)

    def components(s):
        pos, neg = s[y == 1], s[y == 0]
        psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
        return psi.mean(), psi.mean(axis=1), psi.mean(axis=0)

    (ta, va10, va01), (tb, vb10, vb01) = components(a), components(b)
    m, n = (y == 1).sum(), (y == 0).sum()
    s10, s01 = np.cov([va10, vb10]), np.cov([va01, vb01])
    s = s10 / m + s01 / n
    z = (tb - ta) / np.sqrt(s[0, 0] + s[1, 1] - 2 * s[0, 1])
    r = delong(y, a, b)
    assert (r.auc_a, r.auc_b) == pytest.approx((ta, tb), abs=1e-12)
    assert r.z == pytest.approx(z, abs=1e-9)
    assert r.pvalue == pytest.approx(2 * stats.norm.sf(abs(z)), abs=1e-9)


CASES = [(0, 0), (3, 0), (10, 2), (12, 12), (EXACT_BELOW - 1, 0), (13, 12), (30, 12), (100, 80), (400, 455)]


@pytest.mark.parametrize("b,c", CASES)
def test_mcnemar_matches_statsmodels_and_scipy(b, c):
    from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

    r = mcnemar(b, c)
    exact = b + c < EXACT_BELOW
    ref = sm_mcnemar([[71, b], [c, 29]], exact=exact, correction=True)  # concordant cells do not matter
    assert r.pvalue == pytest.approx(ref.pvalue, abs=1e-6)
    if b + c:
        assert r.statistic == pytest.approx(ref.statistic, abs=1e-6)
        assert r.method == ("exact binomial" if exact else "chi-square, continuity-corrected")
        scipy_p = (stats.binomtest(min(b, c), b + c, 0.5).pvalue if exact
                   else stats.chi2.sf((abs(b - c) - 1) ** 2 / (b + c), 1))
        assert r.pvalue == pytest.approx(scipy_p, abs=1e-6)
    else:
        assert r.pvalue == 1.0


def test_mcnemar_exact_threshold_is_where_it_switches():
    assert mcnemar(EXACT_BELOW - 1, 0).method == "exact binomial"
    assert mcnemar(EXACT_BELOW, 0).method.startswith("chi-square")


def test_bootstrap_weights_resample_rows_and_respect_strata():
    rng = np.random.default_rng(1)
    strata = np.array([0] * 7 + [1] * 3)
    for w in bootstrap_weights(10, 20, rng, strata=strata):
        assert w.sum() == 10 and w[:7].sum() == 7 and w[7:].sum() == 3
    a = [w.copy() for w in bootstrap_weights(10, 3, np.random.default_rng(5))]
    b = [w.copy() for w in bootstrap_weights(10, 3, np.random.default_rng(5))]
    assert all((x == y).all() for x, y in zip(a, b)), "seeded: same draws"


def test_bootstrap_p():
    assert bootstrap_p(np.zeros(50)) == 1.0
    assert bootstrap_p(np.full(999, 0.3)) == pytest.approx(2 / 1000)
    assert np.isnan(bootstrap_p(np.array([np.nan])))
