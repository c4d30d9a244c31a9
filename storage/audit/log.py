"""The append-only audit log: who did what to which evidence, when and why, hash-chained.

Each row's `row_hash` is the SHA-256 of the canonical JSON of its fields (id, at, actor, role, action,
target, reason, details) and of `prev_hash`, the previous row's `row_hash` (64 zeros for the first row).
Ids are contiguous, assigned by `append` under a lock, so `verify_log` names a changed row (its hash no
longer matches), a deleted one (a gap in the ids and a broken chain at the next row) and a moved one.
Every row states a reason: reading evidence without one is refused.

What the chain alone cannot show is the loss of the newest rows; `head` gives the digest to anchor
elsewhere (a dossier manifest, the operations log) so a truncation shows against it. On PostgreSQL,
`APPEND_ONLY_SQL` makes UPDATE and DELETE on the table fail outright; the chain still catches whoever
disables that trigger.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from storage.audit.models import AuditLogRow, AuditorKey
from storage.audit.repositories import AuditorKeys, AuditRows
from storage.enrollments.credentials import new_secret, secret_hash
from storage.review.credentials import OperatorRole
from storage.review.models import Operator
from storage.review.repositories import Operators
from verification.common.canonical import canonical
from verification.common.errors import CodedError

GENESIS = "0" * 64
SYSTEM_ROLE = "system"  # the role of the service's own actions (sealing, erasure, key operations)

APPEND_ONLY_SQL = (
    """
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
    """,
)


class AuditAction(StrEnum):
    EVIDENCE_READ = "evidence_read"
    SEARCH = "search"
    VERIFY = "verify"
    EXPORT = "export"
    REVIEW_ACTION = "review_action"
    DOSSIER_SEALED = "dossier_sealed"
    LEGAL_HOLD = "legal_hold"
    ERASURE = "erasure"
    KEY_OPERATION = "key_operation"


class AuditReasonRequired(CodedError):
    code = "audit_reason_required"

    def __init__(self, action: str, target: str) -> None:
        super().__init__(self.code, f"{action} on {target} needs a reason")
        self.action = action
        self.target = target


def row_hash(row: AuditLogRow) -> str:
    fields = {"id": row.id, "at": row.at.astimezone(UTC).isoformat(), "actor": row.actor, "role": row.role,
              "action": row.action, "target": row.target, "reason": row.reason, "details": row.details,
              "prev_hash": row.prev_hash}
    return hashlib.sha256(canonical(fields)).hexdigest()


def append(session: Session, *, actor: str, role: str, action: AuditAction, target: str, reason: str,
           details: Mapping[str, Any] | None = None, at: datetime | None = None) -> AuditLogRow:
    """Append one row to the chain (in the caller's transaction, which holds the chain's lock until it
    ends: commit soon). `details` must be JSON; it is stored as its canonical round trip so the hash
    computed here is the one recomputed from the stored row."""
    if not reason.strip():
        raise AuditReasonRequired(action.value, target)
    rows = AuditRows(session)
    rows.lock_chain()
    last = rows.last()
    row = AuditLogRow(id=last.id + 1 if last else 1, at=(at or datetime.now(UTC)).astimezone(UTC), actor=actor,
                      role=role, action=action.value, target=target, reason=reason,
                      details=json.loads(canonical(details or {})), prev_hash=last.row_hash if last else GENESIS)
    row.row_hash = row_hash(row)
    rows.add(row)
    return row


def head(session: Session) -> tuple[int, str] | None:
    """The newest row's id and hash: the value to anchor outside the database."""
    last = AuditRows(session).last()
    return (last.id, last.row_hash) if last else None


class LogProblem(StrEnum):
    ROWS_MISSING = "rows_missing"  # ids skip: rows before this one were deleted
    CHAIN_BROKEN = "chain_broken"  # prev_hash is not the previous row's hash
    ROW_ALTERED = "row_altered"  # the row's content no longer matches its hash


@dataclass(frozen=True)
class LogIssue:
    id: int
    problem: LogProblem


@dataclass(frozen=True)
class LogVerification:
    intact: bool
    rows: int
    problems: tuple[LogIssue, ...]
    head: tuple[int, str] | None

    def to_dict(self) -> dict[str, Any]:
        return {"intact": self.intact, "rows": self.rows, "head": list(self.head) if self.head else None,
                "problems": [{"id": issue.id, "problem": issue.problem.value} for issue in self.problems]}


def verify_log(session: Session) -> LogVerification:
    """Walk the whole chain in id order, streaming, and name every row where it breaks."""
    problems: list[LogIssue] = []
    expected_id, expected_prev, count, last = 1, GENESIS, 0, None
    for row in AuditRows(session).in_order():
        count += 1
        if row.id != expected_id:
            problems.append(LogIssue(row.id, LogProblem.ROWS_MISSING))
        if row.prev_hash != expected_prev:
            problems.append(LogIssue(row.id, LogProblem.CHAIN_BROKEN))
        if row_hash(row) != row.row_hash:
            problems.append(LogIssue(row.id, LogProblem.ROW_ALTERED))
        expected_id, expected_prev, last = row.id + 1, row.row_hash, (row.id, row.row_hash)
    return LogVerification(not problems, count, tuple(problems), last)


class AuditorKeyRefused(CodedError):
    """No auditor key for this operator (the detail says why)."""

    code = "auditor_key_refused"

    def __init__(self, detail: str) -> None:
        super().__init__(self.code, detail)


def issue_auditor_key(session: Session, username: str, *, now: datetime, actor: str = "idv-cli") -> str:
    """A new API key for the auditor API, for an active operator of role auditor; returned in clear once.
    Keys issued before stay valid until `revoke_auditor_keys`. The issue is a key operation in the log."""
    operator = Operators(session).by_username(username)
    if operator is None or not operator.active or operator.role != OperatorRole.AUDITOR:
        raise AuditorKeyRefused(f"{username!r} is not an active operator of role {OperatorRole.AUDITOR.value}")
    key = new_secret()
    record = AuditorKey(id=str(uuid.uuid4()), operator_id=operator.id, key_hash=secret_hash(key), created_at=now,
                        revoked_at=None)
    AuditorKeys(session).add(record)
    append(session, actor=actor, role="operator-cli", action=AuditAction.KEY_OPERATION, target=f"operator:{username}",
           reason="auditor API key issued", details={"operation": "issue_auditor_key", "key_id": record.id}, at=now)
    return key


def revoke_auditor_keys(session: Session, username: str, *, now: datetime, actor: str = "idv-cli") -> int:
    operator = Operators(session).by_username(username)
    if operator is None:
        raise AuditorKeyRefused(f"no operator {username!r}")
    revoked = AuditorKeys(session).revoke_all(operator.id, now)
    append(session, actor=actor, role="operator-cli", action=AuditAction.KEY_OPERATION, target=f"operator:{username}",
           reason="auditor API keys revoked", details={"operation": "revoke_auditor_keys", "revoked": revoked}, at=now)
    return revoked


def auditor_for_key(session: Session, key: str) -> Operator | None:
    """The active auditor holding this unrevoked key; None for anything else (a relying-party key, an
    enrollment token, a revoked key, a reviewer's key)."""
    operator = AuditorKeys(session).holder(secret_hash(key))
    if operator is None or not operator.active or operator.role != OperatorRole.AUDITOR:
        return None
    return operator
