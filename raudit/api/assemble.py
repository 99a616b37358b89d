"""Put a report together from what the checks found and what the preparation recorded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from raudit.config import AuditConfig
from raudit.engine.roles import Roles
from raudit.report.compliance import compliance_matrix, model_card_section
from raudit.report.report import Report
from raudit.report.results import CheckResult

__all__ = ["assemble", "effective_config"]


def effective_config(config: AuditConfig, roles: Roles) -> dict[str, Any]:
    """The configuration a report records: the user's settings, with the target and sensitive columns as resolved."""
    return {**config.to_dict(), **roles.as_settings()}


def assemble(results: Sequence[CheckResult], *, lineage: Mapping[str, Any], config: AuditConfig, roles: Roles,
             evidence: Mapping[str, Mapping[str, str]], title: str = "Responsible-AI audit",
             template_dirs: tuple[str, ...] = ()) -> Report:
    """The :class:`Report` of an audit or a comparison: results, lineage, effective config, model card, compliance map.

    Parameters
    ----------
    evidence : mapping
        Check name → the requirement ids it declares evidence for (the compliance map's rows).
    template_dirs : tuple of str
        Template folders of third-party checks, for the HTML renderer.
    """
    card = model_card_section(config.model_card)
    compliance = compliance_matrix(results, evidence, model_card=card, lineage=lineage, signed=config.output.sign_key is not None,
                                   general_purpose=config.model_card.get("general_purpose_ai") is True)
    return Report(results=tuple(results), lineage=lineage, config=effective_config(config, roles), model_card=card,
                  compliance=compliance, title=title, template_dirs=template_dirs)
