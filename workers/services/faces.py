"""The face-match step: document portrait vs. the best selfie frames, at the policy's threshold."""

from __future__ import annotations

import cv2
import numpy as np

from biometrics.face_matching import compare_document_to_selfie
from biometrics.video import VideoDecodeError
from storage.evidence.layout import DerivedImage, DerivedKind
from storage.runtime import Runtime
from verification.common.outcome import CheckStatus
from verification.decision.policy import load_policy
from verification.decision.rules import CheckName
from verification.document.video import DECODE_SIDE, analyse_document_video
from verification.enrollment.lifecycle import CaptureKind
from workers.services.inputs import EnrollmentInputs, load_image, load_inputs, load_video
from workers.services.results import save_check, save_failure, save_image

NO_PORTRAIT = "no_portrait_frame"


def run_face_match(runtime: Runtime, enrollment_id: str) -> None:
    inputs = load_inputs(runtime, enrollment_id)
    policy = load_policy(inputs.policy_name)
    try:
        document = _document_image(runtime, inputs)
        clip = load_video(runtime, inputs.captures[CaptureKind.SELFIE_VIDEO])
    except VideoDecodeError as error:
        save_failure(runtime, enrollment_id, CheckName.FACE_MATCH, CheckStatus.INCONCLUSIVE, error.reason.value,
                     str(error))
        return
    if document is None:
        save_failure(runtime, enrollment_id, CheckName.FACE_MATCH, CheckStatus.INCONCLUSIVE, NO_PORTRAIT,
                     "no frame of the document video shows the portrait")
        return
    # The face models take RGB; the store's images and the decoded frames are OpenCV's BGR.
    frames = [cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) for frame in clip.frames]
    result = compare_document_to_selfie(cv2.cvtColor(document, cv2.COLOR_BGR2RGB), frames,
                                        threshold=policy.face_max_distance.threshold)
    if result.portrait_crop is not None:
        save_image(runtime, enrollment_id, DerivedImage(DerivedKind.PORTRAIT), cv2.cvtColor(result.portrait_crop, cv2.COLOR_RGB2BGR))
    for rank, crop in enumerate(result.selfie_crops):
        save_image(runtime, enrollment_id, DerivedImage(DerivedKind.SELFIE_FRAME, rank), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))
    save_check(runtime, enrollment_id, CheckName.FACE_MATCH, result)


def _document_image(runtime: Runtime, inputs: EnrollmentInputs) -> np.ndarray | None:
    """The front image, or else the document video's frame that shows the portrait best."""
    if CaptureKind.DOCUMENT_FRONT in inputs.captures:
        return load_image(runtime, inputs.captures[CaptureKind.DOCUMENT_FRONT])
    clip = load_video(runtime, inputs.captures[CaptureKind.DOCUMENT_VIDEO], tracking_side=DECODE_SIDE)
    frame = analyse_document_video(clip.frames, clip.timestamps).portrait_frame
    return None if frame is None else clip.frames[frame]
