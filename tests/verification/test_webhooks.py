"""Webhook signatures (HMAC-SHA256 over the timestamp and the raw body) and the retry schedule."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from verification.enrollment.lifecycle import Status
from verification.relying_party.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    EventType,
    WebhookError,
    WebhookVerificationError,
    encode_body,
    event_payload,
    is_retryable_status,
    retry_delay,
    signature_header,
    signed_headers,
    verify_webhook,
)

SECRET = "whsec-test-0123456789"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
EVENT_ID = "0b7c2f52-7f53-5d1e-9a8e-2f3b1c9d4e10"


def signed(payload_status: Status = Status.APPROVED, at: datetime = NOW,
           secret: str = SECRET) -> tuple[dict[str, str], bytes]:
    payload = event_payload(EVENT_ID, EventType.for_status(payload_status), "enr-1", payload_status, at)
    body = encode_body(payload)
    return signed_headers(secret, EVENT_ID, body, int(at.timestamp())), body


def rejected(headers: dict[str, str], body: bytes, now: datetime = NOW) -> WebhookError:
    with pytest.raises(WebhookVerificationError) as caught:
        verify_webhook(SECRET, headers, body, now)
    return caught.value.code


def test_a_signed_event_verifies_and_says_whether_it_is_final() -> None:
    headers, body = signed()
    payload = verify_webhook(SECRET, headers, body, NOW + timedelta(seconds=3))
    assert payload == {"event_id": EVENT_ID, "type": "enrollment.approved", "enrollment_id": "enr-1",
                       "status": "approved", "final": True, "occurred_at": NOW.isoformat()}
    headers, body = signed(Status.REVIEW)
    assert verify_webhook(SECRET, headers, body, NOW)["final"] is False  # a reviewer's result will follow


def test_the_signature_is_an_hmac_of_timestamp_and_raw_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(SECRET.encode(), b"1795431000." + body, hashlib.sha256).hexdigest()
    assert signature_header(SECRET, body, 1795431000) == f"t=1795431000,v1={expected}"


def test_header_names_are_case_insensitive() -> None:
    headers, body = signed()
    assert verify_webhook(SECRET, {k.lower(): v for k, v in headers.items()}, body, NOW)["event_id"] == EVENT_ID


@pytest.mark.parametrize("change", [
    lambda body: body.replace(b'"approved"', b'"rejected"', 1),
    lambda body: body + b" ",
    lambda body: body.replace(b'"final":true', b'"final":false'),
])
def test_a_changed_body_is_rejected(change) -> None:  # type: ignore[no-untyped-def]
    headers, body = signed()
    assert change(body) != body
    assert rejected(headers, change(body)) is WebhookError.SIGNATURE_MISMATCH


def test_another_secret_or_a_moved_timestamp_is_rejected() -> None:
    headers, body = signed(secret="another secret")
    assert rejected(headers, body) is WebhookError.SIGNATURE_MISMATCH
    headers, body = signed()
    digest = headers[SIGNATURE_HEADER].split("v1=")[1]
    later = int(NOW.timestamp()) + 60  # a replay with a fresh time but the old signature
    moved = {**headers, SIGNATURE_HEADER: f"t={later},v1={digest}"}
    assert rejected(moved, body, NOW + timedelta(seconds=60)) is WebhookError.SIGNATURE_MISMATCH


def test_a_replay_outside_the_window_is_rejected() -> None:
    headers, body = signed()
    assert verify_webhook(SECRET, headers, body, NOW + timedelta(seconds=299))
    assert rejected(headers, body, NOW + timedelta(seconds=301)) is WebhookError.OUTSIDE_TOLERANCE
    assert rejected(headers, body, NOW - timedelta(seconds=301)) is WebhookError.OUTSIDE_TOLERANCE


@pytest.mark.parametrize(("value", "code"), [
    (None, WebhookError.MISSING_SIGNATURE),
    ("", WebhookError.MISSING_SIGNATURE),
    ("v1=abc", WebhookError.MALFORMED_SIGNATURE),
    ("t=notanumber,v1=abc", WebhookError.MALFORMED_SIGNATURE),
    ("t=1795431000", WebhookError.MALFORMED_SIGNATURE),
])
def test_missing_or_malformed_signature_headers(value: str | None, code: WebhookError) -> None:
    headers, body = signed()
    headers = {k: v for k, v in headers.items() if k != SIGNATURE_HEADER}
    if value is not None:
        headers[SIGNATURE_HEADER] = value
    assert rejected(headers, body) is code


def test_during_a_secret_rotation_either_signature_verifies() -> None:
    headers, body = signed()
    timestamp = int(NOW.timestamp())
    old = signature_header("the old secret", body, timestamp).split(",")[1]
    both = {**headers, SIGNATURE_HEADER: f"{headers[SIGNATURE_HEADER]},{old}"}
    assert verify_webhook(SECRET, both, body, NOW)["event_id"] == EVENT_ID
    assert verify_webhook("the old secret", both, body, NOW)["event_id"] == EVENT_ID


def test_the_event_id_header_must_match_the_signed_body() -> None:
    headers, body = signed()
    assert rejected({**headers, EVENT_ID_HEADER: "another-event"}, body) is WebhookError.EVENT_ID_MISMATCH


def test_the_body_encoding_is_stable() -> None:
    payload = event_payload(EVENT_ID, EventType.REJECTED, "enr-1", Status.REJECTED, NOW)
    assert encode_body(payload) == encode_body(dict(reversed(list(payload.items()))))


def test_events_exist_for_review_and_every_terminal_status_only() -> None:
    assert {s for s in Status if EventType.for_status(s)} == {Status.REVIEW} | {s for s in Status if s.terminal}


def test_backoff_doubles_up_to_the_cap_and_only_transient_failures_retry() -> None:
    assert [retry_delay(n, 15, 100) for n in range(1, 6)] == [15, 30, 60, 100, 100]
    assert [is_retryable_status(code) for code in (429, 500, 502, 503, 400, 401, 404, 410)] == \
        [True, True, True, True, False, False, False, False]
