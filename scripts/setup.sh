#!/usr/bin/env bash
# Set up raudit on a fresh Debian/Ubuntu machine: system libraries for PDF output,
# a virtual environment in .venv, and raudit installed into it (editable).
#   bash scripts/setup.sh          # runtime only
#   bash scripts/setup.sh dev      # plus what the tests need
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"

# WeasyPrint needs Pango; libharfbuzz-subset0 makes PDF writing ~4x faster; DejaVu is the report font.
# For the tests: poppler-utils (pdftotext/pdftoppm) reads PDFs, Chromium screenshots the HTML report and drives the
# ledger's pages, postgresql (15 on Debian 12) runs the ledger's tests against a throwaway server the suite starts.
apt_packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
[ "$extras" = "dev" ] && apt_packages="$apt_packages poppler-utils chromium postgresql"
missing=""
for p in $apt_packages; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing system packages:$missing"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "$extras" = "dev" ]; then
  # the tests cover every integration: torch==2.13.0 is the local CPU build (a looser spec pulls CUDA);
  # text (transformers, tokenizers, safetensors) and keras add ~214 MB and ~13 s (measured 2026-11-25, warm pip cache)
  .venv/bin/python -m pip install -q -e ".[dev,torch,onnx,skorch,text,keras]"
else
  .venv/bin/python -m pip install -q .
fi
echo "setup: raudit $(.venv/bin/raudit --version | awk '{print $NF}') ready in .venv"
