"""Typed check options: parsed and validated before any work, documented from the same declaration."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import raudit
from raudit import ConfigError, Options, option
from raudit.api.plugins import discover
from raudit.cli import main
from raudit.options import describe

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Demo(Options):
    alpha: float = option(0.05, "significance level", gt=0, lt=1)
    rounds: int = option(10, "rounds", ge=0)
    on: bool = option(True, "switch")
    mode: str | None = option(None, "optional text")
    edges: tuple[float, ...] = option((), "edges", ge=0)
    table: dict[str, tuple[float, ...]] = option({}, "per column")
    limit: float | None = option(0.8, "a threshold that can be turned off", gt=0)


@pytest.mark.parametrize("given,message", [
    ({"alpah": 0.1}, "unknown option 'alpah'"),
    ({"alpha": 1.5}, "alpha must be > 0 and < 1; got 1.5"),
    ({"alpha": "0.1"}, "alpha must be a number"),
    ({"alpha": float("nan")}, "alpha must be a finite number"),
    ({"rounds": -1}, "rounds must be ≥ 0"),
    ({"rounds": 2.5}, "rounds must be a whole number"),
    ({"rounds": True}, "rounds must be a whole number"),
    ({"on": "yes"}, "on must be true or false"),
    ({"edges": 3}, "edges must be a list of numbers"),
    ({"edges": [1, -2]}, "edges[1] must be ≥ 0"),
    ({"table": {"age": [1, float("nan")]}}, "table.age[1] must be a finite number"),
    ({"table": [1, 2]}, "table must be a table"),
])
def test_bad_values_name_the_key(given, message):
    with pytest.raises(ConfigError) as info:
        Demo.parse(given, check="demo")
    assert message in str(info.value) and "[check.demo]" in str(info.value)


def test_unknown_option_suggests_the_closest():
    with pytest.raises(ConfigError, match="did you mean 'alpha'"):
        Demo.parse({"alpah": 0.1}, check="demo")


def test_good_values_are_converted_and_defaults_are_fresh():
    o = Demo.parse({"alpha": 0.01, "rounds": 3, "edges": [0, 1.5], "table": {"age": [18, 30]}, "limit": False}, check="d")
    assert o.alpha == 0.01 and o.rounds == 3 and o.edges == (0.0, 1.5) and o.table == {"age": (18.0, 30.0)}
    assert o.limit is None, "false turns an optional threshold off"
    assert Demo().table is not Demo().table
    assert o.to_dict()["edges"] == [0.0, 1.5]


def test_every_option_of_every_check_is_documented():
    for p in discover():
        assert p.check is not None, p.error
        docs = describe(p.check.Options)
        for d in docs:
            assert len(d.doc) > 10, f"{p.name}.{d.name} has no documentation"
        defaults = p.check.Options()
        assert {d.name for d in docs} == set(defaults.to_dict()), p.name



def test_checks_options_lists_every_option():
    res = CliRunner().invoke(main, ["checks", "--options"])
    assert res.exit_code == 0
    for p in discover():
        for d in describe(p.check.Options):
            assert f"    {d.name} = " in res.output


@pytest.mark.parametrize("table,message", [
    ({"fairness": {"min_group_size": -5}}, "min_group_size must be ≥ 1"),
    ({"fairness": {"selection_rate_ratio_min": 7.5}}, "selection_rate_ratio_min must be > 0 and ≤ 1"),
    ({"fairness": {"reference": {"sex": "Martian"}}}, "group 'Martian' does not occur"),
    ({"fairness": {"reference": {"sex": "female"}}}, "did you mean 'Female'"),
    ({"fairness": {"reference": {"colour": "red"}}}, "not a sensitive feature"),
    ({"performance": {"roc_auc_fail": 0.8}}, "roc_auc_fail (0.8) is above roc_auc_warn"),
    ({"explanations": {"lime_rows": [10**9]}}, "outside the data"),
    ({"explanations": {"explain_class": "maybe"}}, "explain_class 'maybe'"),
    ({"energy": {"country": "XXX"}}, "unknown electricity grid country 'XXX'"),
    ({"lineage": {"dirty": "sometimes"}}, "dirty must be one of"),
])
def test_option_mistakes_stop_the_audit_before_anything_is_predicted(binary_model, credit, table, message, monkeypatch,
                                                                     capsys):
    """Options are checked against what the first pass saw: a wrong one is exit 2 before the second pass predicts a row."""
    import sys

    import raudit.api.audit
    import raudit.engine.run

    def spy(real, what):  # runs in the jailed child: it says so on stderr, which the jail relays to this process
        def spied(*a, **k):
            print(f"spy: {what}", file=sys.stderr)
            return real(*a, **k)
        return spied

    monkeypatch.setattr(raudit.api.audit, "run_checks", spy(raudit.api.audit.run_checks, "ran"))
    monkeypatch.setattr(raudit.engine.run, "summarise_chunk", spy(raudit.engine.run.summarise_chunk, "predicted"))
    capsys.readouterr()
    with pytest.raises(ConfigError) as info:
        raudit.audit(binary_model, credit, target="approved", sensitive=["sex", "age"], config={"check": table})
    assert message in str(info.value)
    seen = capsys.readouterr().err
    assert "spy: predicted" not in seen, "no row may be predicted when an option is wrong"
    assert "spy: ran" not in seen, "no check may run when an option is wrong"
    raudit.audit(binary_model, credit, target="approved", sensitive=["sex", "age"], checks=["performance"])
    assert "spy: predicted" in capsys.readouterr().err, "the spy sees the second pass when the options are right"


@pytest.mark.parametrize("bins,message", [
    ({"age": "young"}, "bins.age must be a list of numbers"),
    ({"age": [18, 60, 30]}, "strictly ascending"),
    ({"age": [18, float("nan")]}, "must be finite numbers"),
    ({"income": [0, 50, 100]}, "'income' is not a sensitive column"),
])
def test_bin_mistakes_are_config_errors(binary_model, credit, bins, message):
    with pytest.raises(ConfigError) as info:
        raudit.audit(binary_model, credit, target="approved", sensitive=["sex", "age"], config={"bins": bins})
    assert message in str(info.value)


def test_a_binary_emissions_file_is_an_input_error(binary_model, credit, tmp_path):
    bad = tmp_path / "emissions.csv"
    bad.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(raudit.InputError, match="emissions"):
        raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["energy"],
                     config={"check": {"energy": {"emissions_file": str(bad)}}})


def test_checks_markdown_prints_one_table_per_built_in_check_with_every_option():
    """``raudit checks --markdown``: what the README's generated tables were, now for anyone who wants them."""
    res = CliRunner().invoke(main, ["checks", "--markdown"])
    assert res.exit_code == 0, res.output
    built_in = [p for p in discover() if p.check is not None and p.package == "raudit"]
    assert res.output.count("| option | default | type | meaning |") == len(built_in) >= 9
    for p in built_in:
        assert f"`[check.{p.name}]`" in res.output
        for d in describe(p.check.Options):
            assert f"| `{d.name}` | `{d.default_text}` |" in res.output, (p.name, d.name)
