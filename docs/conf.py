"""Sphinx configuration of raudit's documentation.

Build it (offline, warnings as errors, as the tests do)::

    .venv/bin/sphinx-build -W --keep-going -b html docs docs/_build/html
    python -m http.server -d docs/_build/html 8000      # then open http://127.0.0.1:8000

Why these tools: Sphinx with pydata-sphinx-theme and numpydoc is what fairlearn, scikit-learn and shap use (the pages
our readers already know, and our docstrings are numpydoc); sphinx-gallery runs each example as a plain Python script
at build time and puts its output (text, tables, the report's figures) into the page, so a broken example breaks the
build; the examples stay ordinary scripts that ruff checks and anyone can run, with no Jupyter kernel to start (MyST-NB
would need one, and notebooks' JSON diffs badly). myst-parser lets the hand-written pages be Markdown like the README
they came from; sphinx-click documents every command and option from the click commands themselves.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("RAUDIT_DISABLE_PLUGIN_AUTOLOAD", "1")  # document raudit's own checks, not whatever is installed
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("CODECARBON_LOG_LEVEL", "error")
#: Where the gallery examples write the report sets they produce; copied beside the pages (html_extra_path).
REPORTS = HERE / "_reports"
REPORTS.mkdir(exist_ok=True)
os.environ["RAUDIT_DOCS_REPORTS"] = str(REPORTS)

import raudit  # noqa: E402

project = "raudit"
author = "raudit developers"
copyright = "raudit developers"  # noqa: A001
release = raudit.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
    "sphinx_click",
    "sphinx_gallery.gen_gallery",
    "raudit_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_reports", "examples", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5",
                    "auto_examples/*.codeobj.json"]
templates_path: list[str] = []

# -- warnings as errors, nitpicky for our own references ----------------------------------------------------------------
nitpicky = True
# Types named in signatures and docstrings that belong to other projects: offline there is no inventory to link them to.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|pandas|pd|scipy|sklearn|click|collections|typing|pathlib|datetime|dataclasses|abc|"
               r"distributed|mlflow|jsonschema|cryptography|starlette|sqlalchemy|os|io|enum|contextlib|threadpoolctl|importlib)(\..*)?"),
    (r"py:.*", r"(Any|Path|Mapping|Sequence|Iterable|Iterator|Callable|Literal|Self|ClassVar|Final|TypeAlias|"
               r"NDArray|ndarray|DataFrame|Series|Counter|Enum|Hashable|Generator|frozenset|tuple|list|dict|set|int|"
               r"float|str|bool|bytes|object|type|None|callable|optional|array|array-like|mapping|sequence|iterable|"
               r"default|estimator|path|of|or|and|shape|function|protocol|Ellipsis|NotImplementedType)"),
]
suppress_warnings: list[str] = []

# -- autodoc, numpydoc ----------------------------------------------------------------------------------------------------
autodoc_typehints = "none"  # numpydoc docstrings name the types in words; annotations would repeat them unresolvable offline
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True}
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

# -- sphinx-click --------------------------------------------------------------------------------------------------------
# (the CLI reference is reference/cli.rst: `.. click:: raudit.cli:main`, nested: full)

# -- sphinx-gallery: the examples run at build time -------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "remove_config_comments": True,
    "capture_repr": ("_repr_html_", "__repr__"),
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "plot_gallery": "True",
    "show_memory": False,
    "show_signature": False,
    "min_reported_time": 1,
    "write_computation_times": False,
    "within_subsection_order": "FileNameSortKey",
    "reference_url": {"raudit": None},
}

# -- HTML --------------------------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"raudit {release}"
html_static_path = ["_static"]
html_css_files = ["raudit.css"]
html_extra_path = ["_reports"]
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "icon_links": [],
    "use_edit_page_button": False,
    "show_prev_next": True,
}
html_sidebars = {"index": [], "**": ["sidebar-nav-bs"]}
html_context = {"default_mode": "light"}

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
