"""Rendered reports: escaping, self-containment, PDF text, JSON schema, determinism, atomic writes."""

from __future__ import annotations

import io
import json
import re
from importlib.resources import files as package_files

import jsonschema
import pytest
from pypdf import PdfReader

import raudit
from raudit.report.files import write_atomic

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report(binary_model, credit):
    return raudit.audit(binary_model, credit, target="approved", sensitive=["sex", "ethnicity"], seed=7)


def test_untrusted_column_names_and_values_are_escaped(credit):
    from sklearn.linear_model import LogisticRegression

    data = credit[["income", "debt_to_income", "approved"]].rename(columns={"income": XSS})
    data["group"] = credit["sex"].replace({"Female": "<b>F</b>"})
    model = LogisticRegression(max_iter=300).fit(data[[XSS, "debt_to_income"]], data.approved)
    html = raudit.audit(model, data, target="approved", sensitive=["group"]).render("html").decode()
    assert XSS not in html and "<b>F</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_loads_no_external_resource(report):
    html = report.render("html").decode()
    # no src/href to anything but in-page anchors, no @import or url(), no script
    assert not re.search(r'(src|href)\s*=\s*["\'](?!#)', html)
    assert "@import" not in html and "url(" not in html
    assert "<script" not in html.lower()
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)


def test_pdf_has_pages_and_the_summary_text(report):
    reader = PdfReader(io.BytesIO(report.render("pdf")))
    assert len(reader.pages) >= 2
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Verdict" in text and "Findings that fail, warn or are inconclusive" in text
    assert "Performance" in text and "Lineage" in text
    assert "Page 1 of" in text

    def titles(outline):
        for item in outline:
            yield from (titles(item) if isinstance(item, list) else [item.title])

    bookmarks = list(titles(reader.outline))
    assert bookmarks[:2] == ["Responsible-AI audit", "Verdict FAIL"] or bookmarks[:2] == ["Responsible-AI audit", "Verdict PASS"]
    assert "Model card" in bookmarks and any(t.startswith("Performance") for t in bookmarks)
    assert bookmarks[-3:] == ["Evidence map", "Lineage", "Reviewer sign-off"]


def test_json_validates_against_the_shipped_schema(report):
    schema = json.loads(package_files("raudit.schema").joinpath("report.schema.json").read_text())
    data = json.loads(report.render("json"))
    jsonschema.validate(data, schema)
    assert data["schema_version"] == "2.0"
    bad = {**data, "status": "great"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def _scrub(text: str) -> dict:
    """Drop what is a timing by nature: the timestamp, check durations, and the energy check's measurements."""
    data = json.loads(text)
    data["lineage"].pop("created_utc")
    data["lineage"]["engine"].pop("timings_s")
    data.pop("integrity")  # a digest of all of the above, timings included
    for check in data["checks"]:
        check.pop("duration_s")
        if check["name"] == "energy":
            assert check["status"] != "error", check["summary"]
            for key in ("metrics", "details", "findings", "tables", "summary", "status"):
                check.pop(key)
    return data


def test_same_seed_gives_identical_json(files, binary_model, credit):
    a = raudit.audit(files["model"], files["data"], target="approved", sensitive=["sex"], seed=3).to_json()
    b = raudit.audit(files["model"], files["data"], target="approved", sensitive=["sex"], seed=3).to_json()
    assert _scrub(a) == _scrub(b)


def test_lineage_records_inputs_versions_and_config(files):
    from raudit.trust.digest import sha256_file

    rep = raudit.audit(files["model"], files["data"], target="approved", sensitive=["sex"], seed=5)
    L = rep.lineage
    assert L["model_file"]["sha256"] == sha256_file(files["model"])
    assert L["data_file"]["bytes"] == files["data"].stat().st_size
    assert L["data_shape"]["rows"] == 3000
    assert L["model"]["class"] == "sklearn.pipeline.Pipeline" and L["model"]["task"] == "binary"
    assert L["model_params"]["clf__C"] == "1.0" and "steps" not in L["model_params"]  # every leaf parameter, no step reprs
    for lib in ("python", "raudit", "numpy", "pandas", "scikit-learn"):
        assert lib in L["versions"]
    assert L["seed"] == 5 and rep.config["seed"] == 5
    assert re.fullmatch(r"[0-9a-f]{64}", L["templates_sha256"])


def test_repr_html_is_a_fragment(report):
    frag = report._repr_html_()
    assert "<html" not in frag and 'id="verdict"' in frag


def test_save_by_suffix_and_atomic_write(report, tmp_path, monkeypatch):
    for suffix in ("html", "json", "pdf"):
        p = report.save(tmp_path / f"x.{suffix}")
        assert p.stat().st_size > 1000
    with pytest.raises(raudit.InputError, match="unknown report format"):
        report.save(tmp_path / "x.docx")
    assert not (tmp_path / "x.docx").exists()

    target = tmp_path / "keep.json"
    target.write_text("old")

    def explode(*a, **k):
        raise OSError(28, "No space left on device")

    import os

    monkeypatch.setattr(os, "replace", explode)
    with pytest.raises(raudit.InputError, match="No space left"):
        write_atomic(target, b"new content")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".keep")] == []


def test_numbers_are_formatted_for_people():
    from raudit.report.format import number, quantity

    assert [number(v) for v in (171701.3, 12345678.9, 0.81234, 0.0004, 12345, True, None, float("nan"))] == [
        "171,701", "12,345,679", "0.8123", "0.0004", "12,345", "yes", "—", "—"]
    assert [quantity(v, "kWh") for v in (5.6e-08, 0.0123, 2.5)] == ["56 µWh", "12.3 Wh", "2.5 kWh"]


def test_checks_that_did_not_run_are_one_line_with_their_reason(binary_model, credit):
    report = raudit.audit(binary_model, credit, target="approved", sensitive=["sex"], checks=["performance", "drift"])
    html = report.render("html").decode()
    table = html[html.index('<table class="checks">'):html.index("</table>", html.index('<table class="checks">'))]
    assert "Performance" in table and "Drift" not in table  # the checks table lists what ran
    line = re.search(r'<p class="not-run scope">(.*?)</p>', html, re.S)
    assert line and "Drift</a>: no reference given" in line.group(1) and "Skipped:" not in line.group(1)
