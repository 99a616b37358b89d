#!/usr/bin/env bash
# Install what the tests need and run them. This is what CI runs (.ci/run).
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -m "not slow"
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
# Two cores: keep BLAS/OpenMP from oversubscribing (see shared/STACK.md).
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
export CODECARBON_LOG_LEVEL=error
exec .venv/bin/python -m pytest "$@"
