"""Webhook tasks (the default queue, `light`). `idv.webhook.notify` sends an enrollment's new events: the step
after whatever emitted them (decision, signing, review), so the assertion exists when the relying party comes
for the result. `idv.webhook.deliver` makes one attempt per run, retried with exponential backoff on network
errors, 5xx and 429 until the configured number of attempts; the outbox row counts them."""

from __future__ import annotations

from celery import Task, shared_task
from sqlalchemy.exc import OperationalError

from workers.context import runtime
from workers.services.webhooks import deliver_webhook as attempt_delivery
from workers.services.webhooks import untried_deliveries

RETRY_ON_DATABASE = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": 2,
                     "retry_backoff_max": 120, "retry_jitter": True}


@shared_task(name="idv.webhook.notify", **RETRY_ON_DATABASE)
def notify_relying_party(enrollment_id: str) -> None:
    for delivery_id in untried_deliveries(runtime(), enrollment_id):
        deliver_webhook.delay(delivery_id)


@shared_task(bind=True, name="idv.webhook.deliver", **RETRY_ON_DATABASE)
def deliver_webhook(self: Task, delivery_id: int) -> None:
    current = runtime()
    retry_in = attempt_delivery(current, delivery_id)
    # Eager (embedded default): no broker holds a delayed retry, so the attempts follow one another at once.
    while retry_in is not None and self.request.is_eager:
        retry_in = attempt_delivery(current, delivery_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in, max_retries=current.settings.webhook_max_attempts)
