"""The documentation site builds offline with warnings as errors, documents everything public, and every page is in reach.

The build (``sphinx-build -W``) itself fails on an undocumented public name, a CLI option or check option missing from
the reference, a provision without an entry in the evidence map, a broken reference or toctree entry, and a failing
gallery example (``docs/_ext/raudit_docs.py`` and ``docs/conf.py``). These tests build it once, then check the built
site independently: the inventory Sphinx wrote, the links of every page, what a reader can reach from the landing page
in two clicks. The checks that make the build fail are also tested on planted omissions, cheaply, without a build.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

sphinx = pytest.importorskip("sphinx", reason="the docs extra is not installed (pip install -e '.[docs]')")
for _extension in ("pydata_sphinx_theme", "numpydoc", "sphinx_gallery", "myst_parser", "sphinx_click"):
    pytest.importorskip(_extension, reason="the docs extra is not installed (pip install -e '.[docs]')")

import raudit_docs  # noqa: E402

#: Pages Sphinx writes for itself, not for a document: not counted as orphans, not required to be in reach.
SPECIAL = {"genindex.html", "search.html", "py-modindex.html"}


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "CODECARBON_LOG_LEVEL": "error", "MPLBACKEND": "agg"}


def sphinx_build(source: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``sphinx-build -W --keep-going -E -b html SOURCE OUT`` in a subprocess; its output and exit code."""
    return subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-b", "html", "-d",
                           str(out / ".doctrees"), *extra, str(source), str(out)],
                          capture_output=True, text=True, env=_env(), timeout=900)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "html"
    done = sphinx_build(DOCS, out)
    assert done.returncode == 0, (done.stdout + done.stderr)[-8000:]
    assert "WARNING" not in done.stderr, done.stderr[-8000:]
    return out


class _Links(HTMLParser):
    """The links (``a href``, ``iframe src``) and the element ids of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.resources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "iframe" and a.get("src"):
            self.links.append(a["src"])
        if tag in ("script", "img", "iframe") and a.get("src"):
            self.resources.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "preload", "icon"):
            self.resources.append(a["href"])


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    return parser


def _pages(site: Path) -> list[Path]:
    skip = ("_static", "_sources", "_downloads", "_images", ".doctrees")
    return [p for p in sorted(site.rglob("*.html")) if not any(part in skip for part in p.relative_to(site).parts)]


def _target(site: Path, page: Path, href: str) -> tuple[Path, str] | None:
    """The file and fragment a local link points to; None for an external one."""
    url = urlparse(href)
    if url.scheme or url.netloc or href.startswith("mailto:"):
        return None
    path, fragment = urldefrag(href)
    file = page if not path else (page.parent / unquote(path)).resolve()
    if file.is_dir():
        file = file / "index.html"
    return file, unquote(fragment)


@pytest.mark.slow
def test_the_docs_build_offline_with_warnings_as_errors_and_run_the_gallery(site: Path):
    gallery = site / "auto_examples"
    for example in sorted((DOCS / "examples").glob("plot_*.py")):
        page = (gallery / f"{example.stem}.html").read_text(encoding="utf-8")
        assert "sphx-glr-script-out" in page, f"{example.name} shows no output: did it run?"
    first = (gallery / "plot_first_audit.html").read_text(encoding="utf-8")
    assert "status: fail | exit code: 1" in first  # the example's audit ran at build time and its output is on the page
    assert (site / "first-audit" / "report.html").is_file()  # the real report it wrote is published beside it
    assert "<svg" in first  # and one of the report's own figures is shown
    monitoring = (gallery / "plot_monitoring.html").read_text(encoding="utf-8")
    assert "first failing window: 2026-02-23" in monitoring and "<svg" in monitoring  # the windowed audit ran, its timeline shown
    judgement = (gallery / "plot_judgement.html").read_text(encoding="utf-8")
    assert "sphx-glr-single-img" in judgement or "sphx_glr_plot_judgement_001" in judgement  # its matplotlib figure


@pytest.mark.slow
def test_every_internal_link_resolves_and_every_page_is_two_clicks_from_the_landing_page(site: Path):
    pages = _pages(site)
    parsed = {p.resolve(): _parse(p) for p in pages}
    broken = []
    for page, links in parsed.items():
        for href in links.links:
            target = _target(site, page, href)
            if target is None:
                continue
            file, fragment = target
            if not file.exists():
                broken.append(f"{page.relative_to(site)}: {href} (no such file)")
            elif fragment and file.suffix == ".html":
                ids = parsed[file].ids if file in parsed else _parse(file).ids
                if fragment not in ids:
                    broken.append(f"{page.relative_to(site)}: {href} (no such anchor)")
    assert not broken, "\n".join(broken[:40])

    index = (site / "index.html").resolve()
    depth = {index: 0}
    queue = deque([index])
    while queue:
        page = queue.popleft()
        if depth[page] == 2 or page not in parsed:
            continue
        for href in parsed[page].links:
            target = _target(site, page, href)
            if target is not None and target[0].suffix == ".html" and target[0] not in depth:
                depth[target[0]] = depth[page] + 1
                queue.append(target[0])
    far = [str(p.relative_to(site)) for p in parsed if p not in depth and p.name not in SPECIAL]
    assert not far, f"pages more than two clicks from the landing page (or orphaned): {far}"
    assert len(parsed) > 40  # the walk covered a real site: every check, tutorial, how-to and reference page


@pytest.mark.slow
def test_the_built_site_needs_nothing_from_the_network(site: Path):
    remote = []
    for page in _pages(site):
        for resource in _parse(page).resources:
            if urlparse(resource).scheme in ("http", "https") or resource.startswith("//"):
                remote.append(f"{page.relative_to(site)}: {resource}")
    assert not remote, remote[:20]


@pytest.mark.slow
def test_the_inventory_holds_every_cli_option_check_option_public_name_and_provision(site: Path):
    from sphinx.util.inventory import InventoryFile

    with open(site / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", lambda base, uri: uri)
    data = getattr(inventory, "data", inventory)
    python = {name for kind in ("py:class", "py:function", "py:data", "py:exception", "py:attribute") for name in data.get(kind, {})}
    for module, names in raudit_docs.public_names().items():
        assert {f"{module}.{n}" for n in names} <= python, module
    cmdoptions = set(data["std:cmdoption"])
    for prog, opt in raudit_docs.cli_options():
        assert f"{prog} {opt}" in cmdoptions or f"{prog}.{opt}" in cmdoptions, (prog, opt)
    assert raudit_docs.check_options() <= set(data[f"std:{raudit_docs.CHECK_OPTION}"])
    labels = set(data["std:label"])
    assert {f"provision-{raudit_docs._anchor(rid)}" for rid in raudit_docs.provisions()} <= labels
    assert {f"check-{c.name}" for c in raudit_docs.checks()} <= labels


def _complete() -> dict[str, set]:
    """Everything the coverage check expects, as if the build had documented all of it."""
    return {"python": {f"{m}.{n}" for m, names in raudit_docs.public_names().items() for n in names},
            "cli": raudit_docs.cli_options(), "checkopt": raudit_docs.check_options(),
            "provision": set(raudit_docs.provisions())}


def test_the_coverage_check_is_quiet_when_everything_is_documented():
    assert raudit_docs.missing(_complete()) == []


@pytest.mark.parametrize(("kind", "item", "said"), [
    ("python", "raudit.plugin.judge", "raudit.plugin.judge is public"),
    ("python", "raudit.audit", "raudit.audit is public"),
    ("cli", ("raudit-audit", "--target"), "CLI option --target of `raudit audit`"),
    ("cli", ("raudit-ledger-add", "--key"), "CLI option --key of `raudit ledger add`"),
    ("checkopt", "fairness.selection_rate_ratio_min", "check option fairness.selection_rate_ratio_min"),
    ("provision", "EU-AIA-14", "provision EU-AIA-14"),
])
def test_the_coverage_check_names_what_is_missing(kind, item, said):
    documented = _complete()
    documented[kind] = documented[kind] - {item}
    assert [line for line in raudit_docs.missing(documented) if said in line], raudit_docs.missing(documented)


def test_a_new_option_or_command_is_expected_without_an_edit(monkeypatch):
    """The expectations come from the code: an option added to a command is expected in the reference at once."""
    import click

    from raudit.cli import main

    extra = click.Option(["--brand-new"], help="an option nobody documented by hand")
    monkeypatch.setattr(main.commands["diff"], "params", [*main.commands["diff"].params, extra])
    assert ("raudit-diff", "--brand-new") in raudit_docs.cli_options()
    assert raudit_docs.cli_options() >= {("raudit-audit", "--target"), ("raudit-audit", "MODEL")}
    assert "privacy.delta" in raudit_docs.check_options()


def test_references_to_private_paths_resolve_to_the_public_name_or_fail():
    assert raudit_docs._lookup("raudit.stats.judgement.judge") == (True, __import__("raudit.plugin").plugin.judge)
    assert raudit_docs._lookup("raudit.plugin.Verdict.rows_to_decide")[0]
    assert raudit_docs._lookup("raudit.stats.judgement.no_such_name") == (False, None)
    aliases = raudit_docs._public_aliases()
    from raudit.stats.judgement import judge

    assert aliases[id(judge)] == "raudit.plugin.judge"


def test_the_api_groups_follow_the_comments_of_all():
    groups = dict(raudit_docs.all_groups("raudit.plugin"))
    import raudit.plugin

    assert sorted(n for names in groups.values() for n in names) == sorted(raudit.plugin.__all__)
    assert "judge" in groups["judgement"] and "Check" in groups["the contract"]


@pytest.mark.slow
def test_a_failing_gallery_example_fails_the_build(tmp_path: Path):
    """A small site with the documentation's own gallery settings and an example that raises: the build must fail."""
    import runpy

    conf = runpy.run_path(str(DOCS / "conf.py"))
    source = tmp_path / "src"
    (source / "examples").mkdir(parents=True)
    (source / "examples" / "GALLERY_HEADER.rst").write_text("Examples\n========\n", encoding="utf-8")
    (source / "examples" / "plot_broken.py").write_text('"""\nBroken\n======\n"""\nraise RuntimeError("broken example")\n',
                                                        encoding="utf-8")
    gallery = {k: v for k, v in conf["sphinx_gallery_conf"].items() if k != "reference_url"}
    (source / "conf.py").write_text(f"extensions = ['sphinx_gallery.gen_gallery']\nsphinx_gallery_conf = {gallery!r}\n",
                                    encoding="utf-8")
    (source / "index.rst").write_text("Site\n====\n\n.. toctree::\n\n   auto_examples/index\n", encoding="utf-8")
    done = sphinx_build(source, tmp_path / "out")
    assert done.returncode != 0 and "broken example" in done.stdout + done.stderr
    assert conf["sphinx_gallery_conf"]["abort_on_example_error"] and conf["nitpicky"]


def test_the_readme_is_a_short_front_door_with_the_two_commands_unchanged():
    """README.md stays under 150 lines, its two commands intact, and every file it links to exists."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 150
    commands = [line for line in text.splitlines() if line.startswith("bash ")]
    assert commands[:2] == [
        "bash examples/quickstart.sh      # 1. set up, generate the example data, train the example model, audit it",
        "bash scripts/test.sh             # 2. install what the tests need and run them (CI runs exactly this)",
    ]
    links = re.findall(r"\]\(([^)#]+)\)", text)
    assert len(links) > 10 and not [link for link in links if not (ROOT / link).exists()]
    assert (ROOT / "examples" / "quickstart.sh").is_file() and (ROOT / "scripts" / "test.sh").is_file()
