"""Where an enrollment's objects live in the evidence store. This module alone spells object keys.

Working copies (captures as uploaded, images the checks derive) sit under `enrollments/<id>/` until the
erasure at term; the sealed, encrypted dossier sits under `dossiers/<id>/`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

WORKING_ROOT = "enrollments"
DOSSIER_ROOT = "dossiers"
DERIVED_SUFFIX = ".jpg"


class DerivedKind(StrEnum):
    """The images a check derives from the captures and keeps as evidence."""

    PORTRAIT = "portrait"  # the document portrait, cropped
    SELFIE_FRAME = "selfie-frame"  # a selfie frame the face match used, ranked


@dataclass(frozen=True)
class DerivedImage:
    kind: DerivedKind
    rank: int | None = None  # selfie frames only

    @property
    def name(self) -> str:
        return self.kind.value if self.rank is None else f"{self.kind.value}-{self.rank}"

    @classmethod
    def parse(cls, name: str) -> DerivedImage | None:
        """The derived image a name stands for; None for any other name."""
        match = _DERIVED_NAME.fullmatch(name)
        if match is None:
            return None
        kind, rank = DerivedKind(match.group("kind")), match.group("rank")
        if (rank is None) != (kind is DerivedKind.PORTRAIT):
            return None  # selfie frames carry a rank, the portrait none
        return cls(kind, None if rank is None else int(rank))


_DERIVED_NAME = re.compile(r"(?P<kind>portrait|selfie-frame)(?:-(?P<rank>\d{1,3}))?")


def working_prefix(enrollment_id: str) -> str:
    return f"{WORKING_ROOT}/{enrollment_id}"


def capture_key(enrollment_id: str, kind: str, capture_id: str, extension: str) -> str:
    return f"{working_prefix(enrollment_id)}/captures/{kind}-{capture_id}.{extension}"


def derived_prefix(enrollment_id: str) -> str:
    return f"{working_prefix(enrollment_id)}/derived/"


def derived_key(enrollment_id: str, image: DerivedImage) -> str:
    return f"{derived_prefix(enrollment_id)}{image.name}{DERIVED_SUFFIX}"


def derived_images(enrollment_id: str, keys: Iterable[str]) -> dict[DerivedImage, str]:
    """The derived images among an enrollment's stored keys, each with its key."""
    prefix = derived_prefix(enrollment_id)
    found: dict[DerivedImage, str] = {}
    for key in keys:
        name = key.removeprefix(prefix).removesuffix(DERIVED_SUFFIX)
        if key.startswith(prefix) and key.endswith(DERIVED_SUFFIX) and (image := DerivedImage.parse(name)):
            found[image] = key
    return found


def document_frame_key(enrollment_id: str) -> str:
    """The document video's frame that shows the portrait: the document check keeps it (lossless) for the face
    match, which compares it pixel for pixel as decoded. A working copy, not sealed: the video it comes from is."""
    return f"{working_prefix(enrollment_id)}/frames/document-portrait.png"


def dossier_prefix(enrollment_id: str) -> str:
    return f"{DOSSIER_ROOT}/{enrollment_id}"
