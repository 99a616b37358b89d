#!/usr/bin/env bash
# Set everything up and audit the shipped example, end to end:
#   generate the lending data -> train the model -> raudit -> examples/output/report.{html,pdf,json}
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
.venv/bin/python examples/make_credit_data.py --out examples/data/credit.csv
.venv/bin/python examples/train_model.py --data examples/data/credit.csv --target approved --out examples/model
code=0
.venv/bin/raudit examples/model/model.joblib examples/model/audit.csv \
  --config examples/raudit.toml --out examples/output || code=$?
if [ "$code" -ge 2 ]; then
  echo "quickstart: raudit failed (exit code $code)" >&2
  exit "$code"
fi
echo
echo "quickstart: reports are in examples/output/ (raudit exit code $code: 0 = passed the gate," \
     "1 = a check failed, as the example's injected bias is meant to)"
