"""End to end on the real UCI Adult data in ../shared/datasets (never copied into the repository)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import raudit
from tests.conftest import ROOT, SHARED

ADULT = SHARED / "adult.csv"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not ADULT.exists(), reason="../shared/datasets/adult.csv not present")]


@pytest.fixture(scope="module")
def adult_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("adult")
    subprocess.run([sys.executable, str(ROOT / "examples" / "train_model.py"), "--data", str(ADULT), "--target", "income",
                    "--exclude", "sex,race,fnlwgt", "--out", str(out)], check=True, capture_output=True)
    return out


def test_adult_report_shows_sex_and_race_disparities_mitigation_and_proxies(adult_model):
    report = raudit.audit(adult_model / "model.joblib", adult_model / "audit.csv", target="income",
                          sensitive=["sex", "race"], checks=["performance", "fairness"],
                          config={"check": {"fairness": {}}})
    assert report["performance"].metrics["roc_auc"] > 0.85
    fair = report["fairness"]
    groupings = fair.details["groupings"]
    assert {"sex", "race", "sex × race"} <= set(groupings)
    female = next(g for g in groupings["sex"]["groups"] if g["group"] == "Female")
    lo, hi = female["selection_rate_ci"]
    assert lo < female["selection_rate"] < hi
    sex_sel = next(d for d in fair.details["disparities"] if d["grouping"] == "sex" and d["metric"] == "selection_rate")
    # the well-known Adult gap: women are predicted >50K far less often than men
    assert sex_sel["value"] < 0.5 and sex_sel["p_holm"] < 1e-6 and sex_sel["status"] == "fail"
    assert any(f.message.startswith("[sex] Female receives the favourable outcome") for f in fair.findings)
    assert {m["grouping"] for m in fair.details["mitigation"]} == {"sex", "race"}
    assert fair.details["proxies"]["sex"][0]["column"] in ("relationship", "marital-status")
    html = report.render("html").decode()
    assert "Mitigation estimate" in html and "Proxy candidates" in html and "95 % CI" in html
