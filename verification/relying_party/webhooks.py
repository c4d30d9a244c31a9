"""Webhook events to relying parties: their body, their HMAC-SHA256 signature, and its verification.

Pure functions (no HTTP here): the worker signs and posts, a relying party verifies with `verify_webhook`.

Signature header, Stripe-style so the signed time cannot be swapped:
    X-IDV-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{raw body}")>
Several `v1=` entries may appear (one per secret while a secret is being rotated); one match suffices.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from verification.enrollment.lifecycle import Status

SIGNATURE_HEADER = "X-IDV-Signature"
EVENT_ID_HEADER = "X-IDV-Event-Id"
SIGNATURE_SCHEME = "v1"


class EventType(StrEnum):
    REVIEW = "enrollment.review"
    APPROVED = "enrollment.approved"
    REJECTED = "enrollment.rejected"
    EXPIRED = "enrollment.expired"
    FAILED = "enrollment.failed"

    @classmethod
    def for_status(cls, status: Status) -> EventType | None:
        """The event a relying party hears about when an enrollment reaches `status`, if any."""
        return _STATUS_EVENTS.get(status)


_STATUS_EVENTS = {
    Status.REVIEW: EventType.REVIEW,
    Status.APPROVED: EventType.APPROVED,
    Status.REJECTED: EventType.REJECTED,
    Status.EXPIRED: EventType.EXPIRED,
    Status.FAILED: EventType.FAILED,
}


class WebhookError(StrEnum):
    MISSING_SIGNATURE = "missing_signature"
    MALFORMED_SIGNATURE = "malformed_signature"
    OUTSIDE_TOLERANCE = "timestamp_outside_tolerance"
    SIGNATURE_MISMATCH = "signature_mismatch"
    EVENT_ID_MISMATCH = "event_id_mismatch"


class WebhookVerificationError(Exception):
    def __init__(self, code: WebhookError) -> None:
        super().__init__(code.value)
        self.code = code


def event_payload(event_id: str, event_type: EventType, enrollment_id: str, status: Status,
                  occurred_at: datetime) -> dict[str, Any]:
    """`final` is false while a reviewer may still change the result (status review), true once terminal."""
    return {"event_id": event_id, "type": event_type.value, "enrollment_id": enrollment_id,
            "status": status.value, "final": status.terminal, "occurred_at": occurred_at.isoformat()}


def encode_body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes posted and signed (compact, sorted keys: stable across attempts)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},{SIGNATURE_SCHEME}={_digest(secret, timestamp, body)}"


def signed_headers(secret: str, event_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {"Content-Type": "application/json", SIGNATURE_HEADER: signature_header(secret, body, timestamp),
            EVENT_ID_HEADER: event_id}


def verify_webhook(secret: str, headers: Mapping[str, str], raw_body: bytes, now: datetime,
                   tolerance_s: float = 300) -> dict[str, Any]:
    """Check a received webhook; returns its decoded payload or raises WebhookVerificationError.

    The signed timestamp must lie within `tolerance_s` of `now` (either side, for clock skew), so a captured
    request cannot be replayed later; within the window, deduplicate on the event id."""
    lowered = {name.lower(): value for name, value in headers.items()}
    header = lowered.get(SIGNATURE_HEADER.lower())
    if not header:
        raise WebhookVerificationError(WebhookError.MISSING_SIGNATURE)
    timestamp, signatures = _parse_signature(header)
    if abs(now.timestamp() - timestamp) > tolerance_s:
        raise WebhookVerificationError(WebhookError.OUTSIDE_TOLERANCE)
    expected = _digest(secret, timestamp, raw_body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise WebhookVerificationError(WebhookError.SIGNATURE_MISMATCH)
    payload: dict[str, Any] = json.loads(raw_body)
    if lowered.get(EVENT_ID_HEADER.lower(), payload.get("event_id")) != payload.get("event_id"):
        raise WebhookVerificationError(WebhookError.EVENT_ID_MISMATCH)
    return payload


def _parse_signature(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == SIGNATURE_SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookVerificationError(WebhookError.MALFORMED_SIGNATURE)
    return timestamp, signatures


def is_retryable_status(status_code: int) -> bool:
    """Server errors and rate limiting may pass later; any other refusal will not."""
    return status_code == 429 or status_code >= 500


def retry_delay(attempt: int, base_s: float, cap_s: float) -> float:
    """Exponential backoff after the `attempt`-th failed attempt (1-based): base, 2·base, 4·base… ≤ cap."""
    return float(min(cap_s, base_s * 2 ** (attempt - 1)))
