"""Every bad input exits 2 before any check runs, says what and how to fix it, and leaves the output folder as it was.

The cases come from fuzzing raudit with ordinary mistakes (issue 11); ``test_cli.py`` holds the older ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression

from raudit.cli import main

PREVIOUS = {"report.html": b"previous html", "report.pdf": b"previous pdf", "report.json": b"previous json"}


def _out(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    for name, data in PREVIOUS.items():
        (out / name).write_bytes(data)
    return out


def _unchanged(out: Path) -> bool:
    return {p.name: p.read_bytes() for p in out.iterdir()} == PREVIOUS


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, credit, files):
    d = tmp_path_factory.mktemp("bad2")
    frame = credit.copy()
    frame.columns = ["debt_to_income" if c == "income" else c for c in frame.columns]
    frame.to_csv(d / "duplicate.csv", index=False)
    (d / "semicolon.csv").write_text(credit.to_csv(index=False, sep=";"))
    credit.assign(applicant_id=[f"A{i:05d}" for i in range(len(credit))]).to_csv(d / "ids.csv", index=False)
    numpy_model = LogisticRegression(max_iter=300).fit(credit[["income", "debt_to_income"]].to_numpy(), credit.approved)
    joblib.dump(numpy_model, d / "numpy_model.joblib")
    (d / "tpl").mkdir()
    (d / "tpl" / "report.html.j2").write_text("{% if %}broken{% endif %}")
    (d / "seed.toml").write_text("seed = -1\n")
    (d / "nan_bins.toml").write_text("bins = { age = [18, nan, 60] }\n")
    (d / "max_groups.toml").write_text("max_groups = 1\n")
    return d


CASES = [
    ("duplicate_columns", "{model}", "{d}/duplicate.csv", [], "duplicate column names: 'debt_to_income'"),
    ("wrong_target_case", "{model}", "{data}", ["--target", "Approved"], "did you mean 'Approved' → 'approved'"),
    ("wrong_target_typo", "{model}", "{data}", ["--target", "aproved"], "did you mean 'aproved' → 'approved'"),
    ("id_as_sensitive", "{model}", "{d}/ids.csv", ["--sensitive", "applicant_id"], "has 3,000 distinct values"),
    ("numpy_model_without_features", "{d}/numpy_model.joblib", "{data}", [], "--features a,b,c"),
    ("numpy_model_wrong_feature_count", "{d}/numpy_model.joblib", "{data}", ["--features", "income"], "takes 2 inputs"),
    ("negative_seed", "{model}", "{data}", ["--seed", "-1"], "seed must be a whole number ≥ 0"),
    ("negative_seed_in_config", "{model}", "{data}", ["--config", "{d}/seed.toml"], "seed must be a whole number ≥ 0"),
    ("nan_in_bins", "{model}", "{data}", ["--config", "{d}/nan_bins.toml", "--sensitive", "sex,age"], "must be finite numbers"),
    ("max_groups_too_small", "{model}", "{data}", ["--config", "{d}/max_groups.toml"], "max_groups must be a whole number ≥ 2"),
    ("broken_template", "{model}", "{data}", ["--template-dir", "{d}/tpl"], "TemplateSyntaxError"),
    ("unknown_country", "{model}", "{data}", ["--country", "XXX", "--checks", "energy"], "unknown electricity grid country"),
    ("unknown_check_typo", "{model}", "{data}", ["--checks", "fairnes"], "did you mean 'fairness'"),
]


@pytest.mark.parametrize("case,model,data,extra,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_and_keeps_the_previous_report_set(inputs, files, tmp_path, case, model, data, extra, message):
    fill = {"d": inputs, "model": files["model"], "data": files["data"]}
    out = _out(tmp_path)
    args = [model.format(**fill), data.format(**fill), "--out", str(out), *[e.format(**fill) for e in extra]]
    if "--target" not in extra:
        args += ["--target", "approved"]
    if "--sensitive" not in extra:
        args += ["--sensitive", "sex"]
    if "--checks" not in extra:
        args += ["--checks", "performance,fairness"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    assert message in res.output, res.output
    assert "Traceback" not in res.output and "bug in raudit" not in res.output
    assert _unchanged(out), "the previous report set must stay exactly as it was"


def test_a_semicolon_csv_is_read_with_its_delimiter(inputs, files, tmp_path):
    res = CliRunner().invoke(main, [str(files["model"]), str(inputs / "semicolon.csv"), "--target", "approved", "--sensitive", "sex",
                                    "--checks", "performance", "--format", "json", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "report.json").read_text())["lineage"]["data_shape"]["columns"] == 16


def test_a_model_fitted_on_numpy_is_audited_on_the_named_columns(inputs, files, tmp_path, credit):
    res = CliRunner().invoke(main, [str(inputs / "numpy_model.joblib"), str(files["data"]), "--target", "approved",
                                    "--sensitive", "sex", "--features", "income,debt_to_income", "--checks", "performance",
                                    "--format", "json", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["lineage"]["model"]["features"] == ["income", "debt_to_income"]


def test_duplicate_columns_in_a_dataframe_are_refused(binary_model, credit):
    import raudit

    frame = pd.concat([credit, credit[["income"]]], axis=1)
    with pytest.raises(raudit.InputError, match="duplicate column names: 'income'"):
        raudit.audit(binary_model, frame, target="approved", sensitive=["sex"], checks=["performance"])


def test_recorded_decisions_are_compared_by_value_not_text(tmp_path, credit):
    """Aequitas' COMPAS file reads its decisions as float (0.0/1.0) and the label as int (0/1): a valid audit."""
    log = pd.DataFrame({"label": credit.approved.astype(int), "decision": credit.approved.astype(float).to_numpy()[::-1],
                        "sex": credit.sex})
    log.to_csv(tmp_path / "log.csv", index=False)
    res = CliRunner().invoke(main, ["--predictions", str(tmp_path / "log.csv"), "--y-pred", "decision", "--target", "label",
                                    "--sensitive", "sex", "--checks", "performance", "--format", "json", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output  # performance only: the reversed decisions are poor, not failing
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    expected = float((log.label.to_numpy() == log.decision.to_numpy()).mean())
    assert report["checks"][0]["metrics"]["accuracy"] == pytest.approx(expected)
    log.assign(decision=log.decision + 2).to_csv(tmp_path / "bad.csv", index=False)
    res = CliRunner().invoke(main, ["--predictions", str(tmp_path / "bad.csv"), "--y-pred", "decision", "--target", "label",
                                    "--sensitive", "sex", "--out", str(tmp_path / "b")])
    assert res.exit_code == 2 and "never has: [2.0, 3.0]" in res.output and "labels are [0, 1]" in res.output, res.output


def test_errors_raised_in_several_places_are_one_message(tmp_path):
    """A message raised from more than one place is a constant, so both places say the same and a test can match it."""
    import re

    import pandas as pd

    import raudit
    from raudit.engine.run import NO_ROWS
    from raudit.load.data import EMPTY_FILE, OTHER_COLUMNS, UNPARSABLE, load_data, open_source
    from raudit.report.renderers import UNKNOWN_FORMAT, renderer_for_suffix, renderers_for

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for read in (load_data, lambda p: open_source(p)):
        with pytest.raises(raudit.InputError, match=re.escape(EMPTY_FILE.format(path=empty))):
            read(empty)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b'a,b\n1,"unterminated\n')
    for read in (load_data, lambda p: open_source(p)):
        with pytest.raises(raudit.InputError, match=re.escape(UNPARSABLE.split(":")[0].format(path=bad))):
            read(bad)
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "x1.csv", index=False)
    pd.DataFrame({"b": [1]}).to_csv(tmp_path / "x2.csv", index=False)
    with pytest.raises(raudit.InputError, match=re.escape(OTHER_COLUMNS.format(path=tmp_path / "x2.csv", first=tmp_path / "x1.csv"))):
        open_source(str(tmp_path / "x*.csv"))
    with pytest.raises(raudit.InputError, match=re.escape(NO_ROWS)):
        raudit.audit(None, pd.DataFrame({"y": [], "d": [], "sex": []}), target="y", y_pred="d", sensitive=["sex"])
    for make in (lambda: renderers_for(["docx"]), lambda: renderer_for_suffix(".docx")):
        with pytest.raises(raudit.InputError, match=re.escape(UNKNOWN_FORMAT.format(fmt="docx"))):
            make()
