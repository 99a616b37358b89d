"""Generate the example lending dataset (synthetic, documented, with an injected bias).

Each row is a loan application with the decision a (biased) historical
process made. Nothing is downloaded; the same seed gives the same file.

Columns
-------
applicant_id       unique id (not a model input)
age                years, 18–75 (sensitive; the example model uses it)
sex                Female / Male (sensitive; not a model input)
ethnicity          Group A–D (sensitive; not a model input)
zip_region         R01–R12: where the applicant lives. **Proxy**: regions
                   R09–R12 are mostly Group C, so a model can recover
                   ethnicity from it without seeing it.
income             yearly income in thousands (log-normal, lower for
                   Female applicants: the structural gap the data carries)
employment_years, credit_history_months, num_credit_lines,
debt_to_income, previous_defaults, home_ownership, purpose,
loan_amount, loan_term_months
approved           1 approved, 0 declined: the label

Injected bias
-------------
The label is drawn from a credit-worthiness score built from the financial
columns, **minus 0.9 on the logit for Group C and minus 0.5 for Female
applicants**: equally creditworthy applicants in those groups were approved
less often. A model trained on these labels learns the bias through
``zip_region`` and ``income``, which is what the fairness check should find.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

BIAS_GROUP_C = -0.9
BIAS_FEMALE = -0.5


def make_credit_data(n_rows: int = 20_000, *, seed: int = 0) -> pd.DataFrame:
    """Return the synthetic lending dataset (see the module docstring)."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], size=n_rows, p=[0.45, 0.55])
    ethnicity = rng.choice(["Group A", "Group B", "Group C", "Group D"], size=n_rows, p=[0.58, 0.17, 0.15, 0.10])
    # zip_region: Group C lives mostly in R09–R12; everyone else mostly in R01–R08.
    in_c_regions = np.where(ethnicity == "Group C", rng.random(n_rows) < 0.8, rng.random(n_rows) < 0.1)
    region_num = np.where(in_c_regions, rng.integers(9, 13, n_rows), rng.integers(1, 9, n_rows))
    zip_region = np.array([f"R{r:02d}" for r in region_num])
    age = np.clip(rng.normal(41, 12, n_rows), 18, 75).round().astype(int)
    income = np.exp(rng.normal(3.9, 0.45, n_rows)) * np.where(sex == "Female", 0.85, 1.0) * np.where(in_c_regions, 0.88, 1.0)
    income = income.round(1)
    employment_years = np.clip(rng.gamma(2.0, 3.0, n_rows) * (age - 17) / 25, 0, age - 18).round(1)
    credit_history_months = np.clip((age - 18) * 12 * rng.uniform(0.2, 0.9, n_rows), 0, None).round().astype(int)
    num_credit_lines = rng.poisson(4, n_rows)
    loan_amount = (np.exp(rng.normal(2.3, 0.6, n_rows)) * (1 + income / 200)).round(1)
    loan_term = rng.choice([36, 60], size=n_rows, p=[0.65, 0.35])
    debt_to_income = np.clip(rng.beta(2, 5, n_rows) + loan_amount / (income * 4), 0, 1.5).round(3)
    previous_defaults = rng.poisson(np.where(rng.random(n_rows) < 0.15, 1.2, 0.05), n_rows)
    home = rng.choice(["rent", "mortgage", "own"], size=n_rows, p=[0.42, 0.40, 0.18])
    purpose = rng.choice(["debt consolidation", "car", "home improvement", "business", "education"],
                         size=n_rows, p=[0.4, 0.2, 0.2, 0.12, 0.08])

    merit = (
        1.4 * (np.log(income) - 3.9)
        - 2.8 * (debt_to_income - 0.35)
        - 1.1 * previous_defaults
        + 0.004 * (credit_history_months - 150)
        + 0.05 * np.minimum(employment_years, 10)
        + np.where(home == "own", 0.3, 0.0)
        - np.where(purpose == "business", 0.35, 0.0)
        - 0.15 * (loan_term == 60)
        + 0.4
    )
    bias = BIAS_GROUP_C * (ethnicity == "Group C") + BIAS_FEMALE * (sex == "Female")
    approved = (rng.random(n_rows) < 1 / (1 + np.exp(-(merit + bias)))).astype(int)

    return pd.DataFrame({
        "applicant_id": np.arange(1, n_rows + 1),
        "age": age,
        "sex": sex,
        "ethnicity": ethnicity,
        "zip_region": zip_region,
        "income": income,
        "employment_years": employment_years,
        "credit_history_months": credit_history_months,
        "num_credit_lines": num_credit_lines,
        "debt_to_income": debt_to_income,
        "previous_defaults": previous_defaults,
        "home_ownership": home,
        "purpose": purpose,
        "loan_amount": loan_amount,
        "loan_term_months": loan_term,
        "approved": approved,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("examples/data/credit.csv"))
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    df = make_credit_data(args.rows, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False)
    print(f"Wrote {args.out}: {len(df):,} rows, approval rate {df['approved'].mean():.3f}")


if __name__ == "__main__":
    main()
