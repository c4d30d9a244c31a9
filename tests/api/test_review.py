"""The review console through HTTP: login, sessions, CSRF, random assignment, the case page, the decision and
what it leads to (final decision, status, assertion), and the trail of every reviewer action."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.app import create_app
from api.cli.operators import operator as operator_cli
from api.review_auth import CSRF_COOKIE, SESSION_COOKIE, issue_session, read_session
from storage.audit import log as audit
from storage.audit.models import AuditLogRow
from storage.enrollments.models import Decision, Enrollment
from storage.enrollments.repositories import Assertions, Captures, CheckResults, Decisions, Enrollments
from storage.review.credentials import OperatorRole
from storage.review.models import ReviewAssignment
from storage.review.repositories import Operators, ReviewActions, ReviewAssignments
from storage.runtime import Runtime
from storage.settings import get_settings
from tests.api.conftest import present, runtime_of
from tests.api.review_factories import (
    PASSWORD,
    SELFIE_FRAMES,
    document_sample,
    make_case,
    make_operator,
    review_settings,
)
from verification.common.jws import verify
from verification.common.outcome import CheckStatus
from verification.decision.rules import DecisionReason
from verification.document.fields import DocumentFields, FieldName, FieldSource
from verification.enrollment.lifecycle import Status
from workers.services.operators import check_credentials

CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory, s3_endpoint: str) -> Iterator[TestClient]:
    with review_settings(tmp_path_factory.mktemp("review"), s3_endpoint) as settings:
        app = create_app(settings)
        with TestClient(app) as client:
            yield client
        app.state.runtime.database.engine.dispose()  # before its database is dropped


@pytest.fixture
def runtime(app_client: TestClient) -> Runtime:
    return runtime_of(app_client)


@pytest.fixture(autouse=True)
def empty_queue(runtime: Runtime) -> None:
    """Each test starts with no case waiting: cases left undecided by an earlier test are closed."""
    with runtime.database.session() as session:
        for enrollment_id in _waiting(runtime):
            enrollment = present(Enrollments(session).get(enrollment_id))
            Enrollments(session).transition(enrollment, Status.REJECTED, "test cleanup", datetime.now(UTC))


def _waiting(runtime: Runtime) -> list[str]:
    with runtime.database.session() as session:
        return list(session.scalars(select(Enrollment.id).where(Enrollment.status == Status.REVIEW)))


def browser(app_client: TestClient) -> TestClient:
    """A client with its own cookie jar, like a second browser."""
    return TestClient(app_client.app, follow_redirects=False)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Logs in; returns the CSRF token the pages carry."""
    response = client.post("/review/login", data={"username": username, "password": password})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/review/"
    return csrf_of(client.get("/review/").text)


def csrf_of(page: str) -> str:
    match = CSRF_FIELD.search(page)
    assert match, "no CSRF field on the page"
    return match.group(1)


def take_case(client: TestClient, csrf: str) -> str:
    response = client.post("/review/next", data={"csrf_token": csrf})
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def decide(client: TestClient, enrollment_id: str, csrf: str, decision: str, reason: str,
           comment: str = "checked the portrait against the frames") -> httpx.Response:
    return client.post(f"/review/cases/{enrollment_id}/decision",
                       data={"csrf_token": csrf, "decision": decision, "reason": reason, "comment": comment})


def actions(runtime: Runtime, enrollment_id: str) -> list[str]:
    with runtime.database.session() as session:
        return [a.action for a in ReviewActions(session).of_enrollment(enrollment_id)]


# --- authentication --------------------------------------------------------------------------------------------

def test_pages_need_a_session(app_client: TestClient) -> None:
    client = browser(app_client)
    for path in ("/review/", "/review/trail", "/review/cases/whatever"):
        response = client.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/review/login"), path
    page = client.get("/review/login")
    assert page.status_code == 200 and 'name="password"' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_login_sets_protected_cookies_and_wrong_passwords_are_refused(app_client: TestClient,
                                                                      runtime: Runtime) -> None:
    username = make_operator(runtime)
    client = browser(app_client)
    refused = client.post("/review/login", data={"username": username, "password": PASSWORD + "x"})
    unknown = client.post("/review/login", data={"username": "nobody-" + username, "password": PASSWORD})
    assert refused.status_code == unknown.status_code == 401
    assert "Wrong username or password" in refused.text and SESSION_COOKIE not in client.cookies

    response = client.post("/review/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 303
    cookies = response.headers.get_list("set-cookie")
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        header = next(c for c in cookies if c.startswith(f"{name}="))
        assert "HttpOnly" in header and "SameSite=strict" in header, header
    assert username in client.get("/review/").text
    with runtime.database.session() as session:
        operator = present(Operators(session).by_username(username))
        assert [a.action for a in ReviewActions(session).of_operator(operator.id)] == ["login_refused", "login"]


def test_a_forged_or_expired_session_cookie_opens_nothing(app_client: TestClient, runtime: Runtime) -> None:
    username = make_operator(runtime)
    with runtime.database.session() as session:
        operator_id = present(Operators(session).by_username(username)).id
    secret = runtime.settings.session_secret.get_secret_value()
    now = datetime.now(UTC)
    valid, _ = issue_session(secret, operator_id, now, 60)
    assert read_session(secret, valid, now) is not None
    forged, _ = issue_session("another secret", operator_id, now, 60)
    expired, _ = issue_session(secret, operator_id, now - timedelta(hours=2), 60)
    body, _, mac = valid.partition(".")
    tampered = f"{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{mac}"
    for value in (forged, expired, tampered, "garbage"):
        client = browser(app_client)
        client.cookies.set(SESSION_COOKIE, value)
        assert client.get("/review/").status_code == 303, value
    client = browser(app_client)
    client.cookies.set(SESSION_COOKIE, valid)
    assert client.get("/review/").status_code == 200


def test_logout_voids_the_session_cookie(app_client: TestClient, runtime: Runtime) -> None:
    client = browser(app_client)
    csrf = login(client, make_operator(runtime))
    stolen = client.cookies.get(SESSION_COOKIE)
    assert client.post("/review/logout", data={"csrf_token": csrf}).status_code == 303
    replay = browser(app_client)
    replay.cookies.set(SESSION_COOKIE, stolen)
    assert replay.get("/review/").status_code == 303


def test_a_deactivated_operator_cannot_log_in(app_client: TestClient, runtime: Runtime) -> None:
    username = make_operator(runtime)
    with runtime.database.session() as session:
        present(Operators(session).by_username(username)).active = False
    response = browser(app_client).post("/review/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 401


def test_forms_without_the_right_csrf_token_are_refused(app_client: TestClient, runtime: Runtime) -> None:
    enrollment_id = make_case(app_client, runtime)
    client = browser(app_client)
    csrf = login(client, make_operator(runtime))
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "0" * len(csrf)}):
        response = client.post("/review/next", data=data)
        assert response.status_code == 403 and "security token" in response.text
    other = browser(app_client)
    other_csrf = login(other, make_operator(runtime))
    assert client.post("/review/next", data={"csrf_token": other_csrf}).status_code == 403  # not this session's
    assert _waiting(runtime) == [enrollment_id]
    with runtime.database.session() as session:
        assert ReviewAssignments(session).of_enrollment(enrollment_id) == []


# --- queue and case page ---------------------------------------------------------------------------------------

def test_cases_are_drawn_at_random_among_those_nobody_holds(app_client: TestClient, runtime: Runtime) -> None:
    cases = {make_case(app_client, runtime) for _ in range(3)}
    with runtime.database.session() as session:
        draws = {present(ReviewAssignments(session).pick_unassigned(Status.REVIEW)).id for _ in range(40)}
    assert draws == cases  # each of 3 drawn in 40 uniform draws: fails by chance with p ≈ 3·(2/3)^40 < 1e-6

    first, second = browser(app_client), browser(app_client)
    first_case = take_case(first, login(first, make_operator(runtime)))
    second_csrf = login(second, make_operator(runtime))
    second_case = take_case(second, second_csrf)
    assert first_case != second_case and {first_case, second_case} <= cases
    assert take_case(second, second_csrf) == second_case  # one case at a time: the held one again
    assert second.get(f"/review/cases/{first_case}").status_code == 403  # not assigned to them


def test_an_empty_queue_says_so(app_client: TestClient, runtime: Runtime) -> None:
    client = browser(app_client)
    response = client.post("/review/next", data={"csrf_token": login(client, make_operator(runtime))})
    assert response.status_code == 200 and 'id="queue-empty"' in response.text


def test_an_assignment_whose_time_ran_out_returns_to_the_queue(app_client: TestClient, runtime: Runtime) -> None:
    enrollment_id = make_case(app_client, runtime)
    first = browser(app_client)
    assert take_case(first, login(first, make_operator(runtime))) == enrollment_id
    with runtime.database.session() as session:
        assignment = ReviewAssignments(session).of_enrollment(enrollment_id)[0]
        assignment.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    second = browser(app_client)
    assert take_case(second, login(second, make_operator(runtime))) == enrollment_id
    assert first.get(f"/review/cases/{enrollment_id}").status_code == 403
    with runtime.database.session() as session:
        rows = ReviewAssignments(session).of_enrollment(enrollment_id)
        assert [r.closed_because for r in rows] == ["expired", None]


def test_the_case_page_shows_the_evidence_and_every_check(app_client: TestClient, runtime: Runtime) -> None:
    enrollment_id = make_case(app_client, runtime, liveness=CheckStatus.INCONCLUSIVE)
    client = browser(app_client)
    take_case(client, login(client, make_operator(runtime)))
    page = client.get(f"/review/cases/{enrollment_id}")
    assert page.status_code == 200
    html = page.text
    images = re.findall(r'<img class="evidence ([a-z-]+)" (?:id="\w+" )?src="([^"]+)"', html)
    assert sorted(kind for kind, _ in images) == ["document", "portrait"] + ["selfie-frame"] * SELFIE_FRAMES
    with runtime.database.session() as session:
        checks = {c.check: c for c in CheckResults(session).of_enrollment(enrollment_id)}
        surname = checks["document"].details["mrz"]["fields"]["surname"]
        number = checks["document"].details["mrz"]["fields"]["document_number"]
    assert surname in html and number in html  # the MRZ fields, in a document's reading order
    shown = re.findall(r"<tr><th>(\w+)</th><td><code>", html)
    assert shown[:4] == ["document_code", "issuing_state", "document_number", "surname"]
    for name, check in checks.items():
        row = re.search(rf'<tr class="check status-{check.status}" id="check-{name}">(.*?)</tr>', html, re.S)
        assert row, name
        assert (f"{check.score:.3f}" if check.score is not None else "—") in row.group(1)
        assert all(reason in row.group(1) for reason in check.reasons)
    assert "planarity_suspect" in html and "check_inconclusive" in html  # the reasons, automation's doubt

    for _, url in images:
        response = client.get(url)
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        assert response.content[:2] == b"\xff\xd8"
    document_url = next(url for kind, url in images if kind == "document")
    with runtime.database.session() as session:
        capture_key = present(Captures(session).of_kind(enrollment_id, "document_front")).object_key
    assert client.get(document_url).content == runtime.evidence.read_bytes(capture_key)
    assert client.get(f"/review/cases/{enrollment_id}/derived/other-name").status_code == 404
    assert client.get(f"/review/cases/{enrollment_id}/captures/selfie_video").status_code == 404

    trail = actions(runtime, enrollment_id)
    assert trail[:2] == ["assign", "open_case"]
    assert trail.count("view_evidence") == len(images) + 1
    with runtime.database.session() as session:
        reads = session.scalars(select(AuditLogRow).where(AuditLogRow.action == audit.AuditAction.EVIDENCE_READ,
                                                          AuditLogRow.target.like(f"enrollments/{enrollment_id}/%")))
        assert len(list(reads)) == len(images) + 1
        assert audit.verify_log(session).intact


# --- decisions -------------------------------------------------------------------------------------------------

def test_approval_closes_the_enrollment_and_issues_the_assertion(app_client: TestClient, runtime: Runtime) -> None:
    enrollment_id = make_case(app_client, runtime)
    client = browser(app_client)
    username = make_operator(runtime)
    csrf = login(client, username)
    take_case(client, csrf)
    response = decide(client, enrollment_id, csrf, "approve", "identity_confirmed", "portrait and frames match")
    assert (response.status_code, response.headers["location"]) == (303, "/review/")
    assert "approved" in client.get("/review/").text  # the home page recalls the last decision

    with runtime.database.session() as session:
        decisions = Decisions(session).of_enrollment(enrollment_id)
        assert [(d.decided_by, d.outcome, d.verdict, d.final) for d in decisions] == [
            ("automated", "review", "approve", False), (username, "approved", "approve", True)]
        assert decisions[-1].policy_name == "pvid-substantial" and decisions[-1].reasons == []
        assert present(Enrollments(session).get(enrollment_id)).status == Status.APPROVED
        token = present(Assertions(session).of_enrollment(enrollment_id)).token
        decide_action = [a for a in ReviewActions(session).of_enrollment(enrollment_id) if a.action == "decide"][0]
        assert decide_action.detail == {"approve": True, "outcome": "approved", "reason": "identity_confirmed",
                                        "comment": "portrait and frames match"}
        logged = session.scalars(select(AuditLogRow).where(AuditLogRow.target == f"enrollment:{enrollment_id}",
                                                           AuditLogRow.action == audit.AuditAction.REVIEW_ACTION))
        logged_actions = {row.details["review_action"]: row.details for row in logged}
        assert "comment" not in logged_actions["decide"]  # free text stays out of the undeletable log
    claims = verify(token, app_client.get("/.well-known/jwks.json").json(), audience="rp-test")
    methods = [c["check_method"] for c in claims["verified_claims"]["verification"]["evidence"][0]["check_details"]]
    assert "pvr" in methods  # the human comparison is part of the evidence


def test_rejecting_what_automation_approved_aborts(app_client: TestClient, runtime: Runtime) -> None:
    enrollment_id = make_case(app_client, runtime)
    client = browser(app_client)
    csrf = login(client, make_operator(runtime))
    take_case(client, csrf)
    assert decide(client, enrollment_id, csrf, "reject", "face_mismatch").status_code == 303
    with runtime.database.session() as session:
        final = present(Decisions(session).latest(enrollment_id))
        assert (final.outcome, final.final) == ("rejected", True)
        assert final.reasons == [DecisionReason.REVIEW_DISAGREEMENT, "face_mismatch"]
        assert present(Enrollments(session).get(enrollment_id)).status == Status.REJECTED
        assert Assertions(session).of_enrollment(enrollment_id) is None


def test_a_reviewer_resolves_automations_doubt(app_client: TestClient, runtime: Runtime) -> None:
    doubtful = [make_case(app_client, runtime, liveness=CheckStatus.INCONCLUSIVE) for _ in range(2)]
    client = browser(app_client)
    csrf = login(client, make_operator(runtime))
    outcomes = {}
    for verb, reason in (("reject", "presentation_attack_suspected"), ("approve", "automated_doubt_resolved")):
        enrollment_id = take_case(client, csrf)
        assert decide(client, enrollment_id, csrf, verb, reason).status_code == 303
        with runtime.database.session() as session:
            final = present(Decisions(session).latest(enrollment_id))
            outcomes[verb] = (final.outcome, final.verdict, final.reasons)
            assert (Assertions(session).of_enrollment(enrollment_id) is None) == (verb == "reject")
    assert sorted(doubtful) == sorted(_decided(runtime, doubtful))
    assert outcomes == {"reject": ("rejected", "doubt", [DecisionReason.REVIEWER_REJECTED,
                                                        "presentation_attack_suspected"]),
                        "approve": ("approved", "doubt", [])}


def _decided(runtime: Runtime, ids: list[str]) -> list[str]:
    with runtime.database.session() as session:
        return [i for i in ids if present(Enrollments(session).get(i)).status in (Status.APPROVED, Status.REJECTED)]


@pytest.mark.parametrize(("verb", "reason", "comment"), [
    ("approve", "face_mismatch", "looks fine"),  # a rejection reason cannot justify an approval
    ("reject", "identity_confirmed", "looks wrong"),
    ("approve", "identity_confirmed", "   "),  # a comment is required
])
def test_an_ill_formed_decision_changes_nothing(app_client: TestClient, runtime: Runtime, verb: str, reason: str,
                                                comment: str) -> None:
    enrollment_id = make_case(app_client, runtime)
    client = browser(app_client)
    csrf = login(client, make_operator(runtime))
    take_case(client, csrf)
    assert decide(client, enrollment_id, csrf, verb, reason, comment).status_code == 422
    with runtime.database.session() as session:
        assert present(Enrollments(session).get(enrollment_id)).status == Status.REVIEW
        assert [d.decided_by for d in Decisions(session).of_enrollment(enrollment_id)] == ["automated"]


def test_a_case_is_decided_once_and_only_by_its_reviewer(app_client: TestClient, runtime: Runtime) -> None:
    enrollment_id = make_case(app_client, runtime)
    holder, other = browser(app_client), browser(app_client)
    holder_csrf, other_csrf = login(holder, make_operator(runtime)), login(other, make_operator(runtime))
    take_case(holder, holder_csrf)
    assert decide(other, enrollment_id, other_csrf, "reject", "document_suspect").status_code == 403
    assert decide(holder, enrollment_id, holder_csrf, "approve", "identity_confirmed").status_code == 303
    assert decide(holder, enrollment_id, holder_csrf, "reject", "document_suspect").status_code == 403
    with runtime.database.session() as session:
        finals = session.scalars(select(Decision).where(Decision.enrollment_id == enrollment_id,
                                                        Decision.final.is_(True)))
        assert [d.outcome for d in finals] == ["approved"]
        assert ReviewAssignments(session).of_enrollment(enrollment_id)[0].closed_because == "decided"


# --- fields the reviewer confirms ------------------------------------------------------------------------------

def decide_with_fields(client: TestClient, enrollment_id: str, csrf: str, fields: str | None,
                       verb: str = "approve", reason: str = "automated_doubt_resolved",
                       accept: str = "application/json") -> httpx.Response:
    data = {"csrf_token": csrf, "decision": verb, "reason": reason, "comment": "compared with the document"}
    if fields is not None:
        data["fields"] = fields
    return client.post(f"/review/cases/{enrollment_id}/decision", data=data, headers={"Accept": accept})


def test_approving_needs_the_unconfirmed_fields_confirmed_by_the_reviewer(app_client: TestClient,
                                                                         runtime: Runtime) -> None:
    enrollment_id = make_case(app_client, runtime, unconfirmed_fields=(FieldName.SURNAME, FieldName.BIRTH_DATE))
    with runtime.database.session() as session:
        automated = present(Decisions(session).latest(enrollment_id))
        assert (automated.outcome, automated.verdict) == ("review", "doubt")
        assert "field_unconfirmed:surname" in automated.reasons
    client = browser(app_client)
    csrf = login(client, make_operator(runtime))
    take_case(client, csrf)
    refused = decide_with_fields(client, enrollment_id, csrf, None)
    assert refused.status_code == 422
    assert refused.json() == {"error": "fields_unconfirmed", "detail": {"fields": ["surname", "birth_date"]}}
    page = decide_with_fields(client, enrollment_id, csrf, None, accept="text/html")
    assert page.status_code == 422 and 'id="refusal-code">fields_unconfirmed<' in page.text
    partial = decide_with_fields(client, enrollment_id, csrf, json.dumps({"surname": "D'ALMEIDA"}))
    assert partial.json()["detail"] == {"fields": ["birth_date"]}
    for bad in ("not json", "[]", json.dumps({"birth_date": "5 janvier 1978"}), json.dumps({"height": "1m80"})):
        assert decide_with_fields(client, enrollment_id, csrf, bad).json()["error"] == "review_fields_invalid", bad
    with runtime.database.session() as session:
        assert present(Enrollments(session).get(enrollment_id)).status == Status.REVIEW

    fields = {"surname": "D'Almeida", "birth_date": "1978-01-05"}
    assert decide_with_fields(client, enrollment_id, csrf, json.dumps(fields)).status_code == 303
    with runtime.database.session() as session:
        final = present(Decisions(session).latest(enrollment_id))
        stored = DocumentFields.from_dict(final.identity_fields or {})
        token = present(Assertions(session).of_enrollment(enrollment_id)).token
    assert {name: (f.value, f.source) for name, f in stored} == {
        FieldName.SURNAME: ("D'Almeida", FieldSource.REVIEWER),
        FieldName.BIRTH_DATE: ("1978-01-05", FieldSource.REVIEWER)}
    claims = verify(token, app_client.get("/.well-known/jwks.json").json(), audience="rp-test")
    sources = claims["verified_claims"]["verification"]["evidence"][0]["field_sources"]
    assert sources["surname"] == sources["birth_date"] == "reviewer" and sources["document_number"] == "mrz"
    assert claims["verified_claims"]["claims"]["birth_family_name"] == "D'ALMEIDA"
    assert claims["verified_claims"]["claims"]["birthdate"] == "1978-01-05"


def test_declared_traits_other_than_the_documents_go_to_review_and_travel_with_the_assertion(
        app_client: TestClient, runtime: Runtime) -> None:
    read = document_sample().result.fields
    declared = {"birth_name": "Someone-Else", "given_names": list(read.confirmed_value(FieldName.GIVEN_NAMES) or ()),
                "birth_date": read.confirmed_value(FieldName.BIRTH_DATE), "sex": read.confirmed_value(FieldName.SEX)}
    enrollment_id = make_case(app_client, runtime, declared_traits=declared)
    with runtime.database.session() as session:
        automated = present(Decisions(session).latest(enrollment_id))
        traits = next(c for c in CheckResults(session).of_enrollment(enrollment_id) if c.check == "traits")
    assert (automated.outcome, automated.verdict) == ("review", "doubt")
    assert "declared_traits_mismatch:birth_name" in automated.reasons
    assert (traits.status, traits.reasons) == ("fail", ["declared_traits_mismatch:birth_name"])
    client = browser(app_client)
    csrf = login(client, make_operator(runtime))
    take_case(client, csrf)
    assert "declared_traits_mismatch:birth_name" in client.get(f"/review/cases/{enrollment_id}").text
    assert decide_with_fields(client, enrollment_id, csrf, None).status_code == 303
    with runtime.database.session() as session:
        token = present(Assertions(session).of_enrollment(enrollment_id)).token
    rniv = verify(token, app_client.get("/.well-known/jwks.json").json(), audience="rp-test")["urn:idv:rniv"]
    assert [(d["traits"], d["field"], d["other_value"]) for d in rniv["discrepancies"]] == [
        ("declared", "birth_name", "SOMEONEELSE")]
    assert rniv["status"] == "PROV" and rniv["unconfirmed_traits"] == ["birth_place_code"]  # no VIZ reading yet


# --- roles -----------------------------------------------------------------------------------------------------

def test_roles(app_client: TestClient, runtime: Runtime) -> None:
    enrollment_id = make_case(app_client, runtime)
    auditor, reviewer, admin = (browser(app_client) for _ in range(3))
    auditor_csrf = login(auditor, make_operator(runtime, OperatorRole.AUDITOR))
    reviewer_csrf = login(reviewer, make_operator(runtime, OperatorRole.REVIEWER))
    login(admin, make_operator(runtime, OperatorRole.ADMIN))

    assert auditor.post("/review/next", data={"csrf_token": auditor_csrf}).status_code == 403
    assert reviewer.get("/review/trail").status_code == 403
    assert take_case(reviewer, reviewer_csrf) == enrollment_id
    for client in (auditor, admin):
        page = client.get("/review/trail")
        assert page.status_code == 200 and enrollment_id in page.text and "assign" in page.text


# --- command line ----------------------------------------------------------------------------------------------

def test_operator_add_command(app_client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = runtime.settings
    monkeypatch.setenv("IDV_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("IDV_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(operator_cli, ["add", "carol-cli", "--role", "auditor", "--password-stdin", "--json"],
                               input=f"{PASSWORD}\n")
        assert result.exit_code == 0, result.output
        assert '"role": "auditor"' in result.output and PASSWORD not in result.output
        again = runner.invoke(operator_cli, ["add", "carol-cli", "--password-stdin"], input=f"{PASSWORD}\n")
        short = runner.invoke(operator_cli, ["add", "dave-cli", "--password-stdin"], input="short\n")
        assert again.exit_code == short.exit_code == 1 and "exists already" in again.output
        assert "at least 12 characters" in short.output
    finally:
        get_settings.cache_clear()
    with runtime.database.session() as session:
        operator, valid = check_credentials(session, "carol-cli", PASSWORD)
        assert valid and present(operator).role == "auditor"
        assert present(operator).password_hash.startswith("$argon2id$")
        assert Operators(session).by_username("dave-cli") is None
    client = browser(app_client)
    login(client, "carol-cli")
    assert client.get("/review/trail").status_code == 200


def test_the_database_refuses_a_second_open_assignment_of_a_case(app_client: TestClient, runtime: Runtime) -> None:
    enrollment_id = make_case(app_client, runtime)
    operator_id = _operator_id(runtime, make_operator(runtime))
    now = datetime.now(UTC)

    def assignment() -> ReviewAssignment:
        return ReviewAssignment(enrollment_id=enrollment_id, operator_id=operator_id, assigned_at=now,
                                expires_at=now + timedelta(minutes=5), closed_at=None, closed_because=None)

    with runtime.database.session() as session:
        ReviewAssignments(session).add(assignment())
    with pytest.raises(IntegrityError), runtime.database.session() as session:
        ReviewAssignments(session).add(assignment())
        session.flush()


def _operator_id(runtime: Runtime, username: str) -> str:
    with runtime.database.session() as session:
        return present(Operators(session).by_username(username)).id
