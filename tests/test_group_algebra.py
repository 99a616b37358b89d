"""The toolkit's per-group summaries for multiclass and regression models (issue 25): exact merges, identities with the
binary counts, and intervals that cover."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from raudit.stats.disparity import bounded_group_loss, compare_groups, compare_outcomes, compare_regression
from raudit.stats.groups import GroupConfusion, GroupCounts, GroupErrors, class_outcomes
from raudit.stats.sketch import ks_interval


def _rows(n=2000, k=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]), rng.integers(0, k, n), rng.integers(0, k, n)


def test_a_view_of_the_confusion_matrices_equals_the_binary_counts_of_that_view():
    groups, y, p = _rows()
    cm = GroupConfusion.from_arrays(groups, y, p, 4)
    for members in ((0,), (2, 3), (1, 2, 3)):
        side = np.isin(np.arange(4), members)
        direct = GroupCounts.from_arrays(groups, side[y].astype(int), side[p].astype(int))
        assert cm.outcome(members).groups == direct.groups
        np.testing.assert_array_equal(cm.outcome(members).cells, direct.cells)


def test_confusion_matrices_merge_to_the_whole_and_count_moves_along_an_order():
    groups, y, p = _rows()
    whole = GroupConfusion.from_arrays(groups, y, p, 4)
    parts = [GroupConfusion.from_arrays(groups[s], y[s], p[s], 4) for s in np.array_split(np.arange(len(y)), 5)]
    parts[1] = GroupConfusion.from_arrays(groups[:0], y[:0], p[:0], 4)  # an empty chunk
    merged = parts[0]
    for part in parts[1:]:
        merged = merged + part
    missing = np.concatenate([s for i, s in enumerate(np.array_split(np.arange(len(y)), 5)) if i != 1])
    np.testing.assert_array_equal(merged.matrix, GroupConfusion.from_arrays(groups[missing], y[missing], p[missing], 4).matrix)
    order = [2, 0, 3, 1]  # class 2 is the lowest level, class 1 the highest
    rank = np.argsort(order)
    down, up = whole.moves(order)
    for i, g in enumerate(whole.groups):
        rows = groups == g
        assert down[i] == int((rank[p[rows]] < rank[y[rows]]).sum()) and up[i] == int((rank[p[rows]] > rank[y[rows]]).sum())


def test_group_errors_merge_exactly_and_their_moments_equal_numpy():
    rng = np.random.default_rng(1)
    groups = rng.choice(["x", "y"], 3000)
    y = rng.lognormal(3, 1, 3000)
    p = y * rng.normal(1, 0.2, 3000)
    whole = GroupErrors.from_arrays(groups, y, p)
    chunks = [GroupErrors.from_arrays(groups[s], y[s], p[s]) for s in np.array_split(rng.permutation(3000), 7)]
    merged = chunks[0]
    for c in chunks[1:]:
        merged = merged + c
    assert merged.sums == whole.sums and merged.predictions == whole.predictions and (merged.n == whole.n).all()
    for i, g in enumerate(whole.groups):
        rows = groups == g
        e = y[rows] - p[rows]
        assert whole.mean("abs_error")[i] == pytest.approx(np.abs(e).mean(), rel=1e-13)
        assert whole.covariance("prediction", "target", "cross")[i] == pytest.approx(np.cov(p[rows], y[rows])[0, 1], rel=1e-9)
        assert whole.covariance("abs_error", "abs_error", "sq_error")[i] == pytest.approx(np.var(np.abs(e), ddof=1), rel=1e-9)


def test_one_view_is_compare_groups_and_several_are_one_family():
    groups, y, p = _rows(3000, k=3)
    cm = GroupConfusion.from_arrays(groups, y, p, 3)
    thresholds = {"selection_rate": 0.8, "tpr": 0.1, "fpr": 0.1, "ppv": 0.1}
    one = compare_outcomes([cm.outcome((0,))], 0, None, thresholds, alpha=0.05, min_group_size=30)[0]
    assert one == compare_groups(cm.outcome((0,)), 0, None, thresholds, alpha=0.05, min_group_size=30)
    views = compare_outcomes([cm.outcome((c,)) for c in range(3)], 0, None, thresholds, alpha=0.05, min_group_size=30)
    alone = [compare_groups(cm.outcome((c,)), 0, None, thresholds, alpha=0.05, min_group_size=30) for c in range(3)]
    for joint, single in zip(views, alone):
        for a, b in zip(joint, single):
            assert (a.metric, a.group, a.value) == (b.metric, b.group, b.value)
            assert a.level >= b.level and a.ci[0] <= b.ci[0] and a.ci[1] >= b.ci[1]  # a family of 6 is judged more strictly
    with pytest.raises(ValueError, match="one grouping"):
        compare_outcomes([cm.outcome((0,)), GroupCounts(("a",), np.ones((1, 4), dtype=np.int64))], 0, None, thresholds,
                         alpha=0.05, min_group_size=30)


def test_class_outcomes_of_each_kind_of_task():
    assert [(o.key, o.members, o.favourable_is_positive, o.judged) for o in class_outcomes([0, 1], binary=True, positive=1,
                                                                                          favourable=0)] == [("", (1,), False, True)]
    fav = class_outcomes(["a", "b", "c"], binary=False, favourable="b")
    assert [(o.key, o.judged) for o in fav] == [("", True), ("class a", False), ("class c", False)]
    plain = class_outcomes(["a", "b", "c"], binary=False)
    assert all(o.judged and o.favourable_is_positive is None for o in plain)


def test_ks_interval_covers_the_distance_at_least_at_its_level():
    rng = np.random.default_rng(2)
    true = stats.norm.cdf(0.25) - stats.norm.cdf(-0.25)  # sup |Φ(x) − Φ(x − 0.5)|, at x = 0.25
    hits = 0
    for _ in range(300):
        a, b = rng.normal(size=150), rng.normal(0.5, 1, size=250)
        ks = ks_2samp_statistic(a, b)
        lo, hi = ks_interval(ks, 150, 250, level=0.9)
        hits += lo <= true <= hi
    assert hits / 300 >= 0.9


def ks_2samp_statistic(a, b):
    return stats.ks_2samp(a, b).statistic


def test_regression_ratio_intervals_cover_at_about_their_level():
    rng = np.random.default_rng(3)

    def draw(n):
        y = rng.lognormal(3, 0.5, 2 * n)
        g = np.repeat(["ref", "other"], n)
        return g, y, y * np.where(g == "other", 0.9, 1.0) + rng.normal(0, np.where(g == "other", 6, 4))

    g, y, p = draw(200_000)  # the true ratios, from a large sample
    mae = {k: np.abs(y - p)[g == k].mean() for k in ("ref", "other")}
    truth = {"mae": mae["other"] / mae["ref"], "mean_ratio": 0.9}
    hits, reps = {"mae": 0, "mean_ratio": 0}, 200
    for _ in range(reps):
        ge = GroupErrors.from_arrays(*draw(600))
        for c in compare_regression(ge, ge.groups.index("ref"), {"mae": 0.8, "mean_ratio": 0.95}, favourable=None, alpha=0.05,
                                    min_group_size=30):
            if c.metric in hits:
                hits[c.metric] += c.ci[0] <= truth[c.metric] <= c.ci[1]
    assert hits["mean_ratio"] / reps >= 0.93 and hits["mae"] / reps >= 0.93, hits


def test_bounded_group_loss_test_equals_scipys_one_sample_t_test():
    rng = np.random.default_rng(4)
    g = rng.choice(["a", "b"], 500)
    y = rng.normal(10, 3, 500)
    p = y + rng.normal(0, np.where(g == "a", 1, 2))
    ge = GroupErrors.from_arrays(g, y, p)
    for c in bounded_group_loss(ge, 1.2, loss="absolute", alpha=0.05, min_group_size=30):
        e = np.abs(y - p)[g == ge.groups[c.group]]
        assert c.value == pytest.approx(e.mean()) and c.p == pytest.approx(stats.ttest_1samp(e, 1.2).pvalue, rel=1e-9)
    statuses = {ge.groups[c.group]: c.verdict.status for c in bounded_group_loss(ge, 1.2, loss="absolute", alpha=0.05,
                                                                                  min_group_size=30)}
    assert statuses == {"a": "pass", "b": "fail"}
