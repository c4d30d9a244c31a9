"""SQL of the webhook outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.webhooks.models import DeliveryStatus, WebhookDelivery


class WebhookDeliveries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, delivery: WebhookDelivery) -> None:
        self.session.add(delivery)
        self.session.flush()  # assigns the id the delivery task is given

    def get(self, delivery_id: int) -> WebhookDelivery | None:
        return self.session.get(WebhookDelivery, delivery_id)

    def by_event_id(self, event_id: str) -> WebhookDelivery | None:
        return self.session.scalar(select(WebhookDelivery).where(WebhookDelivery.event_id == event_id))

    def claim(self, delivery_id: int) -> WebhookDelivery | None:
        """The delivery, locked until the caller's commit; None when absent or another worker holds it
        (a duplicate message of the same task): so one event is never posted twice at once."""
        return self.session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                                   .with_for_update(skip_locked=True))

    def untried_of_enrollment(self, enrollment_id: str) -> list[int]:
        """Ids of the enrollment's pending events not attempted yet (those being retried have their task)."""
        return list(self.session.scalars(select(WebhookDelivery.id).where(
            WebhookDelivery.enrollment_id == enrollment_id, WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.attempts == 0).order_by(WebhookDelivery.id)))

    def of_enrollment(self, enrollment_id: str) -> list[WebhookDelivery]:
        return list(self.session.scalars(select(WebhookDelivery).where(WebhookDelivery.enrollment_id == enrollment_id)
                                         .order_by(WebhookDelivery.id)))
