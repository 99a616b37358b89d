"""Turn a report's HTML and PDF into images a person can look at: a headless-Chromium screenshot and one PNG per PDF page.

    .venv/bin/python scripts/report_images.py examples/output            # writes examples/output/images/

Needs Debian's ``chromium`` and ``poppler-utils`` (scripts/setup.sh dev installs both). Nothing is fetched: the
report has no external resource and Chromium runs with its background networking off.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

#: Flags that keep headless Chromium off the network and out of the user's profile.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--hide-scrollbars"]


def chromium() -> str | None:
    """The Chromium executable, or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def screenshot(html: Path, png: Path, *, width: int = 1100, height: int = 4000) -> Path:
    """A full-width screenshot of ``html`` (the top ``height`` pixels) taken by headless Chromium."""
    exe = chromium()
    if exe is None:
        raise RuntimeError("Chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={png}", html.resolve().as_uri()], check=True, capture_output=True, timeout=120)
    return png


def pdf_pages(pdf: Path, folder: Path, *, dpi: int = 60) -> list[Path]:
    """Every page of ``pdf`` as a PNG (pdftoppm), in order."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(folder / "page")], check=True, capture_output=True,
                   timeout=300)
    return sorted(folder.glob("page-*.png"))


def main() -> None:
    """Write the screenshot and the PDF pages of the report folder given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a report folder holding report.html and report.pdf")
    args = parser.parse_args()
    images = args.folder / "images"
    images.mkdir(exist_ok=True)
    print("screenshot:", screenshot(args.folder / "report.html", images / "report-html.png"))
    pages = pdf_pages(args.folder / "report.pdf", images)
    print(f"PDF: {len(pages)} page images in {images}")


if __name__ == "__main__":
    main()
