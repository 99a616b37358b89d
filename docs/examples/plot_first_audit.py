"""
.. _tutorial-first-audit:

Your first audit
================

This tutorial audits the example model end to end from Python, as ``bash examples/quickstart.sh`` does from the shell:
generate the lending data, train the model, audit it, and read what the report found. Every output on this page was
produced when the documentation was built, by the code you see.

The data is synthetic (``examples/make_credit_data.py``): 20,000 loan applications whose historical decisions carry a
**documented injected bias** against one ethnic group (*Group C*) and against women, and a proxy column
(``zip_region``: regions R09–R12 are mostly Group C). The model (``examples/train_model.py``, a scikit-learn pipeline
with gradient boosting) never sees sex or ethnicity; it does take ``age``, which is also a sensitive column. A good
audit should find the bias, the proxy and the direct use of age.
"""

# %%
# Make the data and train the model
# ---------------------------------
# The two example scripts are plain modules: ``make_credit_data()`` returns a DataFrame, ``train()`` writes the model
# (trained inside :func:`raudit.track_training`, which records a sketch of the training rows so the audit can say its
# data was held out), the held-out audit rows, a validation split for drift and the training rows.
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

import raudit

try:
    HERE = Path(__file__).resolve().parent
except NameError:  # sphinx-gallery runs an example in its own folder, without __file__
    HERE = Path.cwd()
EXAMPLES = HERE.parents[1] / "examples"  # the repository's examples/ folder
sys.path.insert(0, str(EXAMPLES))
from make_credit_data import make_credit_data
from train_model import train

work = Path(tempfile.mkdtemp(prefix="raudit-tutorial-"))
data = make_credit_data(20_000, seed=0)
data.to_csv(work / "credit.csv", index=False)
train(work / "credit.csv", target="approved", out=work / "model")
data.head()

# %%
# Audit it
# --------
# ``examples/raudit.toml`` holds the example's settings: the target, three sensitive columns, a model card and the
# training rows for the privacy check (paths in it are relative to the file, so it is copied beside the model).
# :func:`raudit.audit` takes the same settings as the command line
# ``raudit model/model.joblib model/audit.csv --config raudit.toml``.
shutil.copy(EXAMPLES / "raudit.toml", work / "raudit.toml")
report = raudit.audit(work / "model" / "model.joblib", work / "model" / "audit.csv", config=work / "raudit.toml")
print("status:", report.status, "| exit code:", report.exit_code())

# %%
# The exit code is 1: a check failed, so a CI job gating on it would stop this release. Each check has a status:
pd.DataFrame([(r.name, r.status, r.summary) for r in report.results], columns=["check", "status", "summary"]).style.hide(axis="index")

# %%
# What failed, and why
# --------------------
# Every finding that fails, warns or is inconclusive says what, for whom, how much and how sure. The fairness check
# judges each group's disparity against its reference group by :ref:`the one rule <judgement>`: *fail* only when the
# whole interval lies beyond the threshold on the harmful side, *inconclusive* when it straddles the threshold.
for result in report.results:
    for finding in result.findings:
        if finding.status in ("fail", "warn", "inconclusive"):
            print(f"[{finding.status}] {result.name}: {finding.message}\n")

# %%
# The injected bias fails the four-fifths rule where it compounds (women in Group C, against men in Group B), while
# Group C and women on their own come out *inconclusive* at these sample sizes: their ratios are below 0.8 but their
# intervals, at the level that makes a feature's claims hold jointly, still reach it; the finding says how many rows
# would likely decide. The proxy (``zip_region`` for ethnicity) and the direct use of ``age`` warn. The example
# checks these statements, so this page cannot go on saying them once they stop being true:
fairness = report["fairness"]
messages = [f.message for f in fairness.findings]
assert fairness.status == "fail"
assert any(f.status == "fail" and f.message.startswith("[sex × ethnicity]") for f in fairness.findings)
assert any("zip_region" in m and "proxies" in m for m in messages)
assert any("takes the sensitive attribute age directly" in m for m in messages)

# %%
# The numbers behind a finding
# ----------------------------
# A check's tables hold numbers, with intervals where a number has one (``{"value": ..., "ci": [low, high]}``), and
# say how each column reads. Here are the fairness check's disparities that fail or are inconclusive, for single
# sensitive features, each with the interval it was judged on, formatted with the toolkit's number formatter.
from raudit.plugin import interval, number, p_value


def frame(table):
    """A report table as a DataFrame of text, each column formatted as the report formats it."""

    def text(cell, fmt):
        if isinstance(cell, dict) and "value" in cell:
            return f"{number(cell['value'], digits=3)} ({interval(*cell['ci'])})"
        if fmt == "p":
            return p_value(cell)
        return number(cell, digits=3) if isinstance(cell, float) else cell

    rows = [[text(c, f) for c, f in zip(row, table.formats)] for row in table.rows]
    return pd.DataFrame(rows, columns=table.columns).style.hide(axis="index")


disparities = next(t for t in fairness.tables if t.title.startswith("Disparities"))
print(disparities.title)
frame(disparities)

# %%
# The report's figures are SVG, drawn by raudit itself (no JavaScript, no matplotlib): the same ones are in the HTML
# and the PDF.


class SVG:
    """Show an SVG string in the page."""

    def __init__(self, svg):
        self.svg = svg

    def _repr_html_(self):
        return self.svg


figure = next(f for f in fairness.figures if f.title.startswith("ethnicity"))
print(figure.title)
SVG(figure.svg)

# %%
# The whole report
# ----------------
# ``report.save()`` writes one self-contained HTML file (inline CSS and SVG, no JavaScript, nothing fetched), the PDF
# and the JSON. The report this page produced is published with the documentation: open
# `the whole HTML report <../first-audit/report.html>`_, or read it here:
#
# .. raw:: html
#
#    <iframe class="raudit-report" src="../first-audit/report.html" title="The example's report"></iframe>
#
published = Path(os.environ.get("RAUDIT_DOCS_REPORTS", work / "published")) / "first-audit"
published.mkdir(parents=True, exist_ok=True)
print(report.save(published / "report.html").name, "and", report.save(work / "report.json").name, "written")

# %%
# Next: :ref:`tutorial-recorded-decisions` audits decisions recorded by any system, without a model file;
# :doc:`/tutorials/ci-gate` makes this exit code gate a release.
