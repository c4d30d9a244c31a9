"""The Celery app class of this service and the base of its tasks: the app carries its process's runtime, a
task reaches it as `self.runtime`. No module state: whoever builds the app (workers.app) gives it the runtime,
or the settings to build one from."""

from __future__ import annotations

import threading
from typing import cast

from celery import Celery, Task

from storage.runtime import Runtime, build_runtime
from storage.settings import Settings

CPU_QUEUE = "cpu"
LIGHT_QUEUE = "light"


class IdvCelery(Celery):
    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        super().__init__("idv", set_as_current=False)
        self._settings, self._runtime = settings, runtime
        self._building = threading.Lock()  # a thread-pool worker's first tasks may start together
        self.conf.update(
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

    @property
    def runtime(self) -> Runtime:
        """The API's own runtime (its eager tasks share its clients), or, in a worker, one built by the worker
        process itself on first use: after the fork, so no child inherits its parent's connections."""
        with self._building:
            if self._runtime is None:
                self._runtime = build_runtime(self._settings)
            return self._runtime


class RuntimeTask(Task):
    @property
    def runtime(self) -> Runtime:
        return cast(IdvCelery, self.app).runtime
