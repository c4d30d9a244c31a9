"""The liveness step: the selfie video against the challenge it answered, under the policy's liveness and PAD
thresholds."""

from __future__ import annotations

from functools import partial

from biometrics.challenge import Action
from biometrics.liveness import check_liveness_video
from biometrics.video import VideoDecodeError
from storage.runtime import Runtime
from verification.common.outcome import CheckStatus
from verification.decision.policy import load_policy
from verification.decision.rules import CheckName
from verification.enrollment.lifecycle import CaptureKind
from workers.services.inputs import load_inputs, on_video
from workers.services.results import save_check, save_failure


def run_liveness_check(runtime: Runtime, enrollment_id: str) -> None:
    inputs = load_inputs(runtime, enrollment_id)
    selfie = inputs.captures[CaptureKind.SELFIE_VIDEO]
    challenge = tuple(Action(a) for a in selfie.challenge_actions or ())
    thresholds = load_policy(inputs.policy_name).liveness
    try:
        result = on_video(runtime, selfie, partial(check_liveness_video, challenge=challenge, thresholds=thresholds))
    except VideoDecodeError as error:
        save_failure(runtime, enrollment_id, CheckName.LIVENESS, CheckStatus.FAIL, error.reason.value, str(error))
        return
    save_check(runtime, enrollment_id, CheckName.LIVENESS, result)
