"""Property test: random malformed CSV, TOML and check options never crash raudit or damage the previous report set.

Whatever hypothesis throws at the command line, raudit answers with exit code 0, 1 or 2, never a traceback
or an "internal error"; with exit 2 the output folder is exactly as before, and with 0 or 1 it holds a
complete new set.
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from raudit.cli import main

PREVIOUS = {"report.html": b"previous html", "report.json": b"previous json"}
COLUMNS = ["age", "zip_region", "income", "debt_to_income", "previous_defaults", "home_ownership", "sex", "approved"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(string.printable, max_size=8), st.lists(st.integers(-5, 100), max_size=4),
)
toml_values = st.one_of(
    st.booleans(), st.integers(-1000, 1000), st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.text(string.ascii_letters + " -_.", max_size=10), st.lists(st.integers(-5, 100), max_size=4),
    st.dictionaries(st.sampled_from(["age", "sex", "x"]), st.lists(st.floats(-5, 100, width=32), max_size=4), max_size=2),
)
OPTION_NAMES = {
    "performance": ["roc_auc_warn", "roc_auc_fail", "ece_warn", "ece_fail", "calibration_bins", "nope"],
    "fairness": ["min_group_size", "reference", "selection_rate_ratio_min", "alpha",
                 "intersections", "mitigation", "proxy_warn", "max_findings", "bogus"],
    "lineage": ["dirty", "untracked", "dvc_mismatch"],
}


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if value != value else ("inf" if value == float("inf") else "-inf" if value == float("-inf") else repr(value))
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return str(value)


@st.composite
def configs(draw) -> str:
    lines: list[str] = []
    if draw(st.integers(0, 2)) == 0:  # a third of the runs keep a valid (empty) configuration
        return ""
    for key in draw(st.lists(st.sampled_from(["target", "seed", "fail_on", "sensitive", "max_groups", "formats", "tagret", "bins",
                                              "sample_rows", "engine"]),
                             max_size=2, unique=True)):
        lines.append(f"{key} = {_toml(draw(toml_values))}")
    for check in draw(st.lists(st.sampled_from([*OPTION_NAMES, "nonexistent"]), max_size=2, unique=True)):
        lines.append(f"[check.{check}]")
        for name in draw(st.lists(st.sampled_from(OPTION_NAMES.get(check, ["x"])), max_size=3, unique=True)):
            lines.append(f"{name} = {_toml(draw(toml_values))}")
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["target = ", "[check", "= 3", "a = [1, 2", "x = 'unterminated"])))
    return "\n".join(lines) + "\n"


@st.composite
def csvs(draw, base: pd.DataFrame) -> bytes:
    frame = base.sample(n=draw(st.sampled_from([0, 5, 60, 200, 200, 400])), random_state=draw(st.integers(0, 10))).reset_index(drop=True)
    for _ in range(draw(st.sampled_from([0, 0, 1, 2, 3]))):
        action = draw(st.sampled_from(["drop", "garble", "nan", "rename", "duplicate", "constant"]))
        col = draw(st.sampled_from(list(frame.columns))) if len(frame.columns) else None
        if col is None:
            break
        if action == "drop":
            frame = frame.drop(columns=[col])
        elif action == "garble" and len(frame):
            frame[col] = frame[col].astype(object)
            frame.loc[draw(st.integers(0, len(frame) - 1)), col] = draw(scalars)
        elif action == "nan" and len(frame):
            frame[col] = frame[col].astype(object)
            frame.loc[: draw(st.integers(0, len(frame) - 1)), col] = np.nan
        elif action == "rename":
            frame = frame.rename(columns={col: draw(st.text(string.ascii_letters + " ;,\"\t", min_size=0, max_size=6))})
        elif action == "duplicate":
            frame = pd.concat([frame, frame[[col]]], axis=1)
        elif action == "constant":
            frame[col] = draw(st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(string.ascii_letters, max_size=3)))
    text = frame.to_csv(index=False, sep=draw(st.sampled_from([",", ",", ";", "\t"])))
    raw = text.encode()
    if draw(st.integers(0, 14)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]
    if draw(st.integers(0, 19)) == 0:
        raw = bytes(draw(st.lists(st.integers(0, 255), max_size=64)))
    return raw


@pytest.fixture(scope="module")
def base(credit) -> pd.DataFrame:
    return credit[COLUMNS].iloc[:400].copy()


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_bad_input_never_crashes_and_never_damages_the_previous_set(data, base, files, tmp_path_factory):
    work = tmp_path_factory.mktemp("fuzz")
    out = work / "out"
    out.mkdir()
    for name, content in PREVIOUS.items():
        (out / name).write_bytes(content)
    (work / "data.csv").write_bytes(data.draw(csvs(base)))
    (work / "raudit.toml").write_text(data.draw(configs()))
    args = [str(files["model"]), str(work / "data.csv"), "--config", str(work / "raudit.toml"), "--out", str(out),
            "--format", "html,json", "--quiet"]
    args += ["--target", data.draw(st.sampled_from(["approved", "approved", "approved", "sex", "income", "missing"]))]
    if data.draw(st.booleans()):
        args += ["--sensitive", data.draw(st.sampled_from(["sex", "age", "sex,age", "zip_region", "nope", ""]))]
    args += ["--checks", data.draw(st.sampled_from(["performance", "performance,fairness", "fairness,lineage"]))]
    res = CliRunner().invoke(main, args)
    event(f"exit {res.exit_code}")
    assert res.exit_code in (0, 1, 2), (res.exit_code, res.output, res.exception)
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    found = {p.name: p.read_bytes() for p in out.iterdir()}
    if res.exit_code == 2:
        assert found == PREVIOUS, res.output
    else:
        assert set(found) == {"report.html", "report.json"} and found["report.json"] != PREVIOUS["report.json"]
    assert not [p for p in Path(out).iterdir() if p.name.startswith(".")], "no temporary files may stay behind"
