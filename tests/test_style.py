"""The code base passes ruff (pyflakes, pycodestyle, bugbear, numpydoc docstrings) and mypy, as configured in pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    done = subprocess.run([ruff, "check", "raudit", "tests", "examples", "benchmarks", "scripts", "docs"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean():
    mypy = Path(sys.executable).parent / "mypy"
    if not mypy.exists():
        pytest.skip("mypy is not installed (pip install -e '.[dev]')")
    done = subprocess.run([str(mypy)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


#: A function longer than this (lines, docstring included) or more complex (radon's cyclomatic complexity) needs a reason.
MAX_LINES, MAX_COMPLEXITY = 60, 15


def test_long_or_complex_functions_say_why():
    """Every function over 60 lines or of cyclomatic complexity over 15 carries a one-line ``# size:`` reason.

    The reason stands on its signature or on the comment line right above the function (and its decorators).
    """
    import ast

    radon = pytest.importorskip("radon.complexity")
    unexplained = []
    for path in sorted((ROOT / "raudit").rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        complexity = {}
        for block in radon.cc_visit(source):
            for b in [block, *getattr(block, "methods", []), *getattr(block, "closures", [])]:
                complexity[(b.name, b.lineno)] = b.complexity
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            size, cc = node.end_lineno - node.lineno + 1, complexity.get((node.name, node.lineno), 0)
            if size <= MAX_LINES and cc <= MAX_COMPLEXITY:
                continue
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            signature = "\n".join(lines[first - 2: node.body[0].lineno - 1])
            if "# size: " not in signature:
                unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({size} lines, complexity {cc})")
    assert not unexplained, "give each a reason (# size: ...) on its def line, or split it:\n" + "\n".join(unexplained)
