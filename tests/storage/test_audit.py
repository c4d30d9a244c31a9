from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from storage.audit.log import (
    APPEND_ONLY_SQL,
    GENESIS,
    AuditAction,
    AuditReasonRequired,
    LogIssue,
    LogProblem,
    append,
    head,
    verify_log,
)
from storage.audit.models import AuditLogRow
from storage.evidence.dossier import Dossier
from storage.evidence.manifest import Role
from storage.evidence.store import DirectoryStore
from tests.storage.evidence_factories import fresh_schema, master_keys

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    with fresh_schema(postgres_url) as engine:
        yield engine


def write_rows(engine: Engine, count: int) -> None:
    with Session(engine) as session, session.begin():
        for i in range(count):
            append(session, actor=f"auditor-{i % 2}", role="auditor", action=AuditAction.EVIDENCE_READ,
                   target=f"dossiers/e{i}/objects/capture/front.jpg", reason="complaint #42 (retention check)",
                   details={"score": 0.25 * i, "fields": ["a", "é"], "nested": {"n": i}},
                   at=START + timedelta(seconds=i, microseconds=123))


def verify(engine: Engine) -> tuple[bool, int, list[LogIssue]]:
    with Session(engine) as session:
        result = verify_log(session)
    return result.intact, result.rows, list(result.problems)


def tamper(engine: Engine, sql: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(sql))


def test_a_written_chain_verifies(engine: Engine) -> None:
    write_rows(engine, 5)
    assert verify(engine) == (True, 5, [])
    with Session(engine) as session:
        first = session.execute(text("SELECT prev_hash FROM audit_log WHERE id = 1")).scalar_one()
        assert first == GENESIS
        last = head(session)
    assert last is not None and last[0] == 5


def test_a_changed_row_is_named(engine: Engine) -> None:
    write_rows(engine, 5)
    tamper(engine, "UPDATE audit_log SET reason = 'curiosity' WHERE id = 3")
    assert verify(engine) == (False, 5, [LogIssue(3, LogProblem.ROW_ALTERED)])


def test_changed_details_are_named(engine: Engine) -> None:
    write_rows(engine, 3)
    tamper(engine, """UPDATE audit_log SET details = jsonb_set(details, '{score}', '9') WHERE id = 2""")
    assert verify(engine) == (False, 3, [LogIssue(2, LogProblem.ROW_ALTERED)])


def test_a_row_rehashed_after_its_change_breaks_the_next_link(engine: Engine) -> None:
    write_rows(engine, 4)
    tamper(engine, "UPDATE audit_log SET target = 'elsewhere', row_hash = repeat('a', 64) WHERE id = 2")
    intact, _, problems = verify(engine)
    assert not intact
    assert LogIssue(3, LogProblem.CHAIN_BROKEN) in problems


def test_a_deleted_row_is_named(engine: Engine) -> None:
    write_rows(engine, 5)
    tamper(engine, "DELETE FROM audit_log WHERE id = 3")
    assert verify(engine) == (False, 4, [LogIssue(4, LogProblem.ROWS_MISSING), LogIssue(4, LogProblem.CHAIN_BROKEN)])


def test_deleting_the_first_rows_is_named(engine: Engine) -> None:
    write_rows(engine, 3)
    tamper(engine, "DELETE FROM audit_log WHERE id = 1")
    assert verify(engine) == (False, 2, [LogIssue(2, LogProblem.ROWS_MISSING), LogIssue(2, LogProblem.CHAIN_BROKEN)])


def test_reordered_rows_are_named(engine: Engine) -> None:
    write_rows(engine, 4)
    tamper(engine, "UPDATE audit_log SET id = -id WHERE id IN (2, 3)")
    tamper(engine, "UPDATE audit_log SET id = CASE id WHEN -2 THEN 3 ELSE 2 END WHERE id < 0")
    intact, rows, problems = verify(engine)
    assert not intact and rows == 4
    assert {issue.id for issue in problems if issue.problem is LogProblem.ROW_ALTERED} == {2, 3}


def test_a_missing_reason_is_refused(engine: Engine) -> None:
    with Session(engine) as session:
        for reason in ("", "   "):
            with pytest.raises(AuditReasonRequired):
                append(session, actor="auditor", role="auditor", action=AuditAction.EVIDENCE_READ,
                       target="dossiers/e1", reason=reason)
    assert verify(engine) == (True, 0, [])


def test_concurrent_appends_do_not_fork_the_chain(engine: Engine) -> None:
    sessions = sessionmaker(engine)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for i in range(15):
                with sessions.begin() as session:
                    append(session, actor=name, role="reviewer", action=AuditAction.REVIEW_ACTION,
                           target=f"e{i}", reason="queue")
        except BaseException as error:  # reported to the test thread below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert verify(engine) == (True, 45, [])


def test_the_append_only_trigger_refuses_changes_and_the_chain_outlives_its_removal(engine: Engine) -> None:
    for statement in APPEND_ONLY_SQL:
        tamper(engine, statement)
    write_rows(engine, 3)
    for sql in ("UPDATE audit_log SET reason = 'x' WHERE id = 2", "DELETE FROM audit_log WHERE id = 2",
                "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            tamper(engine, sql)
    tamper(engine, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    tamper(engine, "DELETE FROM audit_log WHERE id = 2")
    assert not verify(engine)[0]


def read_evidence(session: Session, dossier: Dossier, key: str, *, actor: str, role: str,
                  reason: str) -> Iterator[bytes]:
    """An object's plaintext once its reading is in the log, as the auditor API reads evidence."""
    append(session, actor=actor, role=role, action=AuditAction.EVIDENCE_READ, target=key, reason=reason,
           details={"enrollment_id": dossier.enrollment_id})
    return dossier.read(key)


def test_evidence_is_read_only_with_a_logged_reason(engine: Engine, directory_store: DirectoryStore) -> None:
    dossier = Dossier(directory_store, master_keys(), "e1")
    dossier.open()
    entry = dossier.add_bytes(Role.CAPTURE, "front.jpg", b"jpeg bytes", "image/jpeg")
    with Session(engine) as session, session.begin():
        with pytest.raises(AuditReasonRequired):
            read_evidence(session, dossier, entry.key, actor="auditor-1", role="auditor", reason="")
        chunks = read_evidence(session, dossier, entry.key, actor="auditor-1", role="auditor",
                               reason="supervisory inspection 2026-17")
    assert b"".join(chunks) == b"jpeg bytes"
    with Session(engine) as session:
        rows = list(session.scalars(select(AuditLogRow)))
    assert [(r.action, r.target, r.actor, r.details) for r in rows] == [
        ("evidence_read", entry.key, "auditor-1", {"enrollment_id": "e1"})]
