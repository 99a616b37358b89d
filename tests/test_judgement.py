"""The one judgement rule: pass or fail only where the interval supports it; inconclusive where it straddles (stats.judgement)."""

from __future__ import annotations

import math

import pytest

from raudit.report.report import exit_code_for
from raudit.report.results import worst
from raudit.stats.judgement import family_level, judge, rows_to_decide


@pytest.mark.parametrize("low,high,expected", [
    (0.70, 0.79, "fail"),         # wholly below the threshold
    (0.70, 0.80, "inconclusive"),  # touches it: the threshold itself is acceptable, so it straddles
    (0.76, 0.84, "inconclusive"),
    (0.80, 0.90, "pass"),         # the lower end on the threshold: acceptable
    (0.81, 0.90, "pass"),
])
def test_each_boundary_of_a_harmful_below_threshold(low, high, expected):
    assert judge((low + high) / 2, low, high, harmful="below", fail=0.8).status == expected


@pytest.mark.parametrize("low,high,expected", [
    (0.11, 0.20, "fail"), (0.05, 0.11, "inconclusive"), (0.05, 0.10, "pass"), (0.01, 0.09, "pass"),
])
def test_each_boundary_of_a_harmful_above_threshold(low, high, expected):
    assert judge((low + high) / 2, low, high, harmful="above", fail=0.1).status == expected


def test_two_thresholds_report_the_most_severe_level_the_whole_interval_breaks():
    kw = {"harmful": "below", "warn": 0.7, "fail": 0.6}
    assert judge(0.55, 0.50, 0.59, **kw).status == "fail"
    warn = judge(0.62, 0.58, 0.66, **kw)  # wholly below warn, straddles fail
    assert warn.status == "warn" and "straddles the fail threshold 0.6" in warn.reason
    assert judge(0.66, 0.61, 0.69, **kw).status == "warn"
    assert judge(0.72, 0.68, 0.76, **kw).status == "inconclusive"
    assert judge(0.80, 0.75, 0.85, **kw).status == "pass"


def test_the_example_sex_ratio_is_inconclusive_and_says_how_many_rows_would_decide():
    """Issue 21's case: 0.801 (95 % CI 0.76–0.84) against the four-fifths line is neither a pass nor a fail."""
    v = judge(0.801, 0.76, 0.84, harmful="below", fail=0.8, n=6000, what="the selection-rate ratio")
    assert v.status == "inconclusive" and "straddles the threshold 0.8" in v.reason
    assert v.rows_to_decide == math.ceil(6000 * (0.041 / 0.001) ** 2)  # the reach towards the threshold: 0.801 − 0.76
    assert judge(0.787, 0.74, 0.83, harmful="below", fail=0.8).status == "inconclusive"  # the challenger: the same verdict


def test_rows_to_decide_is_none_on_the_threshold_and_grows_as_one_over_the_squared_distance():
    assert rows_to_decide(0.8, 0.7, 0.9, 0.8, 100) is None
    assert rows_to_decide(0.85, 0.75, 0.95, 0.8, 100) == 400
    assert rows_to_decide(float("nan"), 0.7, 0.9, 0.8, 100) is None


def test_a_missing_interval_is_not_judged_and_a_rule_needs_a_threshold():
    assert judge(0.8, float("nan"), 0.9, harmful="below", fail=0.7).status == "skipped"
    with pytest.raises(ValueError):
        judge(0.8, 0.7, 0.9, harmful="below")


def test_family_level_is_bonferroni():
    assert family_level(0.95, 1) == pytest.approx(0.95)
    assert family_level(0.95, 10) == pytest.approx(0.995)


def test_inconclusive_ranks_between_pass_and_warn_and_counts_as_the_policy_says():
    assert worst(["pass", "inconclusive"]) == "inconclusive" and worst(["inconclusive", "warn"]) == "warn"
    assert exit_code_for(["pass", "inconclusive"], "fail") == 0
    assert exit_code_for(["pass", "inconclusive"], "warn") == 1
    assert exit_code_for(["pass", "inconclusive"], "fail", "fail") == 1
    assert exit_code_for(["pass", "inconclusive"], "never", "fail") == 0
    assert exit_code_for(["warn", "inconclusive"], "fail", "fail") == 1, "an inconclusive check fails even beside a warning"
