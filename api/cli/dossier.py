"""`idv audit …`: verify a dossier or the audit log, issue auditor API keys; `idv retention …`: the erasure
run, legal holds, erasure brought forward, moving dossiers onto a new master key.

Settings come from the IDV_* environment, as for the service. Each command is written to the audit log
as done by `cli:<system user>`; the commands that touch evidence or its life cycle take a reason.
Exit status 1 when a verification finds the dossier or the log not intact.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click
from sqlalchemy.orm import Session

from api.cli.output import emit
from storage.runtime import Runtime

CLI_ROLE = "operator-cli"


def _runtime() -> Runtime:
    from storage.runtime import build_runtime
    from storage.settings import get_settings

    return build_runtime(get_settings())


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@click.group("audit")
def audit() -> None:
    """Verify dossiers and the audit log; auditor API keys."""


@audit.command("verify")
@click.argument("enrollment_id")
@click.option("--reason", default="integrity check from the command line", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def verify(enrollment_id: str, reason: str, as_json: bool) -> None:
    """Re-verify ENROLLMENT_ID's dossier: {intact, objects, problems}."""
    from storage.audit import log
    from storage.evidence.encrypted import master_keys
    from storage.keys import KeyUse
    from workers.services.retention import DossierNotFound, verify_recorded_dossier

    runtime = _runtime()
    with runtime.database.session() as session:
        log.append(session, actor=_actor(), role=CLI_ROLE, action=log.AuditAction.VERIFY,
                   target=f"dossier:{enrollment_id}", reason=reason)
        session.commit()
        try:
            report = verify_recorded_dossier(session, runtime.evidence, master_keys(runtime.settings),
                                             runtime.keys().jwks([KeyUse.DOSSIER]), enrollment_id)
        except DossierNotFound as error:
            raise click.ClickException(f"no dossier for enrollment {enrollment_id}") from error
    emit(report, as_json)
    if not report["intact"]:
        raise SystemExit(1)


@audit.command("verify-log")
@click.option("--json", "as_json", is_flag=True)
def verify_log(as_json: bool) -> None:
    """Walk the audit log's hash chain: {intact, rows, head, problems} (a changed, deleted or moved row)."""
    from storage.audit import log

    runtime = _runtime()
    with runtime.database.session() as session:
        report = log.verify_log(session).to_dict()
        log.append(session, actor=_actor(), role=CLI_ROLE, action=log.AuditAction.VERIFY, target="audit_log",
                   reason="audit log verification from the command line",
                   details={"rows": report["rows"], "intact": report["intact"]})
    emit(report, as_json)
    if not report["intact"]:
        raise SystemExit(1)


@audit.command("auditor-key")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="revoke every key of USERNAME instead of issuing one")
@click.option("--json", "as_json", is_flag=True)
def auditor_key(username: str, revoke: bool, as_json: bool) -> None:
    """Issue an auditor API key to USERNAME (an operator of role auditor); printed once."""
    from storage.audit import log

    runtime = _runtime()
    now = datetime.now(UTC)
    try:
        with runtime.database.session() as session:
            if revoke:
                result: dict[str, object] = {"operator": username,
                                             "revoked": log.revoke_auditor_keys(session, username, now=now,
                                                                                actor=_actor())}
            else:
                result = {"operator": username,
                          "auditor_key": log.issue_auditor_key(session, username, now=now, actor=_actor())}
    except log.AuditorKeyRefused as error:
        raise click.ClickException(error.detail) from error
    emit(result, as_json)


@click.group("retention")
def retention() -> None:
    """Erasure of dossiers at the end of their retention; legal holds; master-key rewrap."""


@contextmanager
def _life_cycle_change(runtime: Runtime, enrollment_id: str) -> Iterator[Session]:
    """A unit of work on one dossier's row; an unknown or erased dossier, or a refusal, is a usage error."""
    from storage.evidence.erasure import ErasureBlocked
    from workers.services.retention import DossierNotFound

    try:
        with runtime.database.session() as session:
            yield session
    except DossierNotFound as error:
        raise click.ClickException(f"no live dossier for enrollment {enrollment_id}") from error
    except ErasureBlocked as error:
        raise click.ClickException(str(error)) from error


@retention.command("purge")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True)
def purge(limit: int, as_json: bool) -> None:
    """Erase the dossiers whose term is over and that no legal hold keeps (what Celery beat runs)."""
    from workers.services.dossier import purge_expired

    outcomes = purge_expired(_runtime(), limit=limit)
    emit({"erased": [o.to_dict() for o in outcomes if o.complete],
          "incomplete": [o.to_dict() for o in outcomes if not o.complete]}, as_json)


@retention.command("legal-hold")
@click.argument("enrollment_id")
@click.option("--on/--off", "hold", required=True)
@click.option("--reason", required=True, help="why (the order or case reference): written to the audit log")
@click.option("--json", "as_json", is_flag=True)
def legal_hold(enrollment_id: str, hold: bool, reason: str, as_json: bool) -> None:
    """Suspend (--on) or resume (--off) the erasure of ENROLLMENT_ID's dossier."""
    from workers.services.retention import set_legal_hold

    with _life_cycle_change(_runtime(), enrollment_id) as session:
        record = set_legal_hold(session, enrollment_id, hold, actor=_actor(), role=CLI_ROLE, reason=reason,
                                now=datetime.now(UTC))
        result = {"enrollment_id": enrollment_id, "legal_hold": record.legal_hold}
    emit(result, as_json)


@retention.command("end-early")
@click.argument("enrollment_id")
@click.option("--reason", required=True, help="the legal ground: written to the audit log")
@click.option("--json", "as_json", is_flag=True)
def end_early(enrollment_id: str, reason: str, as_json: bool) -> None:
    """End ENROLLMENT_ID's retention now, where the law allows (workers/services/retention.py explains when; refused
    where the store locked the sealed dossier); the next purge erases it."""
    from workers.services.retention import end_retention_early

    runtime = _runtime()
    with _life_cycle_change(runtime, enrollment_id) as session:
        record = end_retention_early(session, runtime.evidence, enrollment_id, actor=_actor(), role=CLI_ROLE,
                                     reason=reason, now=datetime.now(UTC))
        result = {"enrollment_id": enrollment_id, "retention_until": record.retention_until.isoformat()}
    emit(result, as_json)


@retention.command("rewrap")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True)
def rewrap(limit: int, as_json: bool) -> None:
    """Move dossiers' data keys onto the active master key (after IDV_EVIDENCE_MASTER_KEY_ID changed)."""
    from storage.evidence.encrypted import master_keys
    from workers.services.retention import rewrap_dossiers

    runtime = _runtime()
    keys = master_keys(runtime.settings)
    with runtime.database.session() as session:
        moved = rewrap_dossiers(session, runtime.evidence, keys, actor=_actor(), now=datetime.now(UTC), limit=limit)
    emit({"master_key_id": keys.active_key_id, "rewrapped": moved}, as_json)
