"""The Celery application, built once per process by its entry point. Two queues: `cpu` (document, liveness,
face match) and `light` (decision, signing, webhooks), so CPU-heavy workers and light ones can run on
different machines.

The API builds its app with its own runtime (`make_celery(settings, runtime)`): in the embedded default (no
broker configured) tasks run eagerly in the API process on that runtime. A worker process is started with
`celery -A workers.app worker` (or `idv worker`), which asks this module for `app`: built then, from the
environment's settings, its runtime built by each worker process.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from celery.signals import worker_process_init

from storage.runtime import Runtime
from storage.settings import Settings, get_settings
from workers import tasks, webhooks
from workers.celery_base import IdvCelery


def make_celery(settings: Settings, runtime: Runtime | None = None) -> IdvCelery:
    app = IdvCelery(settings, runtime)
    tasks.register(app)
    webhooks.register(app)
    return app


@cache  # one app per worker process, however often Celery looks it up
def make_worker_app() -> IdvCelery:
    """A worker's app: models and clients loaded once per worker process, before the first task."""
    app = make_celery(get_settings())

    def warm_up(**_signal: object) -> None:
        from biometrics.face_mesh import load_face_mesh
        from biometrics.face_models import load_face_models

        _ = app.runtime  # built now, in this worker process, rather than in its first task
        load_face_models()
        load_face_mesh()

    worker_process_init.connect(warm_up, weak=False)
    return app


def __getattr__(name: str) -> Any:
    """`workers.app.app`, what `celery -A workers.app` looks for, is built on that first ask only: importing
    this module (the API does, for make_celery) builds no app."""
    if name == "app":
        return make_worker_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
