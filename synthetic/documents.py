"""Specimen-like identity documents: a passport data page or an ID card, one side, at about 250-300 dpi.

Light guilloche background, portrait on the left (and optionally a ghost portrait), the visual zone in
DejaVu Sans, the MRZ in OCR-B at the ICAO pitch in a clear band at the bottom. The MRZ box is returned so
tests and evaluations know exactly where the zone lies, also after camera effects.
"""

from __future__ import annotations

import functools
import subprocess
from dataclasses import dataclass
from datetime import date
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from synthetic.camera import CameraEffects, photograph
from synthetic.identities import DocumentKind, SyntheticPerson
from synthetic.mrz import compose_mrz

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in image pixels


@dataclass(frozen=True)
class RenderedDocument:
    image: npt.NDArray[np.uint8]  # BGR uint8
    mrz_lines: tuple[str, ...]
    portrait_box: Box
    mrz_box: Box
    document_quad: npt.NDArray[np.float32]  # 4 x 2 float32 corners (tl, tr, br, bl) of the document in `image`


@dataclass(frozen=True)
class _Layout:
    size_mm: tuple[float, float]
    px_per_mm: float
    title: str
    subtitle: str
    portrait_mm: tuple[float, float, float, float]  # x, y, width, height
    tint: tuple[int, int, int]  # BGR base colour of the background


# ID-1 cards (85.6 x 54 mm) at ~297 dpi give ~1000 x 630 px; the TD3 page (125 x 88 mm) at 254 dpi 1250 x 880.
_LAYOUTS: dict[DocumentKind, _Layout] = {
    DocumentKind.TD3_PASSPORT: _Layout((125, 88), 10.0, "RÉPUBLIQUE FRANÇAISE", "PASSEPORT / PASSPORT",
                                       (6, 16, 35, 45), (228, 215, 238)),
    DocumentKind.TD1_ID_CARD: _Layout((85.6, 54), 11.7, "RÉPUBLIQUE FRANÇAISE", "CARTE NATIONALE D'IDENTITÉ",
                                      (3.5, 9.5, 21, 27), (236, 226, 214)),
    DocumentKind.TD1_RESIDENCE_PERMIT: _Layout((85.6, 54), 11.7, "RÉPUBLIQUE FRANÇAISE", "TITRE DE SÉJOUR",
                                               (3.5, 9.5, 21, 27), (218, 236, 222)),
    DocumentKind.FR_ID_1988: _Layout((85.6, 54), 11.7, "RÉPUBLIQUE FRANÇAISE", "CARTE NATIONALE D'IDENTITÉ",
                                     (3.5, 9.5, 22, 28), (226, 220, 240)),
}
_MRZ_PITCH_MM = 2.54  # ICAO 9303: 10 characters per inch
_MRZ_LINE_SPACING = 1.65  # line pitch / character height
_MONTHS = ("JAN/JAN", "FÉV/FEB", "MARS/MAR", "AVR/APR", "MAI/MAY", "JUIN/JUN", "JUIL/JUL", "AOÛT/AUG",
           "SEPT/SEP", "OCT/OCT", "NOV/NOV", "DÉC/DEC")
_INK = (40, 30, 30)  # RGB, the dark blue-grey of printed visual-zone text
_MRZ_INK = (18, 18, 22)


def render_document(kind: DocumentKind, person: SyntheticPerson, portrait: npt.NDArray[np.uint8], *,
                    rng: np.random.Generator, mrz_lines: tuple[str, ...] | None = None,
                    camera: CameraEffects | None = None, ghost: bool = True) -> RenderedDocument:
    """Render `person`'s document of `kind` with `portrait` (BGR). `mrz_lines` overrides the composed
    (valid) MRZ, e.g. with `break_mrz`'s output; `camera` photographs the result on a desk."""
    layout = _LAYOUTS[kind]
    lines = mrz_lines if mrz_lines is not None else compose_mrz(person)
    width, height = (round(v * layout.px_per_mm) for v in layout.size_mm)
    page = guilloche((width, height), layout.tint, rng)
    mm = layout.px_per_mm
    px, py, pw, ph = (round(v * mm) for v in layout.portrait_mm)
    page[py:py + ph, px:px + pw] = cv2.resize(portrait, (pw, ph), interpolation=cv2.INTER_AREA)
    portrait_box: Box = (px, py, px + pw, py + ph)

    canvas = Image.fromarray(cv2.cvtColor(page, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(canvas)
    mrz_box = _draw_mrz(draw, lines, width, height, mm)
    if ghost and kind is not DocumentKind.FR_ID_1988:
        _paste_ghost(canvas, portrait, (width - round(17 * mm), mrz_box[1] - round(22 * mm)), round(14 * mm))
    _draw_header(draw, layout, width, mm)
    ghost_w = round(14 * mm) if ghost and kind is not DocumentKind.FR_ID_1988 else 0
    _draw_fields(draw, _fields(kind, person), x0=px + pw + round(4 * mm), y0=py,
                 x1=width - ghost_w - round(4 * mm), y1=mrz_box[1] - round(1.5 * mm))
    # cast: OpenCV's stubs type its results as any numeric array; 8-bit images stay 8-bit.
    image = cast(npt.NDArray[np.uint8], cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGB2BGR))
    quad = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    if camera is None:
        return RenderedDocument(image, lines, portrait_box, mrz_box, quad)
    photo, homography = photograph(image, camera, rng)
    return RenderedDocument(photo, lines, _map_box(portrait_box, homography), _map_box(mrz_box, homography),
                            cv2.perspectiveTransform(quad[None], homography)[0])


def guilloche(size: tuple[int, int], tint: tuple[int, int, int], rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """A pale security-print background: interfering wavy line families and a rosette."""
    width, height = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, size=3).astype(np.float32)
    waves = np.sin(xs * 0.045 + 6 * np.sin(ys * 0.011 + phase[0]))
    waves2 = np.sin(ys * 0.05 + 5 * np.sin(xs * 0.008 + phase[1]))
    cx, cy = width * rng.uniform(0.55, 0.8), height * rng.uniform(0.3, 0.5)
    radius = np.hypot(xs - cx, ys - cy)
    theta = np.arctan2(ys - cy, xs - cx)
    rosette = np.sin(radius * 0.09 + 2.5 * np.sin(12 * theta + phase[2]))
    lines = (np.abs(waves) < 0.12).astype(np.float32) * 0.5 + (np.abs(waves2) < 0.1) * 0.4
    lines += (np.abs(rosette) < 0.15) * np.clip(1.2 - radius / (0.6 * height), 0, 1)
    base = np.array(tint, np.float32)
    line_colour = base * 0.82
    blend = np.clip(lines, 0, 1)[..., None] * 0.55
    page = base * (1 - blend) + line_colour * blend
    pattern: npt.NDArray[np.uint8] = page.astype(np.uint8)
    return pattern


def mrz_font_path() -> str:
    # fonts-ocr-b's "Sharp" cut of OCR-B: plain tesseract misreads the regular cut's fillers and I/1, G/6
    # about three times as often (measured on 12 clean MRZs: 58 vs 19 character errors).
    return _font_path("OCR B:style=Sharp", "OCR B")


def _draw_mrz(draw: ImageDraw.ImageDraw, lines: tuple[str, ...], width: int, height: int, mm: float) -> Box:
    """The MRZ in OCR-B on a clear band, one glyph per fixed pitch; returns the band's box."""
    chars = len(lines[0])
    pitch = min(_MRZ_PITCH_MM * mm, (width - 8 * mm) / chars)
    font = _font(mrz_font_path(), round(pitch / _advance_ratio(mrz_font_path())))
    char_height = font.getbbox("A")[3] - font.getbbox("A")[1]
    line_pitch = char_height * _MRZ_LINE_SPACING
    band_h = round(line_pitch * len(lines) + 3 * mm)
    top = height - band_h
    draw.rectangle((0, top, width, height), fill=(246, 244, 240))
    x0 = (width - pitch * chars) / 2
    ascent = font.getbbox("A")[1]
    for row, line in enumerate(lines):
        y = top + 1.5 * mm + row * line_pitch + (line_pitch - char_height) / 2 - ascent
        for col, char in enumerate(line):
            draw.text((x0 + col * pitch, y), char, font=font, fill=_MRZ_INK)
    return 0, top, width, height


def _draw_header(draw: ImageDraw.ImageDraw, layout: _Layout, width: int, mm: float) -> None:
    bold = _font(_font_path("DejaVu Sans:bold", "DejaVu Sans"), round(3.2 * mm))
    regular = _font(_font_path("DejaVu Sans", "DejaVu Sans"), round(2.4 * mm))
    draw.text((width / 2, 1.5 * mm), layout.title, font=bold, fill=(70, 40, 40), anchor="ma")
    draw.text((width / 2, 5.4 * mm), layout.subtitle, font=regular, fill=(70, 40, 40), anchor="ma")


def _fields(kind: DocumentKind, person: SyntheticPerson) -> list[list[tuple[str, str]]]:
    """Rows of (label, value) pairs of the visual zone."""
    on_card = kind is not DocumentKind.TD3_PASSPORT
    dated = _card_date if on_card else _passport_date
    rows = [
        [("Nom / Surname", person.surname.upper())],
        [("Prénoms / Given names", ", ".join(person.given_names))],
        [("Sexe / Sex", person.sex.value), ("Nationalité / Nationality", person.nationality.replace("<", ""))],
        [("Date de naissance / Date of birth", dated(person.birth_date)),
         ("Lieu de naissance / Place of birth", person.birth_place)],
        [("N° du document / Document No", person.document_number),
         ("Date d'expiration / Date of expiry", dated(person.expiry_date))],
    ]
    if not on_card:
        rows.insert(4, [("Date de délivrance / Date of issue", dated(person.issue_date)),
                        ("Autorité / Authority", "Préfecture")])
    return rows


def _draw_fields(draw: ImageDraw.ImageDraw, rows: list[list[tuple[str, str]]], *, x0: int, y0: int,
                 x1: int, y1: int) -> None:
    row_h = (y1 - y0) / len(rows)
    regular, bold = _font_path("DejaVu Sans", "DejaVu Sans"), _font_path("DejaVu Sans:bold", "DejaVu Sans")
    column_w = (x1 - x0) / 2
    for index, row in enumerate(rows):
        y = y0 + index * row_h
        cell_w = (x1 - x0) / len(row) - column_w * 0.06
        for column, (label, value) in enumerate(row):
            x = x0 + column * column_w
            draw.text((x, y), label, font=_fitted(regular, round(row_h * 0.22), label, cell_w), fill=(110, 90, 90))
            draw.text((x, y + row_h * 0.3), value, font=_fitted(bold, round(row_h * 0.36), value, cell_w), fill=_INK)


def _fitted(path: str, size: int, text: str, width: float) -> ImageFont.FreeTypeFont:
    """The font at `size`, or smaller so that `text` fits in `width` pixels."""
    natural = _font(path, size).getlength(text)
    return _font(path, size if natural <= width else max(8, int(size * width / natural)))


def _paste_ghost(canvas: Image.Image, portrait: npt.NDArray[np.uint8], origin: tuple[int, int], width: int) -> None:
    """A faint grey copy of the portrait, as printed by issuers to deter photo substitution."""
    height = round(width * portrait.shape[0] / portrait.shape[1])
    grey = cv2.cvtColor(cv2.resize(portrait, (width, height), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    x, y = origin
    region = np.asarray(canvas.crop((x, y, x + width, y + height)), np.float32)
    ghost = region * 0.7 + grey[..., None].astype(np.float32) * 0.3
    canvas.paste(Image.fromarray(ghost.astype(np.uint8)), (x, y))


def _card_date(day: date) -> str:
    return f"{day:%d %m %Y}"


def _passport_date(day: date) -> str:
    return f"{day:%d} {_MONTHS[day.month - 1]} {day:%Y}"


def _map_box(box: Box, homography: npt.NDArray[np.float64]) -> Box:
    x0, y0, x1, y1 = box
    corners = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], dtype=np.float32)
    mapped = cv2.perspectiveTransform(corners, homography)[0]
    return (int(np.floor(mapped[:, 0].min())), int(np.floor(mapped[:, 1].min())),
            int(np.ceil(mapped[:, 0].max())), int(np.ceil(mapped[:, 1].max())))


@functools.cache
def _font_path(pattern: str, family: str) -> str:
    """The font file fontconfig resolves `pattern` to; an error if it falls back to another family."""
    found = subprocess.run(["fc-match", "-f", "%{family}\t%{file}", pattern], capture_output=True, text=True,
                           check=True).stdout
    families, path = found.split("\t")
    if family not in families.split(","):
        raise FileNotFoundError(f"font {family!r} is not installed (fontconfig offered {families!r})")
    return path


@functools.cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@functools.cache
def _advance_ratio(path: str) -> float:
    """Advance width of a glyph per point of font size (OCR-B is monospaced)."""
    return _font(path, 100).getlength("0") / 100


def bare_card(portrait: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """A plain ID-1 card at ~12 px/mm with only a portrait on the left and a small grey ghost image of it
    on the right: the least a face matcher must handle (any channel order; the ghost is grey)."""
    card = np.full((650, 1030, 3), 225, dtype=np.uint8)
    card[130:530, 40:350] = cv2.resize(portrait, (310, 400), interpolation=cv2.INTER_AREA)
    ghost = cv2.cvtColor(cv2.resize(portrait, (100, 130), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    card[420:550, 880:980] = ghost[:, :, None]
    return card
