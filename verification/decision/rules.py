"""From check results to an outcome, under a policy; and the reviewer's word on top of it.

ETSI TS 119 461 9.2.3.3 (hybrid process): automation and a human both decide; when they disagree the
enrollment is aborted, never approved (USE-9.2.3.3-06X).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from verification.common.outcome import CheckStatus
from verification.decision.policy import Policy, ReviewMode, ScoreRule


class CheckName(StrEnum):
    DOCUMENT = "document"
    LIVENESS = "liveness"
    FACE_MATCH = "face_match"
    TRAITS = "traits"  # declared and INS traits against the document's (verification.identity.traits_check)


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    REVIEW = "review"
    RESUBMIT = "resubmit"


class Verdict(StrEnum):
    """What the automation concluded, kept apart from the outcome so a reviewer's word can be compared to it."""

    APPROVE = "approve"
    DOUBT = "doubt"
    REJECT = "reject"


class DecisionReason(StrEnum):
    CHECK_MISSING = "check_missing"
    CHECK_INCONCLUSIVE = "check_inconclusive"
    SCORE_NEAR_THRESHOLD = "score_near_threshold"
    HUMAN_REVIEW_REQUIRED = "human_review_required"
    RESUBMISSIONS_EXHAUSTED = "resubmissions_exhausted"
    REVIEWER_REJECTED = "reviewer_rejected"
    REVIEW_DISAGREEMENT = "review_disagreement"


@dataclass(frozen=True)
class CheckSummary:
    """A check's result as the decision sees it; `measure` is the value its policy threshold applies to
    (face_match: the descriptor distance, lower is better; liveness: the liveness score, higher is better)."""

    name: CheckName
    status: CheckStatus
    reasons: tuple[str, ...]
    measure: float | None = None


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    verdict: Verdict
    reasons: tuple[str, ...]
    policy_name: str
    policy_version: str

    def user_reasons(self, policy: Policy) -> tuple[str, ...]:
        """Only the codes the person may see; internal ones (fraud signals, scores) stay with operators."""
        return tuple(r for r in self.reasons if r in policy.user_visible_reasons)


def _code(reason: str) -> str:
    """A reason's code: "declared_traits_mismatch:birth_name" -> "declared_traits_mismatch"."""
    return reason.partition(":")[0]


def decide(checks: Sequence[CheckSummary], policy: Policy, resubmissions: int) -> Decision:
    """A failed check rejects, unless each of its reasons is one the person can fix (`resubmit_reasons`: a
    capped retake) or one the policy leaves to a human (`review_reasons`); a doubtful check asks for a
    retake when every problem is fixable (see _fixable), and goes to review otherwise."""

    def result(outcome: Outcome, verdict: Verdict, reasons: Sequence[str]) -> Decision:
        return Decision(outcome, verdict, tuple(dict.fromkeys(reasons)), policy.name, policy.version)

    by_name = {check.name: check for check in checks}
    missing = [name for name in CheckName if name not in by_name]
    if missing:
        return result(Outcome.REVIEW, Verdict.DOUBT, [DecisionReason.CHECK_MISSING, *missing])

    failed = [c for c in checks if c.status is CheckStatus.FAIL]
    doubtful = [c for c in checks if c.status is CheckStatus.INCONCLUSIVE]
    problem_reasons = [r for c in failed + doubtful for r in c.reasons]
    settled_by = policy.resubmit_reasons | policy.review_reasons
    if failed and any(_code(r) not in settled_by for c in failed for r in c.reasons or ("unspecified",)):
        return result(Outcome.REJECTED, Verdict.REJECT, problem_reasons)
    if problem_reasons and all(_fixable(c, policy) for c in failed + doubtful):
        if resubmissions < policy.max_resubmissions:
            return result(Outcome.RESUBMIT, Verdict.DOUBT, problem_reasons)
        if failed:
            return result(Outcome.REJECTED, Verdict.REJECT, [DecisionReason.RESUBMISSIONS_EXHAUSTED, *problem_reasons])
    if doubtful or failed:
        return result(Outcome.REVIEW, Verdict.DOUBT, [DecisionReason.CHECK_INCONCLUSIVE, *problem_reasons])

    near = [c.name.value for c in checks if not _clears_margin(c, policy)]
    if near:
        return result(Outcome.REVIEW, Verdict.DOUBT, [DecisionReason.SCORE_NEAR_THRESHOLD, *near])
    if policy.human_review is ReviewMode.ALWAYS:
        return result(Outcome.REVIEW, Verdict.APPROVE, [DecisionReason.HUMAN_REVIEW_REQUIRED])
    return result(Outcome.APPROVED, Verdict.APPROVE, [])


def _fixable(check: CheckSummary, policy: Policy) -> bool:
    """Whether a new capture may cure every reason of a check: each is a capture problem the person can fix
    (`resubmit_reasons`), or a doubt such a problem explains (`retake_curable_reasons`: fields left
    unconfirmed on a blurred photo) when the check reports one."""
    codes = [_code(r) for r in check.reasons]
    capture_problem = any(code in policy.resubmit_reasons for code in codes)
    return all(code in policy.resubmit_reasons or (capture_problem and code in policy.retake_curable_reasons)
               for code in codes)


def _clears_margin(check: CheckSummary, policy: Policy) -> bool:
    rules: dict[CheckName, tuple[ScoreRule, int]] = {
        CheckName.FACE_MATCH: (policy.face_max_distance, -1),  # distance: lower is better
        CheckName.LIVENESS: (policy.liveness_min_score, +1),
    }
    if check.name not in rules:
        return True
    if check.measure is None:
        return False
    rule, direction = rules[check.name]
    return direction * (check.measure - rule.threshold) >= rule.auto_margin


def apply_review(automated: Decision, approve: bool, reason: str, policy: Policy) -> Decision:
    """The reviewer's decision on a case in review. A reviewer may resolve automation's doubt either way;
    a reviewer rejecting what automation approved, or approving what it rejected, aborts the enrollment."""

    def result(outcome: Outcome, reasons: Sequence[str]) -> Decision:
        return Decision(outcome, automated.verdict, tuple(dict.fromkeys(reasons)), policy.name, policy.version)

    if approve and automated.verdict is not Verdict.REJECT:
        return result(Outcome.APPROVED, [])
    if not approve and automated.verdict is Verdict.DOUBT:
        return result(Outcome.REJECTED, [DecisionReason.REVIEWER_REJECTED, reason])
    return result(Outcome.REJECTED, [DecisionReason.REVIEW_DISAGREEMENT, reason])
