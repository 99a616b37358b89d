"""The parts of raudit's documentation that the code already knows, generated at build time, and the checks that keep them whole.

Nothing here is written by hand twice: the pages come from the code, so a new check, option, command
or provision appears in the documentation without an edit, and the build fails (a warning, built with
``-W``) when something public is left undocumented.

- **Check pages** (``reference/checks/NAME.rst``, written when the build starts): every check the
  ``raudit.checks`` entry points give, built-in or installed plugin of raudit's own package, with its
  module's docstring, what it needs, the provisions it gives evidence for and every option of its
  ``Options`` dataclass (:func:`raudit.options.describe`).
- **Directives**: ``raudit-options`` (an ``Options`` dataclass as a table and one target per option),
  ``raudit-schema`` (a shipped JSON Schema, object by object), ``raudit-evidence-map`` (the
  catalogue of ``raudit.report.compliance.REQUIREMENTS``, one entry per provision, with the checks
  that declare evidence for it) and ``raudit-exit-codes``.
- **Coverage** (when the build has read every page): every name of ``raudit.__all__`` and
  ``raudit.plugin.__all__`` documented, every option of every command and subcommand of the CLI in the
  CLI reference, every check option and every provision given a target. What is missing is a
  warning, so ``sphinx-build -W`` fails.
- **References**: a reference to ``raudit.<private module>.name`` resolves to the public name of the
  same object (``raudit.plugin.judge`` for ``raudit.stats.judgement.judge``); one to an internal name
  that exists is shown as code without a link; one to a name that does not exist is a warning.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

#: The public namespaces whose every name must be documented, and where.
PUBLIC = ("raudit", "raudit.plugin")
#: The option object type registered with Sphinx: ``.. check-option:: NAME.OPTION`` and ``:checkoption:`NAME.OPTION```.
CHECK_OPTION = "check-option"
#: Where the generated check pages go, under the documentation's source folder.
CHECK_PAGES = Path("reference") / "checks"


# -- what the code declares ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckDoc:
    """One check as documented: its name, class, entry point and package."""

    name: str
    check: Any
    value: str
    package: str


def checks() -> list[CheckDoc]:
    """The checks of raudit's own package, in report order, as the entry points give them (a check that fails to load is an error)."""
    from raudit.api.plugins import discover

    found = []
    for p in discover():
        if p.package != "raudit":
            continue
        if p.check is None:
            raise RuntimeError(f"check {p.name!r} failed to load: {p.error}")
        found.append(CheckDoc(p.name, p.check, p.value, p.package))
    return found


def public_names() -> dict[str, list[str]]:
    """Each public namespace's ``__all__``: the names the API reference must document."""
    return {module: sorted(importlib.import_module(module).__all__) for module in PUBLIC}


def cli_options() -> set[tuple[str, str]]:
    """Every (program, option) of the CLI: ``("raudit-audit", "--target")``, ``("raudit-ledger-add", "--key")``, ...

    Programs are named as Sphinx's ``program`` directive registers them (words joined by ``-``); an argument by the
    first word of its metavar (``MODEL`` of ``MODEL DATA``), as sphinx-click documents it.
    """
    import click

    from raudit.cli import main

    found: set[tuple[str, str]] = set()

    def walk(command: click.Command, prog: str) -> None:
        for param in command.params:
            if isinstance(param, click.Option):
                found.update((prog, opt) for opt in (*param.opts, *param.secondary_opts))
            else:
                found.add((prog, param.human_readable_name.split()[0]))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{prog}-{name}")

    walk(main, "raudit")
    return found


def check_options() -> set[str]:
    """Every ``check.option`` name the check pages must document."""
    from raudit.options import describe

    return {f"{c.name}.{d.name}" for c in checks() for d in describe(c.check.Options)}


def provisions() -> dict[str, tuple[str, str]]:
    """The evidence map's catalogue, and the provisions a check declares that are not in it (a plugin's own)."""
    from raudit.report.compliance import REQUIREMENTS

    known = dict(REQUIREMENTS)
    for c in checks():
        for rid in c.check.evidence:
            known.setdefault(rid, ("plugin", rid))
    return known


def missing(documented: Mapping[str, Iterable[Any]]) -> list[str]:
    """What the code declares public and the built documentation lacks, one line each (empty: complete).

    Parameters
    ----------
    documented : mapping
        ``"python"``: documented Python object names; ``"cli"``: documented (program, option) pairs;
        ``"checkopt"``: documented ``check.option`` names; ``"provision"``: provision ids with an entry.
    """
    lines = []
    python = set(documented.get("python", ()))
    for module, names in public_names().items():
        lines += [f"{module}.{n} is public (in {module}.__all__) but not documented in the API reference"
                  for n in names if f"{module}.{n}" not in python]
    cli = set(documented.get("cli", ()))
    lines += [f"CLI option {opt} of `{prog.replace('-', ' ')}` is missing from the CLI reference"
              for prog, opt in sorted(cli_options() - cli)]
    opts = set(documented.get("checkopt", ()))
    lines += [f"check option {o} is missing from the check reference" for o in sorted(check_options() - opts)]
    ids = set(documented.get("provision", ()))
    lines += [f"provision {rid} has no entry in the evidence map" for rid in provisions() if rid not in ids]
    return lines


# -- generated text ----------------------------------------------------------------------------------------------------
def _code(value: str) -> str:
    """Inline code that survives any backquote in ``value``."""
    return f"``{value}``" if "`" not in value else f":code:`{value}`"


def _escape(text: str) -> str:
    """Plain text for reST: ``*`` and ``|`` and backslashes are not markup."""
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("|", "\\|").replace("`", "\\`")


def _indent(text: str, by: str = "   ") -> list[str]:
    return [by + line if line.strip() else "" for line in text.splitlines()]


def options_rst(options: type, prefix: str, table: str) -> list[str]:
    """An ``Options`` dataclass as reST: a summary table, then one ``check-option`` entry per option."""
    from raudit.options import describe

    docs = describe(options)
    if not docs:
        return ["This check takes no options.", ""]
    also = "; ``raudit checks --options`` prints the same list" if table.startswith("check.") else ""
    lines = [f"Set in the ``[{table}]`` table of ``raudit.toml``{also}. A wrong name, type or value stops raudit before any "
             "work, with exit code 2 and the key named.", "",
             ".. list-table::", "   :header-rows: 1", "   :widths: 25 20 55", "",
             "   * - option", "     - default", "     - type and range"]
    for d in docs:
        kind = d.type + (f", {d.range}" if d.range else "")
        lines += [f"   * - :{CHECK_OPTION.replace('-', '')}:`{d.name} <{prefix}.{d.name}>`", f"     - {_code(d.default_text)}",
                  f"     - {_escape(kind)}"]
    lines.append("")
    for d in docs:
        kind = d.type + (f", {d.range}" if d.range else "")
        lines += [f".. {CHECK_OPTION}:: {prefix}.{d.name}", "",
                  f"   {_escape(d.doc)}", "", f"   *{_escape(kind)}*; default {_code(d.default_text)}", ""]
    return lines


def check_page(c: CheckDoc) -> str:
    """The reference page of one check."""
    import inspect

    module = importlib.import_module(c.check.__module__)
    doc = inspect.cleandoc(module.__doc__ or "")
    title = f"{c.name}: {c.check.title}"
    needs = ", ".join(f"``{r}``" for r in sorted(c.check.requires)) or "nothing beyond a model and data"
    lines = [f".. _check-{c.name}:", "", title, "=" * len(title), "", f".. currentmodule:: {c.check.__module__}", ""]
    lines += [*doc.splitlines(), "", ":Config table: " + _code(f"[check.{c.name}]"), f":Needs: {needs}",
              ":Entry point: " + _code(f"{c.name} = \"{c.value}\""), f":Report order: {c.check.order}", ""]
    lines += ["Evidence", "--------", "",
              "The provisions of the :doc:`evidence map </reference/evidence-map>` this check declares evidence for "
              "(a run may mark one *partial*):", ""]
    lines += [f"- :ref:`{rid} <provision-{_anchor(rid)}>`: {_escape(what)}" for rid, what in c.check.evidence.items()]
    if not c.check.evidence:
        lines.append("- none")
    lines += ["", "Options", "-------", "", *options_rst(c.check.Options, c.name, f"check.{c.name}")]
    return "\n".join(lines) + "\n"


def checks_index(found: list[CheckDoc]) -> str:
    """The index of the check pages: one row per check, in report order."""
    lines = [".. _check-reference:", "", "Checks", "======", "",
             "Every check raudit ships, generated from the code: what it measures (its module's documentation), "
             "what it needs, the provisions it gives evidence for and every option with its type, default and range. "
             "Thresholds are options: set them in the check's ``[check.NAME]`` table. How a check turns a measurement "
             "into pass, fail or inconclusive is :doc:`the one rule </explanations/judgement>`.", "",
             ".. toctree::", "   :hidden:", "", *[f"   {c.name}" for c in found], "",
             ".. list-table::", "   :header-rows: 1", "   :widths: 20 30 50", "", "   * - check", "     - title", "     - needs"]
    for c in found:
        needs = ", ".join(sorted(c.check.requires)) or "-"
        lines += [f"   * - :doc:`{c.name}`", f"     - {_escape(c.check.title)}", f"     - {needs}"]
    return "\n".join(lines) + "\n"


def _anchor(rid: str) -> str:
    """A provision id as a label: ``EU-AIA-10.2.f`` -> ``eu-aia-10-2-f``."""
    return rid.lower().replace(".", "-")


def evidence_map_rst() -> list[str]:
    """The evidence-map catalogue: per framework, one entry per provision with the checks that declare evidence for it."""
    from raudit.report.compliance import APPLIES, JUDGEMENT, compliance_matrix

    by_check: dict[str, list[tuple[str, str]]] = {}
    for c in checks():
        for rid, what in c.check.evidence.items():
            by_check.setdefault(rid, []).append((c.name, what))
    own = _report_own_evidence(compliance_matrix)
    lines: list[str] = []
    frameworks: dict[str, list[tuple[str, str]]] = {}
    for rid, (framework, title) in provisions().items():
        frameworks.setdefault(framework, []).append((rid, title))
    for framework, rows in frameworks.items():
        lines += [framework, "-" * len(framework), ""]
        for rid, title in rows:
            lines += [f".. _provision-{_anchor(rid)}:", "", f"``{rid}``", "~" * (len(rid) + 4), "", f"**{_escape(title)}**", ""]
            for name, what in by_check.get(rid, []):
                lines.append(f"- :ref:`{name} <check-{name}>`: {_escape(what)}")
            lines += [f"- the report's {where.lower()}: {_escape(what)}" for where, what in own.get(rid, [])]
            if rid not in by_check and rid not in own:
                lines.append("- no check gives evidence for it: the status is always *no evidence from raudit*")
            lines.append("")
            if rid in JUDGEMENT:
                lines += [f"At most *partial evidence*: {_escape(JUDGEMENT[rid])}.", ""]
            if rid in APPLIES:
                lines += [f"*Not applicable* unless it applies: {_escape(APPLIES[rid][1])}.", ""]
    return lines


def _report_own_evidence(compliance_matrix: Any) -> dict[str, list[tuple[str, str]]]:
    """What the report itself (lineage, signature, model card) gives as evidence, per provision, for a complete signed run."""
    lineage = {"model_file": {"sha256": "0" * 64}, "data_file": {"sha256": "0" * 64}, "created_utc": "2026-01-01T00:00:00Z",
               "versions": {"raudit": "x"}}
    card = {"fields": [{"key": "intended_use"}], "gaps": []}
    matrix = compliance_matrix([], {}, model_card=card, lineage=lineage, signed=True)
    own: dict[str, list[tuple[str, str]]] = {}
    for row in matrix["rows"]:
        for e in row["evidence"]:
            own.setdefault(row["id"], []).append((e["section"], e["what"]))
    return own


def _words(schema: Mapping[str, Any]) -> str:
    """A JSON Schema node's type in a few words."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f":ref:`{name} <schema-{{schema}}-{name}>`"
    if "enum" in schema:
        return "one of " + ", ".join(_code(json.dumps(v)) for v in schema["enum"])
    if "anyOf" in schema or "oneOf" in schema:
        return " or ".join(_words(s) for s in schema.get("anyOf", schema.get("oneOf", [])))
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    text = " or ".join(kinds)
    if "array" in kinds and "items" in schema:
        text += " of " + _words(schema["items"])
    if "object" in kinds and isinstance(schema.get("additionalProperties"), dict):
        text += " of " + _words(schema["additionalProperties"])
    if "pattern" in schema:
        text += f" matching {_code(schema['pattern'])}"
    return text


def _object_rst(name: str, node: Mapping[str, Any], key: str) -> list[str]:
    """One object of a schema: its properties as a table."""
    lines = [f".. _schema-{key}-{name}:", "", f"``{name}``", "^" * (len(name) + 4), ""]
    if node.get("description"):
        lines += [_escape(node["description"]), ""]
    props = node.get("properties", {})
    if not props:
        return [*lines, f"Type: {_words(node).replace('{schema}', key)}.", ""]
    required = set(node.get("required", ()))
    lines += [".. list-table::", "   :header-rows: 1", "   :widths: 25 10 65", "", "   * - property", "     - required",
              "     - type"]
    for prop, sub in props.items():
        text = _words(sub).replace("{schema}", key)
        if sub.get("description"):
            text += " — " + _escape(sub["description"])
        lines += [f"   * - ``{prop}``", f"     - {'yes' if prop in required else 'no'}", f"     - {text}"]
    extra = node.get("additionalProperties", True)
    lines += ["", "Other properties: " + ("allowed." if extra is not False else "none (a report with one is invalid)."), ""]
    return lines


def schema_rst(key: str) -> list[str]:
    """A shipped JSON Schema (``report`` or ``profile``) as reST: the document, then each definition."""
    from importlib.resources import files

    schema = json.loads(files("raudit.schema").joinpath(f"{key}.schema.json").read_text(encoding="utf-8"))
    lines = [_escape(schema.get("description", "")), "", f"Dialect: {_code(schema.get('$schema', ''))}; "
             f"file: ``raudit/schema/{key}.schema.json`` (shipped in the package).", ""]
    lines += _object_rst(schema.get("title", key), schema, key)
    for name, node in schema.get("$defs", {}).items():
        lines += _object_rst(name, node, key)
    return lines


# -- Sphinx: directives, generated pages, coverage, references ------------------------------------------------------------
class _RstDirective(SphinxDirective):
    """A directive whose output is generated reST, parsed in place: subclasses implement ``lines``."""

    def lines(self) -> list[str]:
        """The reST to parse in place of the directive."""
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        container = nodes.section() if getattr(self, "as_section", False) else nodes.container()
        container.document = self.state.document
        self.state.nested_parse(StringList(self.lines(), source=f"<{self.name}>"), self.content_offset, container,
                                match_titles=True)
        return container.children


class OptionsDirective(_RstDirective):
    """``.. raudit-options:: module:Class PREFIX TABLE``: an ``Options`` dataclass, documented."""

    required_arguments = 3

    def lines(self) -> list[str]:  # noqa: D102
        module, _, name = self.arguments[0].partition(":")
        return options_rst(getattr(importlib.import_module(module), name), self.arguments[1], self.arguments[2])


def all_groups(module: str) -> list[tuple[str, list[str]]]:
    """A module's ``__all__`` in its groups: each ``# comment`` line inside the list starts one (none: one group)."""
    import ast
    import inspect

    mod = importlib.import_module(module)
    source = inspect.getsource(mod)
    tree = ast.parse(source)
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets))
    lines = source.splitlines()[node.lineno - 1: node.end_lineno]
    groups: list[tuple[str, list[str]]] = [("", [])]
    for line in lines:
        text = line.strip()
        if text.startswith("#"):
            groups.append((text.lstrip("# ").split(":")[0].strip(), []))
        groups[-1][1].extend(ast.literal_eval(f"[{m}]")[0] for m in _quoted(text.split("#")[0]))
    return [(title, names) for title, names in groups if names]


def _quoted(text: str) -> list[str]:
    """The quoted names on one line of an ``__all__`` list."""
    import re

    return re.findall(r"\"[^\"]+\"|'[^']+'", text)


def api_rst(module: str, *, elsewhere: Mapping[int, str]) -> list[str]:
    """Autodoc directives for every name of ``module.__all__``, in its groups; a name documented elsewhere links there."""
    import inspect

    mod = importlib.import_module(module)
    lines = [f".. currentmodule:: {module}", ""]
    groups = all_groups(module)
    if len(groups) == 1 and not groups[0][0]:  # no comments in __all__: group by kind, what a reader calls first
        groups = _by_kind(mod, groups[0][1])
    for title, names in groups:
        if title:
            heading = title[0].upper() + title[1:]
            lines += [heading, "-" * len(heading), ""]
        for name in names:
            obj = getattr(mod, name)
            other = elsewhere.get(id(obj))
            if other and other != f"{module}.{name}" and not isinstance(obj, (str, int, float, tuple)):
                role = "class" if inspect.isclass(obj) else "func" if callable(obj) else "data"
                lines += [f".. py:data:: {name}", "   :no-index-entry:", "", f"   The same object as :py:{role}:`{other}`.", ""]
            elif inspect.isclass(obj):
                lines += [f".. autoclass:: {name}", "   :members:", ""]
            elif callable(obj):
                lines += [f".. autofunction:: {name}", ""]
            else:
                lines += [f".. autodata:: {name}", "   :annotation:", ""]
    return lines


def _by_kind(mod: Any, names: list[str]) -> list[tuple[str, list[str]]]:
    """Names grouped as functions, classes, exceptions and the rest, each group in ``__all__`` order."""
    import inspect

    def kind(name: str) -> str:
        obj = getattr(mod, name)
        if inspect.isclass(obj):
            return "exceptions" if issubclass(obj, BaseException) else "classes"
        return "functions" if callable(obj) else "other names"

    order = ("functions", "classes", "exceptions", "other names")
    return [(k, [n for n in names if kind(n) == k]) for k in order if any(kind(n) == k for n in names)]


class ApiDirective(_RstDirective):
    """``.. raudit-api:: raudit.plugin [OTHER]``: every public name of a module; names also public in OTHER link there."""

    required_arguments = 1
    optional_arguments = 1

    def lines(self) -> list[str]:  # noqa: D102
        elsewhere: dict[int, str] = {}
        if len(self.arguments) > 1:
            other = importlib.import_module(self.arguments[1])
            elsewhere = {id(getattr(other, n)): f"{self.arguments[1]}.{n}" for n in other.__all__}
        return api_rst(self.arguments[0], elsewhere=elsewhere)


class SchemaDirective(_RstDirective):
    """``.. raudit-schema:: report``: a shipped JSON Schema, object by object."""

    required_arguments = 1
    def lines(self) -> list[str]:  # noqa: D102
        return schema_rst(self.arguments[0])


class EvidenceMapDirective(_RstDirective):
    """``.. raudit-evidence-map::``: one entry per provision of the catalogue."""

    def lines(self) -> list[str]:  # noqa: D102
        return evidence_map_rst()


class ExitCodesDirective(_RstDirective):
    """``.. raudit-exit-codes::``: the exit codes, from the CLI's documentation of them."""

    def lines(self) -> list[str]:  # noqa: D102
        from raudit.cli.output import EXIT_FAILED, EXIT_INPUT, EXIT_INTERNAL, EXIT_OK

        return [f"- ``{EXIT_OK}``: passed under ``--fail-on`` (default ``fail``: no check failed);",
                f"- ``{EXIT_FAILED}``: a check failed (a check that crashed counts as failed: it certified nothing); "
                "with ``--fail-on warn`` also a warning, and with ``--inconclusive fail`` an inconclusive judgement; "
                "for ``raudit verify`` and ``raudit ledger verify``: something differs or is missing;",
                f"- ``{EXIT_INPUT}``: bad usage or input: the message says what and how to fix it, and no report file "
                "is written;",
                f"- ``{EXIT_INTERNAL}``: an internal error (``--debug`` shows the traceback).", ""]


def _parse_check_option(env: Any, sig: str, signode: Any) -> str:
    """``fairness.min_group_size`` shows as ``min_group_size`` and is registered under its full name."""
    from sphinx import addnodes

    signode += addnodes.desc_name(sig, sig.split(".", 1)[-1])
    return sig


def generate_check_pages(app: Sphinx) -> None:
    """Write ``reference/checks/*.rst`` from the code, leaving unchanged pages untouched (so rebuilds stay incremental)."""
    folder = Path(app.srcdir) / CHECK_PAGES
    folder.mkdir(parents=True, exist_ok=True)
    found = checks()
    pages = {"index.rst": checks_index(found), **{f"{c.name}.rst": check_page(c) for c in found}}
    for stale in set(p.name for p in folder.glob("*.rst")) - set(pages):
        (folder / stale).unlink()
    for name, text in pages.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def documented(env: Any) -> dict[str, set[Any]]:
    """What the build documented: Python objects, CLI options, check options, provision labels."""
    py = set(env.get_domain("py").objects)
    std = env.get_domain("std")
    cli = set(std.progoptions)
    checkopt = {name for (kind, name) in std.objects if kind == CHECK_OPTION}
    provision = {label.removeprefix("provision-") for label in std.labels if label.startswith("provision-")}
    ids = {_anchor(rid): rid for rid in provisions()}
    return {"python": py, "cli": cli, "checkopt": checkopt, "provision": {ids.get(p, p) for p in provision}}


def check_coverage(app: Sphinx, env: Any) -> None:
    """Warn (so ``-W`` fails) for every public name, CLI option, check option or provision the build did not document."""
    for line in missing(documented(env)):
        logger.warning(line, type="raudit", subtype="coverage")


def _public_aliases() -> dict[int, str]:
    """id(object) -> its documented public name, for every public name."""
    aliases: dict[int, str] = {}
    for module, names in public_names().items():
        mod = importlib.import_module(module)
        for n in names:
            aliases.setdefault(id(getattr(mod, n)), f"{module}.{n}")
    return aliases


def _lookup(target: str) -> tuple[bool, Any]:
    """Import ``raudit.a.b.c`` (a module, or an attribute path in one): (found, object or None for a bare field)."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            if hasattr(obj, attr):
                obj = getattr(obj, attr)
            elif isinstance(obj, type) and attr in _fields(obj):
                return True, None  # a dataclass field without a default: no class attribute, but it exists
            else:
                return False, None
        return True, obj
    return False, None


def _fields(cls: type) -> set[str]:
    """The annotated fields of a class and its bases."""
    return {name for klass in cls.__mro__ for name in getattr(klass, "__annotations__", {})}


_NAMES: set[str] = set()


def internal_names() -> set[str]:
    """Every name defined in a loaded raudit module, and every attribute and field of its classes (``Cls.attr`` too)."""
    import sys

    if not _NAMES:
        for modname, module in list(sys.modules.items()):
            if not modname.startswith("raudit") or module is None:
                continue
            for name, value in list(vars(module).items()):
                _NAMES.add(name)
                if isinstance(value, type) and value.__module__ == modname:
                    members = set(vars(value)) | _fields(value)
                    _NAMES.update(members)
                    _NAMES.update(f"{name}.{m}" for m in members)
    return _NAMES


def resolve_internal(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve ``raudit.*`` references autodoc and the docstrings make to private paths (see the module docstring).

    A relative name (``:func:`guessed_id```, written in the module that defines it) is tried in the context the
    reference appears in, then looked for among raudit's names; one raudit has nowhere is left unresolved, a warning.
    """
    if node.get("refdomain") != "py":
        return None
    target, module, klass = node.get("reftarget", ""), node.get("py:module") or "", node.get("py:class") or ""
    if not target.startswith("raudit"):
        if not module.startswith("raudit"):
            return None
        candidates = [f"{module}.{klass}.{target}"] if klass else []
        candidates.append(f"{module}.{target}")
    else:
        candidates = [target]
    for candidate in candidates:
        found, obj = _lookup(candidate)
        if found:
            break
    else:
        if target.startswith("raudit") or target.lstrip("~.") not in internal_names():
            return None  # nitpicky: a reference to a name raudit does not have is a warning
        obj = None
    public = _public_aliases().get(id(obj)) if obj is not None else None
    py = env.get_domain("py")
    if public and public in py.objects:
        return py.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], public, node, contnode)
    return nodes.literal(contnode.astext(), contnode.astext())  # an internal name that exists: code, no link


def skip_class_aliases(app: Sphinx, what: str, name: str, obj: Any, skip: bool, options: Any) -> bool | None:
    """Do not document a class attribute that holds a class (``Check.Options``) as a second copy of that class."""
    if what == "class" and isinstance(obj, type):
        return True
    return None


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives, the option object type and the build hooks."""
    app.add_object_type(CHECK_OPTION, CHECK_OPTION.replace("-", ""), objname="check option",
                        indextemplate="pair: %s; check option", parse_node=_parse_check_option)
    app.add_directive("raudit-options", OptionsDirective)
    app.add_directive("raudit-schema", SchemaDirective)
    app.add_directive("raudit-api", ApiDirective)
    app.add_directive("raudit-evidence-map", EvidenceMapDirective)
    app.add_directive("raudit-exit-codes", ExitCodesDirective)
    app.connect("builder-inited", generate_check_pages)
    app.connect("autodoc-skip-member", skip_class_aliases)
    app.connect("env-check-consistency", check_coverage)
    app.connect("missing-reference", resolve_internal, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
