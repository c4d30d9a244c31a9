"""The verification canvas: the checks (a chord: the document check then the face match, beside the liveness
check), the decision, then what follows a decision: signing (approved only), sealing the evidence dossier,
notifying the relying party."""

from __future__ import annotations

import logging

from celery import chain, group
from celery.canvas import Signature

from workers import services
from workers.celery_base import IdvCelery
from workers.tasks import (
    CHECK_DOCUMENT,
    CHECK_LIVENESS,
    DECIDE,
    ISSUE_ASSERTION,
    MARK_FAILED,
    MATCH_FACES,
    SEAL_DOSSIER,
)
from workers.webhooks import NOTIFY

log = logging.getLogger(__name__)


def _step(app: IdvCelery, task: str, enrollment_id: str) -> Signature:
    return app.signature(task, args=(enrollment_id,), immutable=True)


def _after_decision(app: IdvCelery, enrollment_id: str) -> list[Signature]:
    # Sign before sealing so the assertion is in the dossier, and both before the relying party is told.
    return [_step(app, task, enrollment_id) for task in (ISSUE_ASSERTION, SEAL_DOSSIER, NOTIFY)]


def start_pipeline(app: IdvCelery, enrollment_id: str) -> None:
    """Called after the submission is committed. In eager mode the whole canvas runs here and now."""
    services.begin_processing(app.runtime, enrollment_id)
    # The face match reads the portrait frame the document check kept from the document video (decoded and
    # analysed once): it follows the document check, beside the liveness check.
    document_then_faces = chain(_step(app, CHECK_DOCUMENT, enrollment_id), _step(app, MATCH_FACES, enrollment_id),
                                app=app)
    checks = group([document_then_faces, _step(app, CHECK_LIVENESS, enrollment_id)], app=app)
    _run(app, chain(checks, _step(app, DECIDE, enrollment_id), *_after_decision(app, enrollment_id), app=app)
         .on_error(_step(app, MARK_FAILED, enrollment_id)), enrollment_id)


def finish_reviewed(app: IdvCelery, enrollment_id: str) -> None:
    """After an operator's decision (committed): sign if approved, seal again, notify."""
    _run(app, chain(*_after_decision(app, enrollment_id), app=app), enrollment_id)


def _run(app: IdvCelery, canvas: Signature, enrollment_id: str) -> None:
    if app.runtime.settings.eager:
        try:
            canvas.apply()
        except Exception:
            log.exception("pipeline failed for enrollment %s", enrollment_id)
            services.fail(app.runtime, enrollment_id, "pipeline error")
        return
    canvas.apply_async()
