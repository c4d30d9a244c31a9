"""Both shipped policies on every combination of check outcomes, and the reviewer's word on top."""

from __future__ import annotations

import itertools

import pytest

from verification.common.outcome import CheckStatus
from verification.decision.policy import Policy, load_policy
from verification.decision.rules import (
    CheckName,
    CheckSummary,
    Decision,
    DecisionReason,
    Outcome,
    Verdict,
    apply_review,
    decide,
)

PVID = load_policy("pvid-substantial")
AUTOMATED = load_policy("automated")
# A reason per status that is not a capture problem (resubmission would not help).
HARD = {CheckStatus.FAIL: "faces_differ", CheckStatus.INCONCLUSIVE: "parallax_unmeasured"}
COMBINATIONS = list(itertools.product(CheckStatus, repeat=len(CheckName)))


def clear_measure(name: CheckName, policy: Policy) -> float | None:
    """A score well clear of the policy's threshold and margin."""
    if name is CheckName.FACE_MATCH:
        return policy.face_max_distance.threshold - policy.face_max_distance.auto_margin - 0.1
    if name is CheckName.LIVENESS:
        return policy.liveness_min_score.threshold + policy.liveness_min_score.auto_margin + 0.1
    return 1.0


def checks(statuses: tuple[CheckStatus, ...], policy: Policy) -> list[CheckSummary]:
    return [CheckSummary(name, status, () if status is CheckStatus.PASS else (HARD[status],),
                         clear_measure(name, policy)) for name, status in zip(CheckName, statuses, strict=True)]


@pytest.mark.parametrize("policy", [PVID, AUTOMATED], ids=lambda p: p.name)
@pytest.mark.parametrize("statuses", COMBINATIONS, ids=lambda s: "-".join(map(str, s)))
def test_every_combination_of_check_outcomes(policy: Policy, statuses: tuple[CheckStatus, ...]) -> None:
    decision = decide(checks(statuses, policy), policy, resubmissions=0)
    assert (decision.policy_name, decision.policy_version) == (policy.name, policy.version)
    if CheckStatus.FAIL in statuses:
        assert (decision.outcome, decision.verdict) == (Outcome.REJECTED, Verdict.REJECT)
        assert HARD[CheckStatus.FAIL] in decision.reasons
    elif CheckStatus.INCONCLUSIVE in statuses:
        assert (decision.outcome, decision.verdict) == (Outcome.REVIEW, Verdict.DOUBT)
        assert DecisionReason.CHECK_INCONCLUSIVE in decision.reasons
    elif policy is PVID:  # everything passed: a human operator must still validate
        assert (decision.outcome, decision.verdict) == (Outcome.REVIEW, Verdict.APPROVE)
        assert decision.reasons == (DecisionReason.HUMAN_REVIEW_REQUIRED,)
    else:
        assert (decision.outcome, decision.verdict, decision.reasons) == (Outcome.APPROVED, Verdict.APPROVE, ())


@pytest.mark.parametrize("name", [CheckName.FACE_MATCH, CheckName.LIVENESS])
def test_automated_policy_sends_a_pass_within_the_margin_to_review(name: CheckName) -> None:
    rule, direction = ((AUTOMATED.face_max_distance, -1) if name is CheckName.FACE_MATCH
                       else (AUTOMATED.liveness_min_score, +1))
    summaries = [CheckSummary(c, CheckStatus.PASS, (), clear_measure(c, AUTOMATED)) for c in CheckName]
    near = rule.threshold + direction * rule.auto_margin / 2
    summaries = [CheckSummary(s.name, s.status, s.reasons, near if s.name is name else s.measure) for s in summaries]
    decision = decide(summaries, AUTOMATED, resubmissions=0)
    assert decision.outcome is Outcome.REVIEW
    assert decision.reasons == (DecisionReason.SCORE_NEAR_THRESHOLD, name.value)


def test_a_missing_check_is_never_approved() -> None:
    present = [CheckSummary(c, CheckStatus.PASS, (), clear_measure(c, AUTOMATED)) for c in CheckName][:2]
    decision = decide(present, AUTOMATED, resubmissions=0)
    assert decision.outcome is Outcome.REVIEW and DecisionReason.CHECK_MISSING in decision.reasons


@pytest.mark.parametrize("policy", [PVID, AUTOMATED], ids=lambda p: p.name)
def test_capture_problems_ask_for_a_new_capture_a_capped_number_of_times(policy: Policy) -> None:
    retry = "move_closer"
    assert retry in policy.resubmit_reasons
    summaries = [CheckSummary(CheckName.DOCUMENT, CheckStatus.FAIL, (retry,), None),
                 *[CheckSummary(c, CheckStatus.PASS, (), clear_measure(c, policy)) for c in list(CheckName)[1:]]]
    for resubmissions in range(policy.max_resubmissions):
        decision = decide(summaries, policy, resubmissions)
        assert decision.outcome is Outcome.RESUBMIT
        assert decision.user_reasons(policy) == (retry,)
    exhausted = decide(summaries, policy, policy.max_resubmissions)
    assert exhausted.outcome is Outcome.REJECTED
    assert DecisionReason.RESUBMISSIONS_EXHAUSTED in exhausted.reasons


def test_internal_reasons_are_not_shown_to_the_person() -> None:
    decision = decide(checks((CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.PASS, CheckStatus.PASS), PVID), PVID, 0)
    assert "faces_differ" in decision.reasons
    assert "faces_differ" not in PVID.user_visible_reasons
    assert decision.user_reasons(PVID) == ()


def _with(policy: Policy, *problems: CheckSummary) -> list[CheckSummary]:
    """Every check passing clear of its margin, but for `problems`."""
    named = {p.name: p for p in problems}
    return [named.get(c, CheckSummary(c, CheckStatus.PASS, (), clear_measure(c, policy))) for c in CheckName]


DECLARED_MISMATCH = CheckSummary(CheckName.TRAITS, CheckStatus.FAIL, ("declared_traits_mismatch:birth_name",))


def test_a_declared_trait_discrepancy_goes_to_review_under_pvid_and_is_rejected_when_automated() -> None:
    reviewed = decide(_with(PVID, DECLARED_MISMATCH), PVID, resubmissions=0)
    assert (reviewed.outcome, reviewed.verdict) == (Outcome.REVIEW, Verdict.DOUBT)
    assert "declared_traits_mismatch:birth_name" in reviewed.reasons
    rejected = decide(_with(AUTOMATED, DECLARED_MISMATCH), AUTOMATED, resubmissions=0)
    assert (rejected.outcome, rejected.verdict) == (Outcome.REJECTED, Verdict.REJECT)
    assert rejected.reasons == ("declared_traits_mismatch:birth_name",)


def test_a_reviewable_reason_beside_a_hard_failure_is_still_rejected() -> None:
    faces = CheckSummary(CheckName.FACE_MATCH, CheckStatus.FAIL, ("faces_differ",))
    decision = decide(_with(PVID, DECLARED_MISMATCH, faces), PVID, resubmissions=0)
    assert decision.outcome is Outcome.REJECTED and "faces_differ" in decision.reasons


@pytest.mark.parametrize("policy", [PVID, AUTOMATED], ids=lambda p: p.name)
def test_disagreeing_document_zones_go_to_review_even_on_a_blurred_photo(policy: Policy) -> None:
    reason = "mrz_viz_mismatch:birth_date"
    document = CheckSummary(CheckName.DOCUMENT, CheckStatus.INCONCLUSIVE, (reason, "image_blurred"))
    decision = decide(_with(policy, document), policy, resubmissions=0)
    assert (decision.outcome, decision.verdict) == (Outcome.REVIEW, Verdict.DOUBT)
    assert reason in decision.reasons


@pytest.mark.parametrize("policy", [PVID, AUTOMATED], ids=lambda p: p.name)
@pytest.mark.parametrize("reasons", [("mrz_unreadable", "image_blurred"), ("mrz_not_visible", "avoid_glare")])
def test_a_fixable_capture_problem_is_a_capped_retake_never_a_rejection(policy: Policy,
                                                                        reasons: tuple[str, ...]) -> None:
    summaries = _with(policy, CheckSummary(CheckName.DOCUMENT, CheckStatus.INCONCLUSIVE, reasons))
    assert decide(summaries, policy, resubmissions=0).outcome is Outcome.RESUBMIT
    exhausted = decide(summaries, policy, resubmissions=policy.max_resubmissions)
    assert exhausted.outcome is Outcome.REVIEW


def automated(verdict: Verdict) -> Decision:
    outcome = {Verdict.APPROVE: Outcome.REVIEW, Verdict.DOUBT: Outcome.REVIEW, Verdict.REJECT: Outcome.REJECTED}
    return Decision(outcome[verdict], verdict, (), PVID.name, PVID.version)


@pytest.mark.parametrize(("verdict", "approve", "outcome", "reason"), [
    (Verdict.APPROVE, True, Outcome.APPROVED, None),
    (Verdict.APPROVE, False, Outcome.REJECTED, DecisionReason.REVIEW_DISAGREEMENT),  # disagreement aborts
    (Verdict.DOUBT, True, Outcome.APPROVED, None),  # the reviewer resolves automation's doubt
    (Verdict.DOUBT, False, Outcome.REJECTED, DecisionReason.REVIEWER_REJECTED),
    (Verdict.REJECT, True, Outcome.REJECTED, DecisionReason.REVIEW_DISAGREEMENT),  # never approved
    (Verdict.REJECT, False, Outcome.REJECTED, DecisionReason.REVIEW_DISAGREEMENT),
])
def test_the_reviewers_word_against_the_automated_verdict(verdict: Verdict, approve: bool, outcome: Outcome,
                                                          reason: DecisionReason | None) -> None:
    decision = apply_review(automated(verdict), approve, "identity_confirmed" if approve else "face_mismatch", PVID)
    assert decision.outcome is outcome
    assert (reason in decision.reasons) if reason else decision.reasons == ()


@pytest.mark.parametrize("policy", [PVID, AUTOMATED], ids=lambda p: p.name)
def test_fields_left_unconfirmed_on_a_blurred_photo_ask_for_a_retake_and_alone_for_review(policy: Policy) -> None:
    blurred = CheckSummary(CheckName.DOCUMENT, CheckStatus.INCONCLUSIVE,
                           ("field_unconfirmed:surname", "field_unconfirmed:document_number", "image_blurred"))
    decision = decide(_with(policy, blurred), policy, resubmissions=0)
    assert decision.outcome is Outcome.RESUBMIT and decision.user_reasons(policy) == ("image_blurred",)
    sharp = CheckSummary(CheckName.DOCUMENT, CheckStatus.INCONCLUSIVE, ("field_unconfirmed:surname",))
    assert decide(_with(policy, sharp), policy, resubmissions=0).outcome is Outcome.REVIEW
