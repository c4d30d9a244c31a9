"""Thin Celery tasks: ids in, nothing out; each calls one service (load from storage, call the domain, store
the result) on the runtime of the app it runs in.

All are idempotent (a check overwrites its own result; decision and signing do nothing twice), acknowledged
late (a worker dying mid-task leaves the message for another) and retried with backoff on transient
storage or database errors.
"""

from __future__ import annotations

from collections.abc import Callable

from celery import Celery
from sqlalchemy.exc import OperationalError

from storage.evidence.store import EvidenceStoreError
from workers import services
from workers.celery_base import RuntimeTask

CHECK_DOCUMENT = "idv.check.document"
CHECK_LIVENESS = "idv.check.liveness"
MATCH_FACES = "idv.check.face_match"
DECIDE = "idv.decide"
ISSUE_ASSERTION = "idv.issue_assertion"
MARK_FAILED = "idv.mark_failed"
SEAL_DOSSIER = "idv.dossier.seal"
PURGE_EXPIRED_DOSSIERS = "idv.retention.purge"

RETRY = {
    "acks_late": True,
    "autoretry_for": (EvidenceStoreError, OperationalError),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 6,
}


def check_document(task: RuntimeTask, enrollment_id: str) -> None:
    services.run_document_check(task.runtime, enrollment_id)


def check_liveness(task: RuntimeTask, enrollment_id: str) -> None:
    services.run_liveness_check(task.runtime, enrollment_id)


def match_faces(task: RuntimeTask, enrollment_id: str) -> None:
    services.run_face_match(task.runtime, enrollment_id)


def decide(task: RuntimeTask, enrollment_id: str) -> None:
    services.run_decision(task.runtime, enrollment_id)


def issue_assertion(task: RuntimeTask, enrollment_id: str) -> None:
    services.run_assertion(task.runtime, enrollment_id)


def mark_failed(task: RuntimeTask, enrollment_id: str) -> None:
    services.fail(task.runtime, enrollment_id, "a pipeline task failed")


def seal_dossier(task: RuntimeTask, enrollment_id: str) -> None:
    services.seal_dossier(task.runtime, enrollment_id)


def purge_expired_dossiers(task: RuntimeTask) -> None:
    services.purge_expired(task.runtime)


TASKS: dict[str, Callable[..., None]] = {
    CHECK_DOCUMENT: check_document, CHECK_LIVENESS: check_liveness, MATCH_FACES: match_faces, DECIDE: decide,
    ISSUE_ASSERTION: issue_assertion, MARK_FAILED: mark_failed, SEAL_DOSSIER: seal_dossier,
    PURGE_EXPIRED_DOSSIERS: purge_expired_dossiers,
}


def register(app: Celery) -> None:
    """The tasks on `app` only (not shared with every app of the process)."""
    for name, run in TASKS.items():
        app.task(run, name=name, bind=True, base=RuntimeTask, shared=False, **RETRY)
