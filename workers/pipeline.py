"""The verification canvas: the three checks in parallel (a chord), the decision, then what follows a
decision: signing (approved only), sealing the evidence dossier, notifying the relying party."""

from __future__ import annotations

import logging

from celery import chain, group
from celery.canvas import Signature

from workers import services
from workers.context import runtime
from workers.tasks import (
    check_document,
    check_liveness,
    decide,
    issue_assertion,
    mark_failed,
    match_faces,
    seal_dossier,
)
from workers.webhooks import notify_relying_party

log = logging.getLogger(__name__)


def _after_decision(enrollment_id: str) -> list[Signature]:
    # Sign before sealing so the assertion is in the dossier, and both before the relying party is told.
    return [issue_assertion.si(enrollment_id), seal_dossier.si(enrollment_id), notify_relying_party.si(enrollment_id)]


def start_pipeline(enrollment_id: str) -> None:
    """Called after the submission is committed. In eager mode the whole canvas runs here and now."""
    services.begin_processing(runtime(), enrollment_id)
    checks = group(check_document.si(enrollment_id), check_liveness.si(enrollment_id), match_faces.si(enrollment_id))
    _run(chain(checks, decide.si(enrollment_id), *_after_decision(enrollment_id)).on_error(
        mark_failed.si(enrollment_id)), enrollment_id)


def finish_reviewed(enrollment_id: str) -> None:
    """After an operator's decision (committed): sign if approved, seal again, notify."""
    _run(chain(*_after_decision(enrollment_id)), enrollment_id)


def _run(canvas: Signature, enrollment_id: str) -> None:
    if runtime().settings.eager:
        try:
            canvas.apply()
        except Exception:
            log.exception("pipeline failed for enrollment %s", enrollment_id)
            services.fail(runtime(), enrollment_id, "pipeline error")
        return
    canvas.apply_async()
