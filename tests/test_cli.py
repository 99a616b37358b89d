"""The command line: exit codes, bad input, and what --help imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import joblib
import pytest
from click.testing import CliRunner
from sklearn.linear_model import LogisticRegression

from raudit.cli import main


def run(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_audit_writes_three_files_and_exits_0(files, tmp_path):
    out = tmp_path / "out"
    res = run(files["model"], files["data"], "--target", "approved", "--sensitive", "sex", "--out", out,
              "--checks", "performance")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.pdf"]
    assert "PASS" in res.output and "Wrote" in res.output
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["target"] == "approved"
    assert report["config"]["sensitive"] == ["sex"] and report["config"]["sensitive_guessed"] is False


def test_exit_1_when_a_check_fails_and_fail_on_policies(files, tmp_path):
    args = [files["model"], files["data"], "--target", "approved", "--sensitive", "sex", "--format", "json",
            "--checks", "performance"]
    cfg = tmp_path / "raudit.toml"
    cfg.write_text("[check.performance]\nroc_auc_fail = 0.99\nroc_auc_warn = 0.995\n")
    assert run(*args, "--out", tmp_path / "a", "--config", cfg).exit_code == 1
    assert run(*args, "--out", tmp_path / "b", "--config", cfg, "--fail-on", "never").exit_code == 0
    cfg.write_text("[check.performance]\nroc_auc_fail = 0.1\nroc_auc_warn = 0.99\n")
    assert run(*args, "--out", tmp_path / "c", "--config", cfg).exit_code == 0
    assert run(*args, "--out", tmp_path / "d", "--config", cfg, "--fail-on", "warn").exit_code == 1


def test_exit_3_on_internal_error(files, tmp_path, monkeypatch):
    import raudit.api.audit

    def boom(*a, **k):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(raudit.api.audit, "audit", boom)
    res = run(files["model"], files["data"], "--target", "approved", "--out", tmp_path / "o")
    assert res.exit_code == 3
    assert "internal error" in res.output and "simulated bug" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, files, credit):
    d = tmp_path_factory.mktemp("bad")
    joblib.dump(LogisticRegression(), d / "unfitted.joblib")
    joblib.dump({"weights": [1, 2]}, d / "dict.joblib")
    (d / "corrupt.joblib").write_bytes(b"\x80\x04this is not a pickle at all" * 10)
    raw = files["model"].read_bytes()
    (d / "truncated.joblib").write_bytes(raw[: len(raw) // 2])
    (d / "model.h5").write_bytes(b"\x89HDF\r\n")
    (d / "empty.csv").write_text("")
    (d / "header.csv").write_text(",".join(credit.columns) + "\n")
    credit.assign(approved=1).to_csv(d / "one_class.csv", index=False)
    credit.drop(columns=["income"]).to_csv(d / "no_income.csv", index=False)
    credit.drop(columns=["approved"]).to_csv(d / "no_target.csv", index=False)
    credit.assign(approved=credit.approved.astype(float).where(credit.index > 5)).to_csv(d / "unlabelled.csv", index=False)
    (d / "bad.toml").write_text("targte = 'approved'\n")
    (d / "badopt.toml").write_text("[check.performance]\nroc_auc = 0.5\n")
    (d / "broken.toml").write_text("target = \n")
    (d / "folder.csv").mkdir()
    return d


BAD = [
    ("missing_model", "{d}/nope.joblib", "{data}", [], "model file not found"),
    ("missing_data", "{model}", "{d}/nope.csv", [], "data file not found"),
    ("data_is_folder", "{model}", "{d}/folder.csv", [], "not a file"),
    ("unfitted", "{d}/unfitted.joblib", "{data}", [], "not fitted"),
    ("not_a_model", "{d}/dict.joblib", "{data}", [], "no predict() method"),
    ("corrupt", "{d}/corrupt.joblib", "{data}", [], "corrupt, truncated or not a pickle"),
    ("truncated", "{d}/truncated.joblib", "{data}", [], "corrupt, truncated or not a pickle"),
    ("unsupported", "{d}/model.h5", "{data}", [], "unsupported model file"),
    ("empty_file", "{model}", "{d}/empty.csv", [], "is empty"),
    ("header_only", "{model}", "{d}/header.csv", [], "no rows"),
    ("one_class", "{model}", "{d}/one_class.csv", [], "single class"),
    ("missing_feature", "{model}", "{d}/no_income.csv", [], "'income'"),
    ("missing_target", "{model}", "{d}/no_target.csv", [], "target column 'approved' is not in the data"),
    ("unlabelled", "{model}", "{d}/unlabelled.csv", [], "6 missing value"),
    ("bad_sensitive", "{model}", "{data}", ["--sensitive", "gender"], "sensitive column(s) not in the data"),
    ("unknown_key", "{model}", "{data}", ["--config", "{d}/bad.toml"], "unknown key 'targte'"),
    ("unknown_option", "{model}", "{data}", ["--config", "{d}/badopt.toml"], "unknown option 'roc_auc'"),
    ("broken_toml", "{model}", "{data}", ["--config", "{d}/broken.toml"], "not valid TOML"),
    ("unknown_check", "{model}", "{data}", ["--checks", "nonsense"], "unknown check 'nonsense'"),
    ("bad_format", "{model}", "{data}", ["--format", "docx"], "unknown report format 'docx'"),
]


@pytest.mark.parametrize("case,model,data,extra,message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_exits_2_with_message_and_no_files(bad_inputs, files, tmp_path, case, model, data, extra, message):
    fill = {"d": bad_inputs, "model": files["model"], "data": files["data"]}
    out = tmp_path / "out"
    args = [model.format(**fill), data.format(**fill), "--out", str(out), *[e.format(**fill) for e in extra]]
    if "--sensitive" not in extra:
        args += ["--sensitive", "sex"]
    args += ["--target", "approved"]
    res = run(*args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output
    assert not out.exists(), "no report files may be written for bad input"


def test_usage_errors_exit_2(files):
    assert run(files["model"]).exit_code == 2  # one path only
    assert run(files["model"], files["data"], "--fail-on", "sometimes").exit_code == 2
    assert run(files["model"], files["data"], "--no-such-flag").exit_code == 2


def test_target_detected_only_when_unambiguous(files, credit, tmp_path):
    from tests.conftest import FEATURES

    only = tmp_path / "only.csv"
    credit[[*FEATURES, "approved"]].to_csv(only, index=False)
    res = run(files["model"], only, "--out", tmp_path / "a", "--format", "json", "--checks", "performance")
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "a" / "report.json").read_text())["config"]["target"] == "approved"
    res = run(files["model"], files["data"], "--out", tmp_path / "b")
    assert res.exit_code == 2 and "--target" in res.output and not (tmp_path / "b").exists()


def test_sensitive_guessed_and_said_so(files, tmp_path):
    res = run(files["model"], files["data"], "--target", "approved", "--out", tmp_path, "--format", "json,html",
              "--checks", "performance")
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["config"]["sensitive_guessed"] is True
    assert set(report["config"]["sensitive"]) == {"age", "sex", "ethnicity"}
    assert "guessed from column names" in (tmp_path / "report.html").read_text()


def test_json_to_stdout(files):
    res = CliRunner().invoke(main, [str(files["model"]), str(files["data"]), "--target", "approved", "--sensitive",
                                    "sex", "--out", "-", "--format", "json", "--checks", "performance"])
    assert res.exit_code == 0
    assert json.loads(res.output)["status"] == "pass"


def test_checks_lists_builtin_with_package_and_version():
    res = run("checks")
    assert res.exit_code == 0
    assert "performance" in res.output and "raudit" in res.output


@pytest.mark.parametrize("flag", ["--help", "--version", "audit', '--help", "compare', '--help", "profile', '--help"])
def test_help_and_version_import_nothing_heavy(flag):
    """Start-up stays light (issue 15: --help under 0.3 s; benchmarks/bench_scale.py measures it): no numerical library."""
    code = (
        "import sys\n"
        "from raudit.cli import main\n"
        f"try:\n    main(['{flag}'])\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
        "heavy = [m for m in ('shap', 'lime', 'torch', 'mlflow', 'weasyprint', 'sklearn', 'fairlearn', 'codecarbon', 'pandas', "
        "'numpy', 'scipy', 'pyarrow', 'dask', 'jinja2') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert ("Usage" in done.stdout) if flag == "--help" else ("raudit" in done.stdout)


def test_console_script_end_to_end(files, tmp_path):
    exe = Path(sys.executable).parent / "raudit"
    done = subprocess.run([str(exe), str(files["model"]), str(files["data"]), "--target", "approved", "--sensitive",
                           "sex,ethnicity", "--out", str(tmp_path), "--format", "json", "--quiet", "--checks", "performance"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""  # --quiet and no TTY: silent
    assert (tmp_path / "report.json").is_file()


def test_parquet_data_is_read(files, credit, tmp_path):
    path = tmp_path / "data.parquet"
    credit.to_parquet(path)
    res = run(files["model"], path, "--target", "approved", "--sensitive", "sex", "--checks", "performance",
              "--format", "json", "--out", tmp_path / "o")
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["lineage"]["data_file"]["name"] == "data.parquet" and report["lineage"]["data_shape"]["rows"] == 3000


def test_help_keeps_its_usage_block_unwrapped():
    res = run("--help")
    assert "\n    raudit MODEL DATA [OPTIONS]" in res.output and "\\b" not in res.output


def test_help_lists_the_audit_options():
    res = run("--help")
    assert "Audit options (raudit MODEL DATA [OPTIONS])" in res.output
    for flag in ("--target", "--sensitive", "--detail", "--favourable", "--sign-key"):
        assert flag in res.output, flag


def test_guessed_sensitive_columns_are_named_on_the_terminal(files, tmp_path):
    res = run(files["model"], files["data"], "--target", "approved", "--out", tmp_path, "--format", "json", "--checks", "performance")
    assert res.exit_code == 0, res.output
    assert "sensitive columns guessed from their names: age, sex, ethnicity; confirm them with --sensitive" in res.output


def test_file_paths_in_a_config_file_are_relative_to_it(tmp_path):
    from raudit.config import load_config_file

    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "raudit.toml").write_text('reference = "ref.json"\ntrain_data = "../train.csv"\n'
                                                   '[check.energy]\nemissions_file = "e.csv"\n')
    raw = load_config_file(tmp_path / "conf" / "raudit.toml")
    assert raw["reference"] == str(tmp_path / "conf" / "ref.json")
    assert raw["train_data"] == str(tmp_path / "conf" / ".." / "train.csv")
    assert raw["check"]["energy"]["emissions_file"] == str(tmp_path / "conf" / "e.csv")
