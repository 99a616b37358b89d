"""The direction of the code holds: import contracts (import-linter), no cycles, checks that use only the public toolkit."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"


def _lint(where: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contracts on the ``raudit`` package found in ``where`` (it puts its folder first on the path)."""
    if not LINT.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    return subprocess.run([str(LINT), "--no-cache", "--config", str(ROOT / "pyproject.toml")], cwd=where, capture_output=True,
                          text=True, timeout=300)


def test_the_import_contracts_hold():
    done = _lint()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 4 kept, 0 broken." in done.stdout


def test_a_planted_violation_breaks_them(tmp_path):
    """The contracts are not vacuous: a statistic importing the CLI, a check past the toolkit, the core importing a check, a cycle."""
    copy = tmp_path / "raudit"
    shutil.copytree(ROOT / "raudit", copy, ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / "stats" / "exact.py", "a") as fh:
        fh.write("\nfrom raudit.cli import main  # planted: a statistic importing the command line\n")
    with open(copy / "checks" / "lineage.py", "a") as fh:
        fh.write("\nfrom raudit.engine.context import AuditContext as _Planted  # planted: a check past the toolkit\n")
    with open(copy / "comparison" / "analysis.py", "a") as fh:
        fh.write("\nfrom raudit.checks.fairness import FairnessOptions as _Planted  # planted: the core importing a check\n")
    with open(copy / "api" / "runner.py", "a") as fh:
        fh.write("\nfrom raudit.api.audit import audit as _cycle  # planted: runner -> audit -> runner\n")
    done = _lint(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "raudit.stats is not allowed to import raudit.cli" in out
    assert "raudit.checks is not allowed to import raudit.engine" in out
    assert "raudit.comparison is not allowed to import raudit.checks" in out
    assert "No cycles are allowed in raudit.api" in out
    assert "Contracts: 0 kept, 4 broken." in out


def _raudit_imports(path: Path) -> list[tuple[int, str]]:
    """Every import of a raudit module in ``path``, at any depth (functions included), resolved to absolute names."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "raudit"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "raudit":
            found += [(node.lineno, f"{node.module}.{a.name}" if node.module == "raudit" else node.module) for a in node.names]
    return found


def test_built_in_checks_import_only_the_public_toolkit():
    """What a built-in check imports from raudit, a third-party check can import too: raudit.plugin (and its own helpers)."""
    checks = sorted((ROOT / "raudit" / "checks").glob("*.py"))
    assert len(checks) >= 10
    bad = [f"{p.name}:{line}: {name}" for p in checks for line, name in _raudit_imports(p)
           if not (name == "raudit.plugin" or name.startswith("raudit.checks"))]
    assert not bad, "checks must import raudit.plugin only:\n" + "\n".join(bad)
    private = [f"{p.name}:{line}: {name}" for p in checks for line, name in _raudit_imports(p)
               if any(part.startswith("_") and not part.startswith("__") for part in name.split(".")[1:2])]
    assert not private


def test_the_example_plugin_uses_the_toolkit_too():
    names = [name for p in (ROOT / "examples" / "plugin" / "raudit_example_plugin").rglob("*.py") for _, name in _raudit_imports(p)]
    assert names and set(names) == {"raudit.plugin"}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        top = stack.pop()
                        on.discard(top)
                        component.append(top)
                        if top == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on:
                low[node] = min(low[node], index[child])
    return out


def test_no_module_of_raudit_is_part_of_an_import_cycle():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("raudit", exclude_type_checking_imports=True)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert len(edges) > 80
    assert _cycles(edges) == []
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]  # the search finds a planted one


def test_every_built_in_check_has_the_one_shape():
    """Typed options, validate, analyse -> frozen analysis, present -> CheckResult; run is the base class's composition."""
    import dataclasses
    import tomllib

    from raudit.api.plugins import discover
    from raudit.engine.check import Check
    from raudit.options import Options

    registered = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["entry-points"]["raudit.checks"]
    builtin = [p.check for p in discover() if p.package == "raudit"]
    assert sorted(c.name for c in builtin if c is not None) == sorted(registered) and len(builtin) >= 9
    for check in builtin:
        assert check is not None
        assert check.run is Check.run, f"{check.name} overrides run()"
        assert check.analyse is not Check.analyse and check.present is not Check.present, check.name
        assert issubclass(check.Options, Options) and dataclasses.is_dataclass(check.Options), check.name
        assert check.Options.__dataclass_params__.frozen, check.name  # type: ignore[attr-defined]
        hints = check.analyse.__annotations__.get("return")
        assert hints, f"{check.name}.analyse() declares what it returns"
