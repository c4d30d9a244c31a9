"""Webhook glue: `emit_event` writes an event to the outbox in the caller's transaction; `untried_deliveries`
lists what is waiting to go out; `deliver_webhook` posts one, signed, and says whether and when to try again.

Delivery is at least once: a worker dying between the receiver's answer and our commit posts again, so
receivers deduplicate on the event id (X-IDV-Event-Id). A delivered event is never posted again.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy.orm import Session

from storage.enrollments.models import Enrollment
from storage.enrollments.repositories import Enrollments, RelyingParties
from storage.runtime import Runtime
from storage.webhooks.models import DeliveryStatus, WebhookDelivery
from storage.webhooks.repositories import WebhookDeliveries
from verification.enrollment.lifecycle import Status
from verification.relying_party.webhooks import (
    EventType,
    encode_body,
    event_payload,
    is_retryable_status,
    retry_delay,
    signed_headers,
)

log = logging.getLogger(__name__)
EVENT_NAMESPACE = uuid.UUID("5d0c1c43-8f0e-4d0e-9a43-2c6f1f1e7a51")  # event ids: uuid5 of enrollment and type


def emit_event(session: Session, enrollment: Enrollment, event_type: EventType) -> int | None:
    """Put `event_type` about `enrollment` (in its current status) in the outbox, in the caller's transaction;
    `idv.webhook.notify` sends it once that has committed. Returns the delivery id, or None when the relying
    party gave no callback URL.

    Idempotent: the event id is derived from (enrollment, event type), each of which happens at most once
    in an enrollment's life, so a step that runs twice finds the event it queued the first time."""
    if not enrollment.callback_url:
        return None
    deliveries = WebhookDeliveries(session)
    event_id = str(uuid.uuid5(EVENT_NAMESPACE, f"{enrollment.id}:{event_type.value}"))
    existing = deliveries.by_event_id(event_id)
    if existing is not None:
        return existing.id
    now = datetime.now(UTC)
    delivery = WebhookDelivery(
        event_id=event_id, enrollment_id=enrollment.id, event_type=event_type.value, url=enrollment.callback_url,
        payload=event_payload(event_id, event_type, enrollment.id, Status(enrollment.status), now),
        attempts=0, status=DeliveryStatus.PENDING, last_error=None, created_at=now, delivered_at=None)
    deliveries.add(delivery)
    return delivery.id


def emit_status_event(session: Session, enrollment: Enrollment) -> int | None:
    """The event for the status `enrollment` has just reached (review or terminal), if there is one."""
    event_type = EventType.for_status(Status(enrollment.status))
    return emit_event(session, enrollment, event_type) if event_type else None


def untried_deliveries(runtime: Runtime, enrollment_id: str) -> list[int]:
    with runtime.database.session() as session:
        return WebhookDeliveries(session).untried_of_enrollment(enrollment_id)


def deliver_webhook(runtime: Runtime, delivery_id: int) -> float | None:
    """One attempt at a pending delivery. Returns the seconds to wait before the next attempt, or None when
    there is nothing more to do (delivered, given up, already handled, or being handled by another worker)."""
    settings = runtime.settings
    with runtime.database.session() as session:
        delivery = WebhookDeliveries(session).claim(delivery_id)
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None
        body = encode_body(delivery.payload)
        headers = signed_headers(_secret(session, delivery), delivery.event_id, body, int(time.time()))
        delivery.attempts += 1
        error, retryable = _post(delivery.url, body, headers, settings.webhook_timeout_seconds)
        if error is None:
            delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, datetime.now(UTC)
            delivery.last_error = None
            return None
        delivery.last_error = error
        log.warning("webhook delivery %s attempt %d failed: %s", delivery_id, delivery.attempts, error)
        if retryable and delivery.attempts < settings.webhook_max_attempts:
            return retry_delay(delivery.attempts, settings.webhook_retry_base_seconds,
                               settings.webhook_retry_max_seconds)
        delivery.status = DeliveryStatus.FAILED
        return None


def _secret(session: Session, delivery: WebhookDelivery) -> str:
    enrollment = Enrollments(session).get(delivery.enrollment_id)
    party = RelyingParties(session).get(enrollment.relying_party_id) if enrollment else None
    if party is None:
        raise LookupError(f"webhook delivery {delivery.id} has no relying party")
    return party.webhook_secret


def _post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> tuple[str | None, bool]:
    """(None, _) when the receiver accepted it (2xx); otherwise (what went wrong, whether to retry)."""
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout_s)
    except httpx.TransportError as error:  # connection refused, timeout, TLS failure: the network may recover
        return f"{type(error).__name__}: {error}", True
    if response.is_success:
        return None, False
    return f"HTTP {response.status_code}", is_retryable_status(response.status_code)
