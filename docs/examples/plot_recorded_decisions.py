"""
.. _tutorial-recorded-decisions:

Auditing recorded decisions, without a model
============================================

Often there is no model file to audit: a vendor's system, a rules engine, a model behind an API, or people. What there
is, is a log of decisions and, later, what happened. raudit audits that log the same way: performance against the
outcomes and fairness by group, from the recorded decisions (and scores, if the system gives them).

From the shell this is::

    raudit --predictions decisions.csv --y-pred decision --y-score score --target approved --sensitive sex,ethnicity

Here the log comes from a simple scorecard applied to the example's lending data (``examples/make_credit_data.py``).
"""

# %%
# A log of decisions
# ------------------
# The scorecard below is not a machine-learning model: it adds points for income and credit history and takes points
# off for debt and past defaults. raudit never sees it, only what it decided.
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import raudit

try:
    HERE = Path(__file__).resolve().parent
except NameError:  # sphinx-gallery runs an example in its own folder, without __file__
    HERE = Path.cwd()
sys.path.insert(0, str(HERE.parents[1] / "examples"))  # the repository's examples/ folder
from make_credit_data import make_credit_data

applications = make_credit_data(8_000, seed=1)
points = (0.04 * applications["income"] + 0.01 * applications["credit_history_months"]
          - 4.0 * applications["debt_to_income"] - 1.5 * applications["previous_defaults"])
log = pd.DataFrame({
    "applicant_id": applications["applicant_id"],
    "sex": applications["sex"],
    "ethnicity": applications["ethnicity"],
    "score": np.round(1 / (1 + np.exp(-(points - points.median()))), 4),  # what the system reported
    "approved": applications["approved"],  # the outcome recorded later: the label
})
log["decision"] = (log["score"] >= 0.5).astype(int)
path = Path(tempfile.mkdtemp(prefix="raudit-log-")) / "decisions.csv"
log.to_csv(path, index=False)
log.head()

# %%
# Audit the log
# -------------
# ``model=None`` says there is no model: ``y_pred`` names the column of decisions and ``y_score`` the scores. Checks
# that need a model (explanations, robustness, energy, privacy) are skipped, each saying why.
report = raudit.audit(None, path, target="approved", y_pred="decision", y_score="score", sensitive=["sex", "ethnicity"])
pd.DataFrame([(r.name, r.status, r.summary) for r in report.results], columns=["check", "status", "summary"]).style.hide(axis="index")

# %%
# The fairness check reads the decisions exactly as it reads a model's: each group's favourable-outcome rate against
# the reference group's, with an interval, judged by :ref:`the one rule <judgement>`.
for finding in report["fairness"].findings[:6]:
    print(f"[{finding.status}] {finding.message}\n")

# %%
# The performance check compares the decisions with the outcomes; with scores it also measures how well they rank
# (ROC-AUC, with DeLong's interval) and how well they are calibrated.
metrics = report["performance"].metrics
print({k: round(v, 3) for k, v in metrics.items() if k in ("accuracy", "roc_auc", "ece", "balanced_accuracy")})
