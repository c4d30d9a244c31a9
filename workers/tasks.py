"""Thin Celery tasks: ids in, nothing out; each loads from storage, calls the domain, stores the result.

All are idempotent (a check overwrites its own result; decision and signing do nothing twice), acknowledged
late (a worker dying mid-task leaves the message for another) and retried with backoff on transient
storage or database errors.
"""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.exc import OperationalError

from storage.evidence.store import EvidenceStoreError
from workers import services
from workers.context import runtime

RETRY = {
    "acks_late": True,
    "autoretry_for": (EvidenceStoreError, OperationalError),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(name="idv.check.document", **RETRY)
def check_document(enrollment_id: str) -> None:
    services.run_document_check(runtime(), enrollment_id)


@shared_task(name="idv.check.liveness", **RETRY)
def check_liveness(enrollment_id: str) -> None:
    services.run_liveness_check(runtime(), enrollment_id)


@shared_task(name="idv.check.face_match", **RETRY)
def match_faces(enrollment_id: str) -> None:
    services.run_face_match(runtime(), enrollment_id)


@shared_task(name="idv.decide", **RETRY)
def decide(enrollment_id: str) -> None:
    services.run_decision(runtime(), enrollment_id)


@shared_task(name="idv.issue_assertion", **RETRY)
def issue_assertion(enrollment_id: str) -> None:
    services.run_assertion(runtime(), enrollment_id)


@shared_task(name="idv.mark_failed", **RETRY)
def mark_failed(enrollment_id: str) -> None:
    services.fail(runtime(), enrollment_id, "a pipeline task failed")


@shared_task(name="idv.dossier.seal", **RETRY)
def seal_dossier(enrollment_id: str) -> None:
    services.seal_dossier(runtime(), enrollment_id)


@shared_task(name="idv.retention.purge", **RETRY)
def purge_expired_dossiers() -> None:
    services.purge_expired(runtime())
