"""The shipped example's report as a reviewer sees it: a Chromium screenshot and the PDF pages, per detail level.

Page budgets of issue 12: the standard PDF of the example is at most 15 pages, the summary fits on 2, plus (issue 21) the
reviewer's sign-off, which keeps a page of its own for a handwritten signature. Round 3 added two checks that run on
the example (privacy, with its training rows, and robustness: about 2.5 pages each, their unjudged tables and
intersections in the appendix), so the standard budget is 20.
The images land in a temporary folder; ``scripts/report_images.py`` writes the same ones for a person to look at.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import raudit

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("report_images", ROOT / "scripts" / "report_images.py")
images = importlib.util.module_from_spec(spec)
spec.loader.exec_module(images)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The quickstart's model and held-out data, built the same way (examples/make_credit_data.py, train_model.py)."""
    sys.path.insert(0, str(ROOT / "examples"))
    from make_credit_data import make_credit_data
    from sklearn.model_selection import train_test_split
    from train_model import DEFAULT_EXCLUDE, build_pipeline

    data = make_credit_data(20_000, seed=0)
    train, test = train_test_split(data, test_size=0.3, random_state=0, stratify=data["approved"])
    features = [c for c in train.columns if c not in (*DEFAULT_EXCLUDE.split(","), "approved")]
    model = build_pipeline(train[features]).fit(train[features], train["approved"])
    path = tmp_path_factory.mktemp("members") / "train.csv"
    train.to_csv(path, index=False)
    return model, test, path


@pytest.mark.parametrize("detail,max_pages", [("summary", 3), ("standard", 20)])
def test_the_example_report_fits_its_page_budget_and_renders_as_images(example, tmp_path, detail, max_pages):
    import tomllib

    from PIL import Image

    missing = [name for name, found in (("chromium", images.chromium()), ("pdftoppm (poppler-utils)", shutil.which("pdftoppm")))
               if found is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed: the report cannot be turned into images here "
                    "(bash scripts/setup.sh dev installs both)")
    model, test, members = example
    config = tomllib.loads((ROOT / "examples" / "raudit.toml").read_text())
    config.update(detail=detail, train_data=str(members))  # every default check, as examples/quickstart.sh runs them
    report = raudit.audit(model, test, config=config)
    report.save(tmp_path / "report.html")
    report.save(tmp_path / "report.pdf")

    pages = images.pdf_pages(tmp_path / "report.pdf", tmp_path / "pages")
    assert 1 <= len(pages) <= max_pages, f"{detail}: {len(pages)} pages"
    shot = Image.open(images.screenshot(tmp_path / "report.html", tmp_path / "html.png")).convert("RGB")
    pixels = np.asarray(shot)
    assert pixels.std() > 20, "the screenshot is blank"
    fail_red = np.all(np.abs(pixels.astype(int) - (0xB3, 0x26, 0x1E)) < 12, axis=-1)
    assert fail_red[:700].sum() > 100, "the FAIL verdict badge is not near the top of the page"
    first = np.asarray(Image.open(pages[0]).convert("RGB"))
    assert np.all(np.abs(first.astype(int) - (0xB3, 0x26, 0x1E)) < 12, axis=-1).sum() > 50, "page 1 shows no FAIL badge"
