"""Counterfactual fairness: identity-term swaps, their statistics and verdicts (TF-IDF text models, trained in a second)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import raudit
from raudit import ConfigError
from raudit.checks._swaps import BUILTIN, case_like, majority_side, swap_text
from tests.text_models import make_texts, train_tfidf

ONLY = ["performance", "counterfactual"]


@pytest.fixture(scope="module")
def texts():
    return {"train_fair": make_texts(800, seed=1), "train_biased": make_texts(800, seed=1, bias=0.6),
            "test": make_texts(600, seed=2)}


@pytest.fixture(scope="module")
def fair(texts):
    return train_tfidf(texts["train_fair"])


@pytest.fixture(scope="module")
def biased(texts):
    return train_tfidf(texts["train_biased"])


def _audit(model, data, **options):
    return raudit.audit(model, data, target="escalated", sensitive=["sex"], checks=ONLY,
                        config={"text_column": "note", "check": {"counterfactual": options}})


def test_a_model_trained_to_penalise_she_fails(biased, texts):
    result = _audit(biased, texts["test"])["counterfactual"]
    assert result.status == "fail"
    swaps = {(s["list"], s["swap"]): s for s in result.details["swaps"]}
    to_female = swaps[("gender", "masculine → feminine")]
    assert to_female["status"] == "fail" and to_female["mean_score_change"] < -0.05
    assert to_female["flips_to_negative"] > 0 and to_female["flips_to_positive"] == 0
    assert swaps[("gender", "feminine → masculine")]["mean_score_change"] > 0.05
    assert swaps[("gender", "he → she")]["status"] == "fail"
    assert any(f.status == "fail" and "masculine → feminine" in f.message for f in result.findings)


def test_a_model_that_was_not_passes(fair, texts):
    result = _audit(fair, texts["test"], flip_rate_max=0.05)["counterfactual"]
    assert result.status == "pass", [f.message for f in result.findings]
    judged = [s for s in result.details["swaps"] if s["status"] != "skipped"]
    assert judged and all(abs(s["mean_score_change"]) <= 0.02 for s in judged)
    # at the default 2 %, no flip in 307 texts cannot rule out 2 % at the joint level: the honest verdict is inconclusive
    strict = _audit(fair, texts["test"])["counterfactual"]
    assert strict.status == "inconclusive" and {f.status for f in strict.findings} <= {"pass", "inconclusive", "skipped"}
    assert any("straddles the threshold 0.02" in f.message for f in strict.findings if f.status == "inconclusive")


def test_numbers_match_an_independent_computation(biased, texts):
    data = texts["test"]
    result = _audit(biased, data, per_term=True)["counterfactual"]
    he_she = next(s for s in result.details["swaps"] if s["swap"] == "he → she")
    hit = data["note"].str.contains(r"\bhe\b", case=False, regex=True)
    original = data.loc[hit, "note"]
    rewritten = original.str.replace(r"\bHe\b", "She", regex=True).str.replace(r"\bhe\b", "she", regex=True)
    p0 = biased.predict_proba(original)[:, 1]
    p1 = biased.predict_proba(rewritten)[:, 1]
    flips = int(((p0 >= 0.5) != (p1 >= 0.5)).sum())
    assert he_she["texts"] == int(hit.sum()) and he_she["flips"] == flips
    assert he_she["mean_score_change"] == pytest.approx(float((p1 - p0).mean()), abs=1e-12)
    judged = sum(s["status"] != "skipped" for s in result.details["swaps"])
    level = 1 - 0.05 / (2 * judged)  # the judged swaps' two intervals each hold jointly at 95 % (Bonferroni)
    assert he_she["ci_level"] == pytest.approx(level)
    lo, hi = stats.binomtest(flips, int(hit.sum())).proportion_ci(level, method="wilson")
    assert he_she["flip_ci"] == pytest.approx([float(lo), float(hi)])
    half = stats.t.ppf(1 - (1 - level) / 2, len(p0) - 1) * np.std(p1 - p0, ddof=1) / np.sqrt(len(p0))
    assert he_she["score_change_ci"][1] - he_she["score_change_ci"][0] == pytest.approx(2 * half)


def test_swaps_are_whole_words_and_keep_case():
    assert swap_text("He met HIS sister; the shepherd's hat.", BUILTIN["gender"].both()) == \
        ("She met HER brother; the shepherd's hat.", 3)
    assert swap_text("Emily and Greg", BUILTIN["names_race"].both())[0] == "Aisha and Tyrone"
    assert swap_text("Emily and Greg", BUILTIN["names_sex"].both())[0] == "Neil and Sarah"
    assert case_like("Mr", "ms") == "Ms" and case_like("MR", "ms") == "MS"
    assert swap_text("Mr Lee, Ms Lee and Mrs Lee", BUILTIN["gender"].both()) == ("Ms Lee, Mr Lee and Mr Lee", 3)
    names = {t for key in ("names_sex", "names_race") for pair in BUILTIN[key].pairs for t in pair}
    assert len(names) == 36  # Bertrand & Mullainathan (2004), Table 8: 9 names × 2 sexes × 2 racial associations
    assert majority_side("She told him", BUILTIN["gender"]) == 1  # tie: the first term's side
    assert majority_side("she and her husband", BUILTIN["gender"]) == 1


def test_custom_list_is_used_both_ways(fair, texts):
    data = texts["test"].copy()
    data["note"] = data["note"].str.replace("applied", "applied at church", n=1)
    result = _audit(fair, data, lists=[], custom=["church=mosque"])["counterfactual"]
    labels = {s["swap"] for s in result.details["swaps"]}
    assert "church → mosque" in labels and result.details["sources"] == {"custom": "the user's list in [check.counterfactual].custom"}


@pytest.mark.parametrize("options,message", [
    ({"lists": ["genders"]}, "unknown swap list(s) ['genders']"),
    ({"custom": ["church"]}, "must be \"term=counterpart\""),
    ({"custom": ["a=b", "b=c"]}, "'b' appears twice"),
    ({"flip_rate_max": 2}, "flip_rate_max must be ≥ 0 and ≤ 1"),
])
def test_bad_options_are_config_errors(fair, texts, options, message):
    with pytest.raises(ConfigError) as info:
        _audit(fair, texts["test"], **options)
    assert message in str(info.value)


def test_small_swaps_are_reported_not_judged(biased, texts):
    result = _audit(biased, texts["test"].iloc[:40], min_texts=30)["counterfactual"]
    statuses = {s["swap"]: s["status"] for s in result.details["swaps"]}
    assert statuses["masculine → feminine"] == "skipped"


def test_skipped_without_a_text_column(binary_model, credit):
    report = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["counterfactual"])
    assert report["counterfactual"].status == "skipped" and "--text-column" in report["counterfactual"].summary
