from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.verification import make_document, make_traits
from verification.identity.assertion import RNIV_CLAIM, build_assertion_claims
from verification.identity.model import IdentityTraits
from verification.identity.rniv import IdentityStatus, assess_vigilance
from verification.relying_party.integration import (
    RNIV_TABLE,
    ActionKind,
    Cell,
    IdentitySource,
    LocalIdentity,
    integrate,
    integrate_transmitted,
)

P, R, V, Q = IdentityStatus.PROV, IdentityStatus.RECUP, IdentityStatus.VALI, IdentityStatus.QUAL
S = IdentitySource
A = ActionKind

TRANSMITTED = make_traits()
MINOR = make_traits(birth_name="Dupont-Lagrade")  # one typo on a long name
MAJOR = make_traits(birth_date=date(1990, 4, 13))

# Every cell of the RNIV table, for a local record with a minor difference (so that "update traits
# if differences are minor" shows) and the resulting kind and status; None local = not found.
TABLE_CASES = [
    (S.FRANCECONNECT, Q, A.FOUND_AS_IS, Q),
    (S.FRANCECONNECT, R, A.FOUND_AS_IS, R),
    (S.FRANCECONNECT, V, A.UPDATE_TRAITS, V),
    (S.FRANCECONNECT, P, A.UPDATE_TRAITS, P),
    (S.FRANCECONNECT, None, A.CREATE, P),
    (S.INS_RETRIEVED, Q, A.FOUND_AS_IS, Q),
    (S.INS_RETRIEVED, R, A.FOUND_AS_IS, R),
    (S.INS_RETRIEVED, V, A.UPDATE_TRAITS, V),
    (S.INS_RETRIEVED, P, A.UPDATE_TRAITS, P),
    (S.INS_RETRIEVED, None, A.CREATE, P),
    (S.REMOTE_VERIFICATION, Q, A.FOUND_AS_IS, Q),
    (S.REMOTE_VERIFICATION, R, A.UPGRADE_STATUS, Q),
    (S.REMOTE_VERIFICATION, V, A.FOUND_AS_IS, V),
    (S.REMOTE_VERIFICATION, P, A.UPDATE_AND_UPGRADE, V),
    (S.REMOTE_VERIFICATION, None, A.CREATE, V),
    (S.FRANCECONNECT_PLUS, Q, A.FOUND_AS_IS, Q),
    (S.FRANCECONNECT_PLUS, R, A.UPGRADE_STATUS, Q),
    (S.FRANCECONNECT_PLUS, V, A.FOUND_AS_IS, V),
    (S.FRANCECONNECT_PLUS, P, A.UPDATE_AND_UPGRADE, V),
    (S.FRANCECONNECT_PLUS, None, A.CREATE, V),
    (S.SUBSTANTIAL_WITH_INS, Q, A.FOUND_AS_IS, Q),
    (S.SUBSTANTIAL_WITH_INS, R, A.UPDATE_AND_UPGRADE, Q),
    (S.SUBSTANTIAL_WITH_INS, V, A.UPDATE_AND_UPGRADE, Q),
    (S.SUBSTANTIAL_WITH_INS, P, A.UPDATE_AND_UPGRADE, Q),
    (S.SUBSTANTIAL_WITH_INS, None, A.CREATE, Q),
    (S.REMOTE_UNVALIDATED, Q, A.FOUND_AS_IS, Q),
    (S.REMOTE_UNVALIDATED, R, A.FOUND_AS_IS, R),
    (S.REMOTE_UNVALIDATED, V, A.FOUND_AS_IS, V),
    (S.REMOTE_UNVALIDATED, P, A.FOUND_AS_IS, P),
    (S.REMOTE_UNVALIDATED, None, A.CREATE, P),
]


def _local(status: IdentityStatus | None, traits: IdentityTraits = MINOR) -> LocalIdentity | None:
    return LocalIdentity(traits, status) if status else None


def test_the_cases_cover_the_whole_table() -> None:
    assert {(source, local) for source, local, _, _ in TABLE_CASES} == set(RNIV_TABLE)
    assert len(RNIV_TABLE) == len(IdentitySource) * (len(IdentityStatus) + 1)


@pytest.mark.parametrize(("source", "local", "kind", "status"), TABLE_CASES)
def test_table_cell(
    source: IdentitySource, local: IdentityStatus | None, kind: ActionKind, status: IdentityStatus
) -> None:
    action = integrate_transmitted(source, TRANSMITTED, _local(local))
    assert (action.kind, action.status) == (kind, status)
    updated = kind in (A.CREATE, A.UPDATE_TRAITS, A.UPDATE_AND_UPGRADE)
    assert action.traits == (TRANSMITTED if updated else MINOR)


@pytest.mark.parametrize(("source", "local"), [(s, loc) for s, loc, _, _ in TABLE_CASES if loc is not None])
def test_always_a_major_discrepancy_goes_to_manual_review_unchanged(
    source: IdentitySource, local: IdentityStatus
) -> None:
    action = integrate_transmitted(source, TRANSMITTED, _local(local, MAJOR))
    assert action.kind is A.MANUAL_REVIEW
    assert (action.status, action.traits) == (local, MAJOR)
    assert [d.field.value for d in action.comparison.discrepancies] == ["birth_date"]


@pytest.mark.parametrize("source", list(IdentitySource))
def test_always_creation_takes_the_transmitted_traits(source: IdentitySource) -> None:
    action = integrate_transmitted(source, TRANSMITTED, None)
    assert action.kind is A.CREATE and action.traits == TRANSMITTED and action.comparison is None


@pytest.mark.parametrize("source", list(IdentitySource))
def test_always_a_qual_identity_is_never_downgraded(source: IdentitySource) -> None:
    assert integrate_transmitted(source, TRANSMITTED, _local(Q)).status is Q


def test_never_downgraded_even_by_an_adapted_table() -> None:
    table = dict(RNIV_TABLE) | {(S.REMOTE_VERIFICATION, Q): Cell(P), (S.REMOTE_VERIFICATION, R): Cell(V)}
    assert integrate_transmitted(S.REMOTE_VERIFICATION, TRANSMITTED, _local(Q), table=table).status is Q
    # VALI would lose the retrieved INS of a RECUP record: sideways moves are refused too.
    assert integrate_transmitted(S.REMOTE_VERIFICATION, TRANSMITTED, _local(R), table=table).status is R


def test_equal_traits_need_no_update() -> None:
    action = integrate_transmitted(S.REMOTE_VERIFICATION, TRANSMITTED, _local(P, TRANSMITTED))
    assert (action.kind, action.status) == (A.UPGRADE_STATUS, V)
    assert integrate_transmitted(S.FRANCECONNECT, TRANSMITTED, _local(P, TRANSMITTED)).kind is A.FOUND_AS_IS


def _assertion(ins: IdentityTraits | None, **changes: object) -> dict:
    traits = make_traits(**changes)
    return build_assertion_claims(
        issuer="https://idv.example.test", subject="s", audience="rp", enrollment_id="e", identity=traits,
        document=make_document(), checks=[], field_sources={}, vigilance=assess_vigilance(traits, ins),
        verified_at=datetime(2026, 3, 2, tzinfo=UTC), lifetime=timedelta(minutes=15), jti="j",
    )


def test_our_assertion_is_case_3() -> None:
    action = integrate(_assertion(None), _local(R, TRANSMITTED), ins_held=True)
    assert action.source is S.REMOTE_VERIFICATION
    assert (action.kind, action.status) == (A.UPGRADE_STATUS, Q)
    created = integrate(_assertion(None), None)
    assert (created.kind, created.status) == (A.CREATE, V)
    # the transmitted traits are the display forms
    assert created.traits.birth_name == "DUPONT-LAGARDE"


def test_confirmed_ins_traits_make_case_5_only_when_the_tool_holds_the_ins() -> None:
    confirmed = _assertion(make_traits())
    assert integrate(confirmed, _local(V, TRANSMITTED), ins_held=True).status is Q
    assert integrate(confirmed, _local(V, TRANSMITTED), ins_held=False).status is V
    assert integrate(confirmed, None, ins_held=True).status is Q


def test_our_provisional_assertion_creates_a_provisional_identity_and_upgrades_nothing() -> None:
    provisional = _assertion(make_traits(), birth_place_code=None)
    assert provisional[RNIV_CLAIM]["status"] == "PROV"
    created = integrate(provisional, None, ins_held=True)
    assert (created.source, created.kind, created.status) == (S.REMOTE_UNVALIDATED, A.CREATE, P)
    for status in (P, R, V, Q):
        assert integrate(provisional, _local(status, TRANSMITTED), ins_held=True).status is status


def test_unconfirmed_ins_traits_stay_case_3() -> None:
    differing = _assertion(make_traits(birth_date=date(1991, 4, 12)))
    action = integrate(differing, None, ins_held=True)
    assert (action.source, action.status) == (S.REMOTE_VERIFICATION, V)
