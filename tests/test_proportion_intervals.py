"""The ratio and the difference of two proportions with their intervals equal statsmodels' (and Newcombe's worked example)."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.proportion import confint_proportions_2indep

from raudit.stats.inference import difference_interval, normal_quantile, risk_ratio


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(20, 100, 10, 100), (3, 40, 17, 250), (150, 900, 149, 1100), (1, 7, 5, 9)])
@pytest.mark.parametrize("level", [0.95, 0.99])
def test_risk_ratio_is_katz_as_statsmodels(k1, n1, k2, n2, level):
    table = Table2x2(np.array([[k1, n1 - k1], [k2, n2 - k2]]))
    ratio, lo, hi = risk_ratio(k1, n1, k2, n2, level=level)
    assert ratio == pytest.approx(table.riskratio)
    assert (lo, hi) == pytest.approx(table.riskratio_confint(alpha=1 - level))


def test_a_zero_count_gets_haldanes_correction_and_no_events_no_ratio():
    ratio, lo, hi = risk_ratio(20, 300, 0, 300)
    table = Table2x2(np.array([[20.5, 280.5], [0.5, 300.5]]))  # 0.5 added to every cell: sizes + 1
    assert ratio == pytest.approx(table.riskratio) and (lo, hi) == pytest.approx(table.riskratio_confint())
    assert lo > 1  # 20 flips against none: the ratio is finite and its interval says "more"
    assert all(np.isnan(risk_ratio(0, 300, 0, 300)))


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(56, 70, 48, 80), (9, 10, 3, 10), (0, 50, 2, 60), (600, 600, 590, 600)])
@pytest.mark.parametrize("level", [0.95, 0.995])
def test_difference_interval_is_newcombes_as_statsmodels(k1, n1, k2, n2, level):
    d, lo, hi = difference_interval(k1, n1, k2, n2, level=level)
    assert d == pytest.approx(k1 / n1 - k2 / n2)
    assert (lo, hi) == pytest.approx(confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", alpha=1 - level))


def test_newcombes_worked_example_and_the_normal_quantile():
    d, lo, hi = difference_interval(56, 70, 48, 80)  # Newcombe (1998), Statistics in Medicine 17, Table II, method 10
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)
    assert normal_quantile(0.95) == pytest.approx(1.959963984540054)
    assert normal_quantile(0.99) == pytest.approx(2.5758293035489)
