"""The Celery application. Two queues: `cpu` (document, liveness, face match) and `light` (decision,
signing, webhooks), so CPU-heavy workers and light ones can run on different machines.

Embedded default (no broker configured): tasks run eagerly in the calling process.
"""

from __future__ import annotations

from celery import Celery
from celery.signals import worker_process_init

from storage.settings import Settings, get_settings

CPU_QUEUE = "cpu"
LIGHT_QUEUE = "light"


def make_celery(settings: Settings) -> Celery:
    """A Celery app for these settings, made the process default. Tasks are shared tasks, so a process that
    builds its runtime from explicit settings (the API, tests) gets a fresh app with its own broker and
    backend instead of reconfiguring one whose connections are already cached."""
    app = Celery("idv", include=["workers.tasks", "workers.webhooks"], set_as_current=True)
    app.conf.update(
        broker_url=settings.broker_url or "memory://",
        result_backend=settings.result_backend or ("cache+memory://" if settings.eager else settings.broker_url),
        task_always_eager=settings.eager,
        task_eager_propagates=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_allow_error_cb_on_chord_header=True,  # a failing check task also marks the enrollment failed
        worker_prefetch_multiplier=1,  # long CPU tasks: don't hoard messages another worker could take
        task_default_queue=LIGHT_QUEUE,
        task_routes={"idv.check.*": {"queue": CPU_QUEUE}},
        broker_connection_retry_on_startup=True,
        result_expires=24 * 3600,
        # Erasure at term of the evidence dossiers (run by one worker started with --beat).
        beat_schedule={"purge-expired-dossiers": {"task": "idv.retention.purge",
                                                  "schedule": float(settings.erasure_interval_seconds)}},
    )
    app.set_default()
    return app


celery_app = make_celery(get_settings())  # what `celery -A workers.app worker` runs


@worker_process_init.connect
def _load_models(**_: object) -> None:
    """Models are loaded once per worker process, before the first task, never at import time."""
    from workers.context import warm_up

    warm_up()
