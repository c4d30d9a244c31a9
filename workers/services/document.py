"""The document step: MRZ, check digits, expiry and document policy on the document captures; a document
video is also checked for the tilt the enrollment asked for, and the frame showing the portrait is kept for
the face match (which runs after this step, so the video is decoded and analysed once)."""

from __future__ import annotations

from datetime import UTC, datetime

from biometrics.video import VideoDecodeError
from storage.evidence.layout import document_frame_key
from storage.runtime import Runtime
from verification.common.outcome import CheckStatus
from verification.decision.policy import load_policy
from verification.decision.rules import CheckName
from verification.document.check import check_document
from verification.document.video import DECODE_SIDE, TiltDirection, check_document_video
from verification.enrollment.lifecycle import CaptureKind
from workers.services.inputs import document_images, load_inputs, load_video
from workers.services.results import save_check, save_failure, save_lossless


def run_document_check(runtime: Runtime, enrollment_id: str) -> None:
    inputs = load_inputs(runtime, enrollment_id)
    policy = load_policy(inputs.policy_name).document
    today = datetime.now(UTC).date()
    images = document_images(runtime, inputs)
    video = inputs.captures.get(CaptureKind.DOCUMENT_VIDEO)
    if video is None:
        save_check(runtime, enrollment_id, CheckName.DOCUMENT, check_document(images, policy, today))
        return
    try:
        clip = load_video(runtime, video, tracking_side=DECODE_SIDE)
    except VideoDecodeError as error:
        save_failure(runtime, enrollment_id, CheckName.DOCUMENT, CheckStatus.INCONCLUSIVE, error.reason.value,
                     str(error))
        return
    result = check_document_video(clip.frames, clip.timestamps, TiltDirection(inputs.document_tilt), policy,
                                  today, images)
    if result.video.portrait_frame is not None:
        save_lossless(runtime, document_frame_key(enrollment_id), clip.frames[result.video.portrait_frame])
    save_check(runtime, enrollment_id, CheckName.DOCUMENT, result)
