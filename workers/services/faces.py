"""The face-match step: document portrait vs. the best selfie frames, at the policy's threshold and face
quality limits. Runs after the document step, whose result says which document video frame shows the portrait
(kept losslessly), or why the video could not be read."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from biometrics.face_matching import compare_document_to_selfie
from biometrics.video import VideoDecodeError
from storage.evidence.layout import DerivedImage, DerivedKind, document_frame_key
from storage.runtime import Runtime
from verification.common.outcome import CheckStatus
from verification.decision.policy import load_policy
from verification.decision.records import DocumentRecord
from verification.decision.rules import CheckName
from verification.enrollment.lifecycle import CaptureKind
from workers.services.inputs import (
    EnrollmentInputs,
    load_image,
    load_inputs,
    load_stored_image,
    load_video,
    swap_channels,
)
from workers.services.results import load_check_record, save_check, save_failure, save_image

NO_PORTRAIT = "no_portrait_frame"


class _Unusable(Exception):
    """The document side cannot be compared: the reason and detail the face match reports."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def run_face_match(runtime: Runtime, enrollment_id: str) -> None:
    inputs = load_inputs(runtime, enrollment_id)
    policy = load_policy(inputs.policy_name)
    try:
        document = _document_image(runtime, inputs)
        clip = load_video(runtime, inputs.captures[CaptureKind.SELFIE_VIDEO])
    except (_Unusable, VideoDecodeError) as error:
        reason = error.reason if isinstance(error, _Unusable) else error.reason.value
        save_failure(runtime, enrollment_id, CheckName.FACE_MATCH, CheckStatus.INCONCLUSIVE, reason, str(error))
        return
    # The face models take RGB; the store's images and the decoded frames are OpenCV's BGR.
    frames = [swap_channels(frame) for frame in clip.frames]
    result = compare_document_to_selfie(swap_channels(document), frames,
                                        threshold=policy.face_max_distance.threshold, quality=policy.face_quality)
    if result.portrait_crop is not None:
        save_image(runtime, enrollment_id, DerivedImage(DerivedKind.PORTRAIT), swap_channels(result.portrait_crop))
    for rank, crop in enumerate(result.selfie_crops):
        save_image(runtime, enrollment_id, DerivedImage(DerivedKind.SELFIE_FRAME, rank), swap_channels(crop))
    save_check(runtime, enrollment_id, CheckName.FACE_MATCH, result)


def _document_image(runtime: Runtime, inputs: EnrollmentInputs) -> npt.NDArray[np.uint8]:
    """The front image, or else the document video's frame the document step found the portrait on."""
    if CaptureKind.DOCUMENT_FRONT in inputs.captures:
        return load_image(runtime, inputs.captures[CaptureKind.DOCUMENT_FRONT])
    document = load_check_record(runtime, inputs.enrollment_id, CheckName.DOCUMENT)
    if not isinstance(document, DocumentRecord):
        raise LookupError(f"enrollment {inputs.enrollment_id}: the face match ran before the document check")
    if document.error is not None:  # the document video could not be decoded: the same reason here
        raise _Unusable(document.reasons[0], document.error)
    if document.portrait_frame is None:
        raise _Unusable(NO_PORTRAIT, "no frame of the document video shows the portrait")
    return load_stored_image(runtime, document_frame_key(inputs.enrollment_id))
