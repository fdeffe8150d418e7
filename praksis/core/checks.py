"""Deployment checks (`praksis check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def evidence_store(app_configs, **kwargs):
    """Without an evidence store a restored backup could bring erased people back, and a
    rolled-back access log would pass its check (issue 16)."""
    if settings.PRAKSIS_EVIDENCE_DIR and settings.PRAKSIS_EVIDENCE_KEY:
        return []
    return [
        checks.Warning(
            "PRAKSIS_EVIDENCE_DIR and PRAKSIS_EVIDENCE_KEY are not both set: erasures are "
            "not in a ledger outside the database and the access log has no checkpoints.",
            hint="See README, Operations.",
            id="praksis.W001",
        )
    ]
