"""Applicants for end-to-end runs: a generated person, their photographed document and selfie videos.

Ties the generators together for the demo and the end-to-end tests: one portrait per person (a real face
from the shared data, or the bundled fallback), a document carrying it, a selfie video answering whatever
challenge the API issued, and the attacks that must not pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cv2
import numpy as np

from biometrics.challenge import Action
from synthetic.attacks import AttackType, render_attack
from synthetic.camera import CameraEffects
from synthetic.document_video import document_video
from synthetic.documents import render_document
from synthetic.identities import DocumentKind, SyntheticPerson, random_person
from synthetic.mrz import Defect, break_mrz, compose_mrz
from synthetic.portraits import Portrait, load_portrait
from synthetic.selfie import SelfieVideo, render_selfie_video

JPEG_QUALITY = 92


@dataclass(frozen=True)
class Applicant:
    person: SyntheticPerson
    portrait: Portrait


def make_applicant(rng: np.random.Generator, kind: DocumentKind = DocumentKind.TD3_PASSPORT, *,
                   other_than: Applicant | None = None, today: date | None = None) -> Applicant:
    """A random person of `kind`, with a portrait of another identity than `other_than`'s when possible."""
    exclude = other_than.portrait.identity if other_than is not None else None
    return Applicant(random_person(rng, kind, today), load_portrait(rng, exclude_identity=exclude))


def document_photo(applicant: Applicant, rng: np.random.Generator, *, defect: Defect | None = None) -> bytes:
    """A JPEG of the applicant's document photographed on a desk; `defect` breaks one MRZ check."""
    lines = compose_mrz(applicant.person)
    if defect is not None:
        lines = break_mrz(lines, defect)
    document = render_document(applicant.person.document_kind, applicant.person, applicant.portrait.image,
                               rng=rng, mrz_lines=lines, camera=CameraEffects.mild())
    ok, encoded = cv2.imencode(".jpg", document.image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return encoded.tobytes()


def document_film(applicant: Applicant, tilt: str, path: Path, rng: np.random.Generator) -> Path:
    """A video of the applicant's document held, tilted as `tilt` asks, held again."""
    card = render_document(applicant.person.document_kind, applicant.person, applicant.portrait.image, rng=rng)
    return document_video(card.image, tilt, path)


def selfie_video(applicant: Applicant, actions: tuple[Action, ...], path: Path, rng: np.random.Generator, *,
                 attack: AttackType | None = None, other: Applicant | None = None) -> SelfieVideo:
    """The applicant answering `actions` (a bona fide 3D head), or the attack `attack` against them."""
    face = applicant.portrait.image
    if attack is None:
        return render_selfie_video(face, actions, path, rng=rng)
    second = (other or applicant).portrait.image
    return render_attack(attack, face, actions, path, other=second, rng=rng)
