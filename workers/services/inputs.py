"""Loading an enrollment's captures from the evidence store for the checks."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from biometrics.video import VideoClip, read_video
from storage.enrollments.models import Capture
from storage.enrollments.repositories import Captures, Challenges, Enrollments
from storage.runtime import Runtime
from verification.enrollment.lifecycle import CaptureKind

T = TypeVar("T")


@dataclass(frozen=True)
class CaptureRef:
    kind: str
    object_key: str
    content_type: str
    challenge_actions: tuple[str, ...] | None


@dataclass(frozen=True)
class EnrollmentInputs:
    enrollment_id: str
    policy_name: str
    captures: dict[str, CaptureRef]
    ins_traits: dict[str, Any] | None
    relying_party_id: str
    document_tilt: str


def load_inputs(runtime: Runtime, enrollment_id: str) -> EnrollmentInputs:
    with runtime.database.session() as session:
        enrollment = Enrollments(session).get(enrollment_id)
        if enrollment is None:
            raise LookupError(f"enrollment {enrollment_id} not found")
        refs = {c.kind: _ref(session, c) for c in Captures(session).of_enrollment(enrollment_id)}
        return EnrollmentInputs(enrollment.id, enrollment.policy_name, refs, enrollment.ins_traits,
                                enrollment.relying_party_id, enrollment.document_tilt)


def _ref(session: Session, capture: Capture) -> CaptureRef:
    actions = None
    if capture.challenge_id:
        challenge = Challenges(session).get(capture.challenge_id)
        actions = tuple(challenge.actions) if challenge else None
    return CaptureRef(capture.kind, capture.object_key, capture.content_type, actions)


def load_image(runtime: Runtime, capture: CaptureRef) -> npt.NDArray[np.uint8]:
    return load_stored_image(runtime, capture.object_key)


def load_stored_image(runtime: Runtime, key: str) -> npt.NDArray[np.uint8]:
    """Decode to BGR; uploads were validated and a step's images were encoded by this code, so a failure here
    is a corrupted store."""
    data = np.frombuffer(runtime.evidence.read_bytes(key), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"stored image {key} cannot be decoded")
    return image.astype(np.uint8, copy=False)


@contextmanager
def local_copy(runtime: Runtime, capture: CaptureRef) -> Iterator[Path]:
    """Video decoders need a file: stream the object into a private temporary file, removed afterwards."""
    suffix = Path(capture.object_key).suffix
    with tempfile.NamedTemporaryFile(prefix="idv-", suffix=suffix) as handle:
        for chunk in runtime.evidence.read(capture.object_key):
            handle.write(chunk)
        handle.flush()
        yield Path(handle.name)


DOCUMENT_IMAGES = (CaptureKind.DOCUMENT_FRONT, CaptureKind.DOCUMENT_BACK)


def document_images(runtime: Runtime, inputs: EnrollmentInputs) -> list[npt.NDArray[np.uint8]]:
    return [load_image(runtime, inputs.captures[kind]) for kind in DOCUMENT_IMAGES if kind in inputs.captures]


def load_video(runtime: Runtime, capture: CaptureRef, **decoding: Any) -> VideoClip:
    """Decode a stored video (VideoDecodeError when it is not usable)."""
    return on_video(runtime, capture, read_video, **decoding)


def on_video(runtime: Runtime, capture: CaptureRef, decode: Callable[..., T], **decoding: Any) -> T:
    """`decode(path, max_seconds=..., **decoding)` on a local copy of a stored video: read_video, or a
    check that decodes as it goes, under the deployment's length limit."""
    with local_copy(runtime, capture) as path:
        return decode(path, max_seconds=runtime.settings.max_video_seconds, **decoding)


def swap_channels(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """OpenCV's BGR as the face models' RGB, or back (the swap is its own inverse)."""
    return np.ascontiguousarray(image[..., ::-1])
