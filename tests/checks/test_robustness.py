"""Robustness: planted truths (a hard threshold, an ignored column, a model fragile for one group, a constant model), every
rate recomputed here from the perturbed rows with the model itself, the Giskard-setting joint noise, text rewrites."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

import raudit
from raudit import ConfigError
from raudit.api.plugins import discover
from raudit.api.prepare import configured, prepare
from raudit.api.runner import plan_checks
from raudit.checks._text_noise import rewrite
from raudit.checks.robustness import RobustnessCheck, RobustnessOptions

from ..conftest import FEATURES

SEED = 0


class Scored(ClassifierMixin, BaseEstimator):
    """A fitted binary classifier whose positive-class probability is ``score(X)``; counts its calls."""

    def __init__(self, score=None, features=("x",)):
        self.score, self.features = score, features

    def fit(self, X=None, y=None):
        self.classes_ = np.array([0, 1])
        self.feature_names_in_ = np.array(list(self.features), dtype=object)
        self.calls_ = 0
        return self

    def predict_proba(self, X):
        self.calls_ += 1
        p = np.clip(np.asarray(self.score(X[list(self.features)]), dtype=float), 0, 1)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


def _threshold(X):
    return np.where(X["x"] > 50, 0.9, 0.1)  # a hard threshold at x = 50; z and c are ignored


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(7)
    n = 800
    data = pd.DataFrame({"x": rng.uniform(0, 100, n).round(3), "z": rng.normal(10, 3, n).round(3),
                         "k": rng.integers(0, 20, n), "c": rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2]),
                         "g": rng.choice(["F", "M"], n)})
    data["y"] = (data.x > 50).astype(int)
    return data


def _run(model, data, *, sensitive=("g",), target="y", text_column=None, **options):
    """The check's analysis (every per-row array), its result and the audit's context, as an audit prepares them."""
    config = {"check": {"robustness": options}, **({"text_column": text_column} if text_column else {})}
    cfg = configured(config, target=target, sensitive=list(sensitive), checks=["robustness"])
    planned = plan_checks(discover(), cfg)
    ctx = prepare(model, data, cfg, planned=planned).ctx
    check, opts = planned[0].check, planned[0].options
    assert isinstance(check, RobustnessCheck) and isinstance(opts, RobustnessOptions)
    analysis = check.analyse(ctx, opts)
    return analysis, check.present(analysis, opts), ctx


def _column(result, name):
    return next(c for c in result.details["columns"] if c["column"] == name)


def _flips(model, frame, moved):
    before = model.predict_proba(frame)[:, 1] > 0.5
    return (model.predict_proba(moved)[:, 1] > 0.5) != before


def test_a_hard_threshold_flips_exactly_where_the_bisection_says(planted):
    model = Scored(_threshold, ("x", "z", "k", "c")).fit()
    a, result, ctx = _run(model, planted)
    x = next(c for c in a.numeric if c.name == "x").flips
    rows = planted.iloc[np.searchsorted(ctx.sample.positions, a.positions)]
    gap = np.abs(rows.x.to_numpy() - 50)  # the boundary, seen from each row
    tol = 0.001 * x.plan.spread
    reachable = np.isfinite(x.distance)
    assert reachable.all()  # 50 lies inside every row's observed range
    assert np.all(x.distance >= gap - 1e-9) and np.all(x.distance <= gap + tol + 1e-9)
    assert np.array_equal(x.direction, np.where(rows.x.to_numpy() > 50, -1, 1))
    for ignored in ("z", "k"):
        column = _column(result, ignored)
        assert all(s["flips"] == 0 for s in column["steps"]) and column["flips_in_range"]["flips"] == 0
        assert np.isinf(next(c for c in a.numeric if c.name == ignored).flips.distance).all()
    swaps = next(c for c in result.details["categories"] if c["column"] == "c")
    assert swaps["swap"]["flips"] == 0 and swaps["some_category_flips"]["flips"] == 0


@pytest.mark.parametrize("max_rows", [1000, 200])
def test_every_step_rate_equals_a_recomputation_from_the_perturbed_rows(planted, max_rows):
    """Range and spread come from the whole data, also when only some of its rows are perturbed."""
    model = Scored(_threshold, ("x", "z", "k", "c")).fit()
    a, result, ctx = _run(model, planted, max_rows=max_rows)
    assert len(a.positions) == min(max_rows, len(planted))
    frame = planted.iloc[np.searchsorted(ctx.sample.positions, a.positions)].reset_index(drop=True)[["x", "z", "k", "c"]]
    lo, hi = planted.x.min(), planted.x.max()
    q1, q3 = np.quantile(planted.x, [0.25, 0.75])
    for step in _column(result, "x")["steps"]:
        move = step["size"] * (np.abs(frame.x) if step["kind"] == "relative" else q3 - q1)
        up, down = frame.assign(x=np.clip(frame.x + move, lo, hi)), frame.assign(x=np.clip(frame.x - move, lo, hi))
        flipped = _flips(model, frame, up) | _flips(model, frame, down)
        moved = int(((up.x != frame.x) | (down.x != frame.x)).sum())  # the rate counts the rows whose value moved
        assert step["flips"] == int(flipped.sum()) and step["rows"] == step["moved"] == moved, step["step"]
        assert step["flips_up"] == int(_flips(model, frame, up).sum())
        from raudit.stats.inference import wilson_interval

        assert step["ci"] == pytest.approx([float(v) for v in wilson_interval(int(flipped.sum()), moved)])
    # the integer column: whole numbers stay whole, so ±1 % of values under 50 rounds back to themselves
    k = _column(result, "k")
    one = next(s for s in k["steps"] if s["step"] == "±1 %")
    assert k["kind"] == "integer" and one["moved"] == 0 and one["status"] == "skipped"  # nothing moved: not judged
    assert result.details["family"] == sum(s.get("status") is not None and s["moved"] > 0
                                           for c in result.details["columns"] for s in c["steps"])


def test_shares_within_a_move_count_rows_by_their_distance_to_the_boundary(planted):
    model = Scored(_threshold, ("x", "z", "k", "c")).fit()
    a, result, ctx = _run(model, planted)
    x = planted.x.to_numpy()[np.searchsorted(ctx.sample.positions, a.positions)]
    within = _column(result, "x")["within"]
    assert within["within 1 %"]["flips"] == int((np.abs(x - 50) <= 0.01 * x).sum())
    assert within["within 5 %"]["flips"] == int((np.abs(x - 50) <= 0.05 * x).sum())
    iqr = np.subtract(*np.quantile(planted.x, [0.75, 0.25]))
    assert within["within 0.1 IQR"]["flips"] == int((np.abs(x - 50) <= 0.1 * iqr).sum())  # 1 %, 5 %, 0.1 IQR are tried moves
    assert _column(result, "x")["median_move"] == pytest.approx(np.median(np.abs(x - 50)), abs=0.001 * iqr + 1e-9)


def _fragile(X):
    steep = 0.5 + 0.45 * np.sin(np.pi * X["x"].to_numpy())  # flips every unit of x: decisions hang on noise
    calm = 1 / (1 + np.exp(-(X["x"].to_numpy() - 100) / 5))
    return np.where(X["g"].to_numpy() == "B", steep, calm)


@pytest.fixture(scope="module")
def two_groups():
    rng = np.random.default_rng(11)
    n = 1200
    data = pd.DataFrame({"x": rng.uniform(50, 150, n).round(4), "g": np.repeat(["A", "B"], n // 2)})
    data["y"] = rng.integers(0, 2, n)
    return data


def test_a_model_fragile_for_one_group_names_that_group(two_groups):
    model = Scored(_fragile, ("x", "g")).fit()
    a, result, _ = _run(model, two_groups)
    rows = {g["group"]: g for g in result.details["groups"]}
    assert rows["A"]["is_reference"]  # a tie in size: the first group
    assert rows["B"]["status"] == "fail" and rows["B"]["ratio"] > 1.25 and rows["B"]["p_holm"] < 0.05
    assert result.metrics["groups_failed"] == 1 and result.status == "fail"
    assert any(f.status == "fail" and "Decisions for B flip" in f.message for f in result.findings)
    assert _column(result, "x")["status"] == "fail"  # half the rows flip at ±1 %: the column fails too
    assert "g" in {c for c, _ in a.not_perturbed}  # the sensitive input itself is never perturbed
    # the same model seen from B: A is not less robust than B
    _, flipped, _ = _run(model, two_groups, reference={"g": "B"})
    assert {g["group"]: g["status"] for g in flipped.details["groups"]}["A"] == "pass"


def test_group_rates_under_giskard_noise_equal_an_independent_recomputation(two_groups):
    model = Scored(_fragile, ("x", "g")).fit()
    a, result, ctx = _run(model, two_groups, reference={"g": "A"})
    n = len(two_groups)
    order = np.random.default_rng([SEED, *b"robustness"]).permutation(n)  # the documented draw of the rows
    frame = two_groups.iloc[order].reset_index(drop=True)
    sign = np.random.default_rng([SEED, *b"robustness/joint/multiply/0.01"]).choice([-1.0, 1.0], size=(n, 1))[:, 0]
    moved = frame.assign(x=np.clip(frame.x * (1 + 0.01 * sign), two_groups.x.min(), two_groups.x.max()))
    flipped = _flips(model, frame, moved)
    changed = (moved.x != frame.x).to_numpy()  # a value at the end of the range may be clipped back: not changed
    rows = {g["group"]: g for g in result.details["groups"]}
    counts = {}
    for group in ("A", "B"):
        mine = (frame.g == group).to_numpy() & changed
        counts[group] = int(flipped[mine].sum()), int(mine.sum())
        assert (rows[group]["flips"], rows[group]["rows"]) == counts[group]
    assert rows["B"]["status"] == "fail" and rows["A"]["is_reference"]
    from raudit.checks.robustness import _ratio
    from raudit.stats.inference import difference_interval

    (kb, nb), (ka, na) = counts["B"], counts["A"]
    assert rows["B"]["ratio"] == pytest.approx(_ratio(kb, nb, ka, na, 0.95)[0])
    assert rows["B"]["ratio_ci"] == pytest.approx(list(_ratio(kb, nb, ka, na, 0.95)[1:]))  # one comparison: 95 %
    assert difference_interval(kb, nb, ka, na)[0] > 0.02


def test_a_constant_model_passes(two_groups):
    model = Scored(lambda X: np.full(len(X), 0.7), ("x", "g")).fit()
    _, result, _ = _run(model, two_groups)
    assert result.status == "pass", [f.message for f in result.findings if f.status != "pass"]
    assert result.metrics["columns_failed"] == result.metrics["groups_failed"] == 0
    assert all(s["flips"] == 0 for c in result.details["columns"] for s in c["steps"])
    assert all(p["flips"] == 0 for p in result.details["perturbations"])


def test_joint_noise_at_giskard_settings_equals_an_independent_recomputation(binary_model, credit):
    """The example's logistic pipeline: ×(1 ± 0.01) and + N(0, 0.01) on every numeric input, same rows, same seed."""
    _, result, ctx = _run(binary_model, credit, sensitive=("sex", "age"), target="approved")
    n = len(credit)
    frame = credit.iloc[np.random.default_rng([SEED, *b"robustness"]).permutation(n)].reset_index(drop=True)[FEATURES]
    numbers = [c for c in FEATURES if c != "age" and pd.api.types.is_numeric_dtype(credit[c])]  # age is sensitive
    assert numbers == ["income", "debt_to_income", "previous_defaults"]
    x = frame[numbers].to_numpy(dtype=float)
    draws = {"×(1 ± 0.01) on every number": x * (1 + 0.01 * np.random.default_rng(
                 [SEED, *b"robustness/joint/multiply/0.01"]).choice([-1.0, 1.0], size=x.shape)),
             "+ N(0, 0.01) on every number": x + 0.01 * np.random.default_rng(
                 [SEED, *b"robustness/joint/gaussian/0.01"]).normal(0.0, 1.0, size=x.shape)}
    found = {p["perturbation"]: p for p in result.details["perturbations"]}
    for label, noisy in draws.items():
        noisy = np.clip(noisy, credit[numbers].min().to_numpy(), credit[numbers].max().to_numpy())
        noisy[:, 2] = np.rint(noisy[:, 2])  # previous_defaults holds whole numbers
        moved = frame.assign(**{c: noisy[:, j] if c != "previous_defaults" else noisy[:, j].astype(int)
                                for j, c in enumerate(numbers)})
        flipped = _flips(binary_model, frame, moved)
        changed = (noisy != x).any(axis=1)  # the rate counts the rows the noise changed
        assert found[label]["flips"] == int(flipped.sum()) and found[label]["rows"] == int(changed.sum()), label
    assert result.metrics["joint_flip_rate"] == found["×(1 ± 0.01) on every number"]["rate"]


def test_category_swaps_equal_a_recomputation_from_the_documented_draw(planted):
    model = Scored(lambda X: np.where(X["c"] == "C", 0.8, 0.2), ("x", "c")).fit()
    a, result, ctx = _run(model, planted)
    frame = planted.iloc[np.searchsorted(ctx.sample.positions, a.positions)].reset_index(drop=True)
    swaps = next(c for c in result.details["categories"] if c["column"] == "c")
    counts = planted.c.value_counts()
    tried = list(counts.index)  # most frequent first
    assert swaps["tried"] == tried
    assert swaps["some_category_flips"]["flips"] == len(frame)  # C rows flip to anything else; the others to C
    weights = np.array([(frame.c != t).to_numpy() * counts[t] / counts.sum() for t in tried]).T
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    drawn = np.minimum((np.random.default_rng([SEED, *b"robustness/categories"]).random(len(frame))[:, None]
                        >= cumulative).sum(axis=1), len(tried) - 1)
    flips = ((frame.c == "C").to_numpy()) != (np.array(tried)[drawn] == "C")
    assert swaps["swap"]["flips"] == int(flips.sum())
    assert not (np.array(tried)[drawn] == frame.c.to_numpy()).any()  # a swap never draws the row's own category


def test_missing_values_are_tried_where_the_column_has_them(planted):
    data = planted.copy()
    data.loc[data.index[:40], "z"] = np.nan
    model = Scored(lambda X: np.where(X["z"].isna(), 0.9, np.where(X["x"] > 50, 0.6, 0.4)), ("x", "z")).fit()
    a, result, ctx = _run(model, data)
    frame = data.iloc[np.searchsorted(ctx.sample.positions, a.positions)]
    gone = next(p for p in result.details["perturbations"] if p["perturbation"] == "z → missing")
    present = frame.z.notna()
    assert gone["rows"] == int(present.sum()) and gone["flips"] == int((frame.x[present] <= 50).sum())


def test_batching_changes_the_calls_not_the_numbers(planted):
    model = Scored(_threshold, ("x", "z", "k", "c")).fit()
    _, big, _ = _run(model, planted)
    _, small, _ = _run(model, planted, batch_rows=500)
    assert small.metrics["model_calls"] > big.metrics["model_calls"]
    assert small.metrics["rows_predicted"] == big.metrics["rows_predicted"]
    strip = lambda d: {k: v for k, v in d.items() if k != "model_calls"}  # noqa: E731
    assert strip(small.details) == strip(big.details)
    assert big.metrics["model_calls"] < 30  # all perturbed copies of a stage in one call


def test_the_same_seed_gives_the_same_report_and_another_seed_other_noise(binary_model, credit):
    first = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["robustness"])
    again = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["robustness"])
    other = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["robustness"], seed=1)
    assert first["robustness"].details == again["robustness"].details
    assert first["robustness"].details["perturbations"] != other["robustness"].details["perturbations"]


def test_text_rewrites_flip_rates_equal_a_recomputation():
    from tests.text_models import make_texts, train_tfidf

    model = train_tfidf(make_texts(800, seed=1))
    data = make_texts(300, seed=2)
    a, result, ctx = _run(model, data, target="escalated", sensitive=("sex",), text_column="note", max_rows=300)
    texts = data.note.iloc[np.searchsorted(ctx.sample.positions, a.positions)].tolist()
    before = model.predict(pd.Series(texts))
    found = {p["perturbation"]: p for p in result.details["perturbations"]}
    assert set(found) == {"typo", "case", "punctuation", "whitespace"}
    for how in found:
        rng = np.random.default_rng([SEED, *f"robustness/text/{how}".encode()])
        after = model.predict(pd.Series([rewrite(t, how, rng, typo_rate=0.1) for t in texts]))
        assert found[how]["flips"] == int((after != before).sum()), how
    assert found["case"]["flips"] == 0  # TF-IDF lower-cases: case cannot matter
    assert {g["perturbation"] for g in result.details["groups"]} == {"typo"}


def test_rewrites_keep_the_words_a_reader_sees():
    rng = np.random.default_rng(3)
    text = "She applied online and has no missed payments; her file also shows steady savings."
    assert rewrite(text, "punctuation", rng) == "She applied online and has no missed payments her file also shows steady savings"
    assert rewrite(text, "case", np.random.default_rng(0)).lower() == text.lower()
    spaced = rewrite(text, "whitespace", rng)
    assert " ".join(spaced.split()) == text and "  " in spaced
    typo = rewrite(text, "typo", rng, typo_rate=0.0)  # one word at least
    changed = [(a, b) for a, b in zip(text.split(), typo.split()) if a != b]
    assert len(typo.split()) == len(text.split()) and len(changed) == 1
    a, b = changed[0]
    assert a[0] == b[0] and abs(len(a) - len(b)) <= 1 and sorted(a.rstrip(";.")) != [] and (
        sorted(a) == sorted(b) or len(a) != len(b))


def test_bad_options_stop_the_audit_before_anything_is_predicted(planted):
    model = Scored(_threshold, ("x", "z", "k", "c")).fit()
    with pytest.raises(ConfigError, match="exclude names \\['nope'\\]"):
        raudit.audit(model, planted, target="y", sensitive=["g"], checks=["robustness"],
                     config={"check": {"robustness": {"exclude": ["nope"]}}})
    with pytest.raises(ConfigError, match="not a sensitive feature or intersection"):
        raudit.audit(model, planted, target="y", sensitive=["g"], checks=["robustness"],
                     config={"check": {"robustness": {"reference": {"sex": "F"}}}})
    with pytest.raises(ConfigError, match="are both empty"):
        raudit.audit(model, planted, target="y", sensitive=["g"], checks=["robustness"],
                     config={"check": {"robustness": {"relative_steps": [], "spread_steps": []}}})
    assert model.calls_ == 0


def test_a_flip_rate_near_the_threshold_is_inconclusive_and_says_how_many_rows_would_decide():
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"x": rng.uniform(40, 60, 1000).round(4), "g": rng.choice(["F", "M"], 1000)})
    data["y"] = (data.x > 50).astype(int)
    model = Scored(lambda X: np.where(X["x"] > 50, 0.9, 0.1), ("x",)).fit()
    _, result, _ = _run(model, data, relative_steps=[0.01], spread_steps=[0.001])  # ±1 % flips rows within about 0.5 of 50
    step = next(s for s in _column(result, "x")["steps"] if s["step"] == "±1 %")
    lo, hi = step["judged_ci"]
    assert lo < 0.05 < hi and step["status"] == "inconclusive" and step["rows_to_decide"] > 1000
    assert _column(result, "x")["status"] == "inconclusive"
    assert any(f.status == "inconclusive" and "x at ±1 %" in f.message and "rows would decide" in f.message for f in result.findings)
    assert result.metrics["columns_inconclusive"] == 1


def test_the_model_is_called_with_thread_pools_pinned(planted):
    from threadpoolctl import threadpool_info, threadpool_limits

    seen = []

    def score(X):
        seen.append(max((p["num_threads"] for p in threadpool_info()), default=0))
        return _threshold(X)

    model = Scored(score, ("x", "z", "k", "c")).fit()
    cfg = configured(None, target="y", sensitive=["g"], checks=["robustness"])
    planned = plan_checks(discover(), cfg)
    with threadpool_limits(limits=2):  # what an unpinned process would have on two cores
        ctx = prepare(model, planted, cfg, planned=planned).ctx  # the audit's own pass predicts once, unpinned
        assert max(seen) == 2
        seen.clear()
        planned[0].check.analyse(ctx, planned[0].options)
    assert seen and max(seen) == 1


def test_whole_numbers_flip_at_whole_distances(planted):
    model = Scored(lambda X: np.where(X["k"] > 9.5, 0.8, 0.2), ("k", "x")).fit()
    a, result, ctx = _run(model, planted)
    k = planted.k.to_numpy()[np.searchsorted(ctx.sample.positions, a.positions)]
    found = next(c for c in a.numeric if c.name == "k").flips
    assert np.array_equal(found.distance, np.where(k > 9.5, k - 9, 10 - k))  # the nearest whole number across 9.5


def test_the_fifteen_most_frequent_categories_are_tried_and_small_groups_not_judged():
    rng = np.random.default_rng(2)
    n = 1300
    data = pd.DataFrame({"x": rng.uniform(0, 1, n), "city": [f"c{i:02d}" for i in rng.zipf(1.6, n) % 20],
                         "g": np.repeat(["A", "B", "C"], [600, 600, 100])[rng.permutation(n)]})
    data.loc[data.index[:40], "g"] = "D"  # 40 rows: shown, not judged
    data["y"] = rng.integers(0, 2, n)
    model = Scored(lambda X: np.where(X["x"] > 0.5, 0.7, 0.3), ("x", "city")).fit()
    _, result, _ = _run(model, data)
    swaps = next(c for c in result.details["categories"] if c["column"] == "city")
    assert swaps["tried"] == [str(c) for c in data.city.value_counts().index[:15]]
    groups = {g["group"]: g for g in result.details["groups"]}
    assert groups["D"]["rows"] == 40 and groups["D"]["status"] == "skipped" and "too small" in groups["D"]["reason"]


@pytest.mark.parametrize(("p", "z"), [(0.0, 2.77), (0.03, 2.9), (0.08, 2.9), (0.049, 1.96)])
def test_rows_to_decide_are_the_fewest_that_put_the_wilson_interval_on_one_side(p, z):
    from raudit.checks.robustness import _wilson_rows
    from raudit.stats.inference import wilson_interval

    n = _wilson_rows(p, z, 0.05)
    side = (lambda lo, hi: hi < 0.05) if p < 0.05 else (lambda lo, hi: lo > 0.05)
    assert side(*wilson_interval(p * n, n, z=z)) and not side(*wilson_interval(p * (n - 1), n - 1, z=z))


def test_excluded_columns_are_never_perturbed(planted):
    model = Scored(_threshold, ("x", "z", "k", "c")).fit()
    a, result, _ = _run(model, planted, exclude=["z", "c"])
    assert {c["column"] for c in result.details["columns"]} == {"x", "k"} and not result.details["categories"]
    assert ("z", "excluded by [check.robustness].exclude") in a.not_perturbed


def test_multiclass_scores_the_class_first_predicted_and_regression_is_not_judged(multiclass, regression):
    model, data = multiclass
    a, result, ctx = _run(model, data, target="grade", sensitive=("sex",))
    frame = data.iloc[np.searchsorted(ctx.sample.positions, a.positions)].reset_index(drop=True)[["x1", "x2"]]
    before = model.predict_proba(frame)
    step = next(s for s in _column(result, "x1")["steps"] if s["step"] == "±5 %")
    up, down = frame.assign(x1=np.clip(frame.x1 * 1.05, data.x1.min(), data.x1.max())), frame.assign(
        x1=np.clip(frame.x1 * 0.95, data.x1.min(), data.x1.max()))
    label = before.argmax(axis=1)
    flipped = (model.predict_proba(up).argmax(axis=1) != label) | (model.predict_proba(down).argmax(axis=1) != label)
    assert step["flips"] == int(flipped.sum())
    at = np.arange(len(frame))
    change = np.maximum(np.abs(model.predict_proba(up)[at, label] - before[at, label]),
                        np.abs(model.predict_proba(down)[at, label] - before[at, label]))
    assert step["mean_abs_score_change"] == pytest.approx(change[(up.x1 != frame.x1) | (down.x1 != frame.x1)].mean())
    assert result.details["score"] == "the probability of the class first predicted"
    reg_model, reg_data = regression
    report = raudit.audit(reg_model, reg_data, target="price", sensitive=["sex"], checks=["robustness"])
    assert report["robustness"].status == "skipped" and "classifiers only" in report["robustness"].summary


def test_a_model_without_probabilities_is_judged_on_its_decisions(planted):
    from sklearn.svm import LinearSVC

    features = ["x", "z"]
    model = LinearSVC().fit(planted[features], planted.y)
    a, result, ctx = _run(model, planted)
    frame = planted.iloc[np.searchsorted(ctx.sample.positions, a.positions)].reset_index(drop=True)[features]
    step = next(s for s in _column(result, "x")["steps"] if s["step"] == "±10 %")
    lo, hi = planted.x.min(), planted.x.max()
    before = model.predict(frame)
    flipped = ((model.predict(frame.assign(x=np.clip(frame.x * 1.1, lo, hi))) != before)
               | (model.predict(frame.assign(x=np.clip(frame.x * 0.9, lo, hi))) != before))
    assert step["flips"] == int(flipped.sum()) > 0 and step["mean_abs_score_change"] is None
    assert result.details["score"] == "no score (the model gives none)"
