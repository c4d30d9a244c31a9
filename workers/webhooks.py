"""Webhook tasks (the default queue, `light`). `idv.webhook.notify` sends an enrollment's new events: the step
after whatever emitted them (decision, signing, review), so the assertion exists when the relying party comes
for the result. `idv.webhook.deliver` makes one attempt per run, retried with exponential backoff on network
errors, 5xx and 429 until the configured number of attempts; the outbox row counts them."""

from __future__ import annotations

from celery import Celery
from sqlalchemy.exc import OperationalError

from workers.celery_base import RuntimeTask
from workers.services.webhooks import deliver_webhook as attempt_delivery
from workers.services.webhooks import untried_deliveries

NOTIFY = "idv.webhook.notify"
DELIVER = "idv.webhook.deliver"
RETRY_ON_DATABASE = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": 2,
                     "retry_backoff_max": 120, "retry_jitter": True}


def notify_relying_party(task: RuntimeTask, enrollment_id: str) -> None:
    for delivery_id in untried_deliveries(task.runtime, enrollment_id):
        task.app.tasks[DELIVER].delay(delivery_id)


def deliver_webhook(task: RuntimeTask, delivery_id: int) -> None:
    runtime = task.runtime
    retry_in = attempt_delivery(runtime, delivery_id)
    # Eager (embedded default): no broker holds a delayed retry, so the attempts follow one another at once.
    while retry_in is not None and task.request.is_eager:
        retry_in = attempt_delivery(runtime, delivery_id)
    if retry_in is not None:
        raise task.retry(countdown=retry_in, max_retries=runtime.settings.webhook_max_attempts)


def register(app: Celery) -> None:
    for name, run in ((NOTIFY, notify_relying_party), (DELIVER, deliver_webhook)):
        app.task(run, name=name, bind=True, base=RuntimeTask, shared=False, **RETRY_ON_DATABASE)
