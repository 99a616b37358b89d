"""Sketches and reference profiles: exact sums, stated error bounds, chunk merging bit for bit, no raw rows, the CLI."""

from __future__ import annotations

import hashlib
import json
import os
from fractions import Fraction

import jsonschema
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import raudit
from raudit.cli import main
from raudit.engine.profile import PROFILE_SCHEMA_VERSION, Profile, profile_frame, read_profile
from raudit.errors import InputError
from raudit.stats.exact import ExactSum
from raudit.stats.sketch import (
    CategoricalSketch,
    NumericSketch,
    SketchParams,
    bucket_bounds,
    bucket_keys,
    bucket_representatives,
)
from tests.conftest import FEATURES, ROOT

SCHEMA = json.loads((ROOT / "raudit" / "schema" / "profile.schema.json").read_text(encoding="utf-8"))
SENSITIVE = ["sex", "ethnicity", "age"]


def awkward_floats(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 1e6, n), rng.lognormal(0, 8, n) * rng.choice([-1, 1], n), rng.integers(-5, 5, n),
                        [5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
                         0.1, 0.2, -0.3, 0.0, -0.0]])
    return rng.permutation(x)


# -- exact sums ------------------------------------------------------------------------------------------
def test_exact_sums_equal_the_rational_sums_of_the_floats():
    x = awkward_floats(2000, 0)
    exact = sum(Fraction(v) for v in x.tolist())
    squares = sum(Fraction(v) ** 2 for v in x.tolist())
    assert ExactSum.of(x).fraction == exact
    assert ExactSum.of_squares(x).fraction == squares
    assert float(ExactSum.of(x)) == float(exact)  # correctly rounded


@pytest.mark.parametrize("chunk", [1, 7, 1000])
def test_exact_sums_are_the_same_whatever_the_chunking_and_order(chunk):
    x = awkward_floats(500, 1)
    whole, whole2 = ExactSum.of(x), ExactSum.of_squares(x)
    parts = [x[i:i + chunk] for i in range(0, len(x), chunk)]
    s, s2 = ExactSum(), ExactSum()
    for p in reversed(parts):
        s, s2 = s + ExactSum.of(p), s2 + ExactSum.of_squares(p)
    assert s == whole and s2 == whole2
    assert ExactSum.from_json(s.to_json()) == s


def test_mean_and_std_match_numpy():
    x = np.random.default_rng(2).normal(1e6, 3.0, 10_000)
    sk = NumericSketch.of(x)
    assert sk.mean == pytest.approx(np.mean(x), rel=1e-15)
    assert sk.std == pytest.approx(np.std(x), rel=1e-9)  # exact moments: no cancellation although mean ≫ std


# -- the bucket grid and the stated bounds -----------------------------------------------------------------
def test_every_value_lies_in_its_bucket_and_within_the_stated_relative_accuracy():
    x = awkward_floats(20_000, 3)
    x = x[(x != 0) & np.isfinite(x)]
    p = SketchParams()
    keys = bucket_keys(x, p.sub_buckets)
    lo, hi = bucket_bounds(keys, p.sub_buckets)
    normal = np.abs(x) >= np.finfo(float).tiny  # subnormal buckets are narrower than float spacing: bounds round
    assert np.all(np.where(x > 0, (lo <= x) & (x < hi), (lo < x) & (x <= hi))[normal])
    rep = bucket_representatives(keys, p.sub_buckets)
    assert np.max(np.abs(rep - x) / np.abs(x)) <= p.relative_accuracy == 1 / 257
    order = np.argsort(x, kind="stable")
    assert np.all(np.diff(keys[order]) >= 0), "bucket keys are ordered like the values"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quantiles_are_within_the_stated_relative_error(seed):
    rng = np.random.default_rng(seed)
    x = rng.lognormal(2, 1.5, 50_000) * rng.choice([-1, 1], 50_000, p=[0.2, 0.8])
    sk = NumericSketch.of(x)
    assert not sk.exact
    for q in (0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0):
        true = np.quantile(x, q, method="inverted_cdf")
        assert abs(sk.quantile(q) - true) <= abs(true) * sk.params.relative_accuracy, q


def test_exact_values_until_the_cap_then_buckets_and_min_max_become_bucket_bounds():
    p = SketchParams(max_distinct=10)
    small = NumericSketch.of([3, 1, 2, 2, np.nan, np.inf], p)
    assert small.exact and small.count == 4 and small.missing == 2 and (small.min, small.max) == (1.0, 3.0)
    assert small.quantile(0.5) == 2.0
    big = NumericSketch.of(np.arange(1, 12), p)
    assert not big.exact and big.min <= 1 and big.max >= 11 and big.min > 1 - 1 / 256 and big.max < 11 * (1 + 1 / 128)
    assert small + big == NumericSketch.of([3, 1, 2, 2, np.nan, np.inf, *range(1, 12)], p)


def test_categories_beyond_the_cap_keep_only_hash_bucket_counts():
    p = SketchParams(max_distinct=3)
    few = CategoricalSketch.of(["a", "b", None, "a"], p)
    assert few.counts == {"a": 2, "b": 1} and few.missing == 1
    many = CategoricalSketch.of(["a", "b", "c", "d"], p)
    assert many.counts is None and many.hashed is not None and many.hashed.sum() == 4 and len(many.hashed) == 64
    bucket = int.from_bytes(hashlib.sha256(b"c").digest()[:8], "big") % 64
    assert many.hashed[bucket] >= 1, "a category counts in the bucket of its sha256"
    merged = CategoricalSketch.of(["a", "b"], p) + CategoricalSketch.of(["c", "d"], p)
    assert merged == many, "the switch depends on the merged data only"


# -- profiles of chunks ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scored(binary_model, credit):
    data = credit.sort_values(["ethnicity", "sex"], kind="stable").reset_index(drop=True)  # chunks miss whole groups
    X = data[FEATURES]
    proba = binary_model.predict_proba(X)[:, 1]
    return data, binary_model.predict(X), proba


def _profile(data, y_pred, score, params, rows=slice(None)):
    return profile_frame(data.iloc[rows], inputs=FEATURES, sensitive=SENSITIVE, target="approved",
                         y=data["approved"].to_numpy()[rows], y_pred=y_pred[rows], y_score=score[rows], task="binary",
                         classes=[0, 1], positive_label=1, params=params)


@pytest.mark.parametrize("params", [SketchParams(), SketchParams(max_distinct=50)], ids=["default", "small-cap"])
@pytest.mark.parametrize("chunk", [97, 500, 1999])
def test_chunk_profiles_merge_to_the_whole_bit_for_bit(scored, params, chunk):
    data, y_pred, score = scored
    whole = _profile(data, y_pred, score, params)
    parts = [_profile(data, y_pred, score, params, slice(i, i + chunk)) for i in range(0, len(data), chunk)]
    assert any(set(p.groups["ethnicity"].groups) != set(whole.groups["ethnicity"].groups) for p in parts), \
        "some chunk lacks a group"
    forward, backward = parts[0], parts[-1]
    for p in parts[1:]:
        forward = forward + p
    for p in reversed(parts[:-1]):
        backward = p + backward
    assert forward.to_json() == whole.to_json() == backward.to_json()
    if params.max_distinct == 50 and chunk == 97:  # age: 58 distinct values in all, fewer in a chunk
        assert not whole.column("age").sketch.exact and any(p.column("age").sketch.exact for p in parts)
        assert all(g.startswith("b") or g == "missing" for g in whole.groups["age"].groups)


def test_profile_json_round_trips_and_follows_its_schema(scored):
    data, y_pred, score = scored
    p = _profile(data, y_pred, score, SketchParams())
    raw = json.loads(p.to_json())
    jsonschema.validate(raw, SCHEMA)
    assert raw["schema_version"] == PROFILE_SCHEMA_VERSION and raw["format"] == "raudit.profile"
    assert Profile.from_dict(raw) == p
    assert "no row of the data" in raw["privacy"]


def test_a_profile_holds_no_value_of_a_high_cardinality_column(tmp_path):
    rng = np.random.default_rng(5)
    n = 1500
    tokens = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), 12)) for _ in range(n)]
    account = rng.integers(100_000_000, 999_999_999, n)
    just_over_cap = [f"cust-{rng.integers(10**8, 10**9)}" for _ in range(300)]  # 300 distinct > the cap of 256
    data = pd.DataFrame({"customer_ref": tokens, "account_no": account, "segment": rng.choice(just_over_cap, n),
                         "colour": rng.choice(["red", "blue"], n), "approved": rng.integers(0, 2, n)})
    path = tmp_path / "data.csv"
    data.to_csv(path, index=False)
    out = tmp_path / "p.json"
    res = CliRunner().invoke(main, ["profile", str(path), "--target", "approved", "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text()
    leaked = [v for v in [*tokens, *map(str, account), *just_over_cap] if v in text]
    assert not leaked, f"{len(leaked)} identifier values leaked, e.g. {leaked[:3]}"
    assert '"red"' in text and '"blue"' in text, "low-cardinality categories are kept"
    jsonschema.validate(json.loads(text), SCHEMA)


def test_a_column_under_the_cap_keeps_its_values_even_an_identifier(tmp_path):
    """The documented limit: a reference of at most 256 rows keeps a unique identifier's values."""
    data = pd.DataFrame({"account_no": np.arange(987_000_001, 987_000_101), "approved": [0, 1] * 50})
    p = profile_frame(data, inputs=["account_no"], target="approved")
    assert "987000050" in p.to_json()


# -- the CLI ---------------------------------------------------------------------------------------------
def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_cli_profile_writes_a_valid_profile_and_says_what_it_holds(files, tmp_path):
    out = tmp_path / "ref.profile.json"
    res = run("profile", files["data"], "--model", files["model"], "--target", "approved", "--sensitive", "sex,ethnicity",
              "-o", out)
    assert res.exit_code == 0, res.output
    assert f"Wrote {out}" in res.output and "no row of the data" in res.output
    p = read_profile(out)
    assert p.rows == 3000 and p.has_predictions and set(p.groups) == {"sex", "ethnicity"}
    assert p.label is not None and p.prediction is not None and p.score is not None and p.overall is not None
    assert p.label.counts == {"0": int((pd.read_csv(files["data"]).approved == 0).sum()),  # type: ignore[union-attr]
                              "1": int(pd.read_csv(files["data"]).approved.sum())}, "class balance"
    assert p.sources[0].name == "data.csv" and len(p.sources[0].sha256) == 64
    assert p.model is not None and p.model.name == "model.joblib" and p.model.model_class.endswith("Pipeline")
    assert p.model.sha256 == hashlib.sha256(files["model"].read_bytes()).hexdigest()
    assert p.sources[0].sha256 == hashlib.sha256(files["data"].read_bytes()).hexdigest()
    assert p.raudit_version == raudit.__version__
    assert [c.name for c in p.columns] == [*FEATURES, "sex", "ethnicity"]
    again = tmp_path / "again.json"
    run("profile", files["data"], "--model", files["model"], "--target", "approved", "--sensitive", "sex,ethnicity", "-o", again)
    assert again.read_bytes() == out.read_bytes(), "same inputs, same bytes (no timestamp)"
    res = run("profile", files["data"], "--model", files["model"], "--target", "approved", "--sensitive", "sex", "-o", "-")
    assert res.exit_code == 0 and json.loads(res.output)["rows"] == 3000


@pytest.mark.parametrize("args,message", [
    (["--target", "nope"], "target column 'nope' is not in the data"),
    (["--target", "approved", "--sensitive", "colour"], "not in the data"),
    (["--target", "approved", "--model", "missing.joblib"], "model file not found"),
])
def test_cli_profile_bad_input_exits_2_and_writes_nothing(files, tmp_path, args, message):
    out = tmp_path / "p.json"
    res = run("profile", files["data"], *args, "-o", out)
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_profile_of_a_missing_file_or_into_a_folder_exits_2(files, tmp_path):
    assert run("profile", tmp_path / "nope.csv", "--target", "approved", "-o", tmp_path / "p.json").exit_code == 2
    res = run("profile", files["data"], "--target", "approved", "-o", tmp_path)
    assert res.exit_code == 2 and "is a folder" in res.output


def test_cli_profile_write_is_atomic(files, tmp_path, monkeypatch):
    out = tmp_path / "ref.json"
    out.write_text("previous profile")

    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    res = CliRunner().invoke(main, ["profile", str(files["data"]), "--target", "approved", "-o", str(out)])
    assert res.exit_code != 0
    assert out.read_text() == "previous profile", "a failed write leaves the previous file untouched"
    assert [p.name for p in tmp_path.iterdir()] == ["ref.json"], "no temporary file is left behind"


@pytest.mark.parametrize("content,message", [
    ("not json", "not valid JSON"),
    ('{"format": "something else"}', "not a raudit profile"),
    ('{"format": "raudit.profile", "schema_version": "2.0"}', "schema_version '2.0' cannot be read"),
    ('{"format": "raudit.profile", "schema_version": "1.0"}', "malformed profile"),
])
def test_a_bad_reference_is_an_input_error_before_any_check_runs(files, tmp_path, content, message):
    bad = tmp_path / "ref.json"
    bad.write_text(content)
    with pytest.raises(InputError, match=message):
        read_profile(bad)
    res = run(files["model"], files["data"], "--target", "approved", "--reference", bad, "--out", tmp_path / "o")
    assert res.exit_code == 2 and message in res.output and not (tmp_path / "o").exists()


@pytest.mark.parametrize("path,value", [
    (("columns", 0, "sum"), "1p99999999999"),
    (("columns", 0, "values", "counts"), [10**30]),
    (("columns", 1, "categories"), ["not", "a", "table"]),
    (("groups", "sex", "cells"), [[1, 2, 3]]),
])
def test_a_tampered_profile_is_an_input_error_not_a_crash(scored, tmp_path, path, value):
    data, y_pred, score = scored
    raw = json.loads(_profile(data, y_pred, score, SketchParams()).to_json())
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    bad = tmp_path / "ref.json"
    bad.write_text(json.dumps(raw))
    with pytest.raises(InputError, match="reference profile"):
        read_profile(bad)


def test_help_lists_the_profile_command():
    res = run("--help")
    assert "raudit profile DATA" in res.output
