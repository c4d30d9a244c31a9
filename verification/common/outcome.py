"""The contract every automated check honours: a status, an optional score, stable reason codes.

Scores stay apart from decisions: checks measure, the policy (verification.decision.policy) decides.
"""

from __future__ import annotations

from enum import StrEnum


class CheckStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
