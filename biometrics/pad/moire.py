"""Screen moiré: a screen filmed by a camera overlays the face with periodic patterns (the pixel grid
beating against the sensor grid), which show as isolated peaks in the face region's spectrum.

The score is the strongest spectral peak in the mid-to-high frequency band relative to the median
magnitude at the same frequency radius (a natural face's spectrum falls smoothly with frequency and has
no isolated peaks), on the mean of those ratio maps over a few frames: the screen's grid stays at the
same frequency from frame to frame and adds up, the face's own texture peaks do not. The band reaches
the Nyquist frequency, where a pixel grid aliased by the camera lands (measured on generated replays:
their peaks sat at 0.45-0.5 cycles per pixel). A WEAK signal: a screen far enough from the
lens, a high-density display, defocus or video compression removes the pattern; a patterned scarf or
wallpaper behind the face can raise it. It is reported so a reviewer sees it, with its own threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from biometrics.pad.base import PadInput, PadReason, PadScore, face_box

SIZE = 128
BAND = (0.12, 0.5)  # radial frequency band, cycles per pixel of the 128 px face crop


@dataclass(frozen=True)
class MoireSignal:
    max_peak_ratio: float  # above: a periodic pattern over the face (screen suspected)
    sample_frames: int = 5
    name: str = "screen_moire"

    def measure(self, data: PadInput) -> PadScore:
        with_face = [i for i, lm in enumerate(data.landmarks) if lm is not None]
        if not with_face:
            return PadScore(self.name, None, self.max_peak_ratio, False, None, "no face")
        picks = [with_face[int(k)] for k in np.linspace(0, len(with_face) - 1, min(self.sample_frames, len(with_face)))]
        maps = []
        for i in picks:
            frame, landmarks = data.clip.frames[i], data.landmarks[i]
            if landmarks is None:
                continue
            x0, y0, x1, y1 = face_box(landmarks, frame.shape)
            if x1 - x0 < 16 or y1 - y0 < 16:
                continue
            # cast: OpenCV's stubs type its results as any numeric array; this one stays 8-bit.
            grey = cast(npt.NDArray[np.uint8], cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY))
            maps.append(peak_ratio_map(grey))
        if not maps:
            return PadScore(self.name, None, self.max_peak_ratio, False, None, "face too small")
        _, in_band = _rings()
        score = float(np.mean(maps, axis=0)[in_band].max())
        attack = score > self.max_peak_ratio
        return PadScore(self.name, score, self.max_peak_ratio, attack,
                        PadReason.SCREEN_MOIRE if attack else None, f"mean over {len(maps)} frames")


def spectral_peak_ratio(gray: npt.NDArray[np.uint8]) -> float:
    """Largest |FFT| in the band divided by the median |FFT| at its radius, on one face crop."""
    _, in_band = _rings()
    return float(peak_ratio_map(gray)[in_band].max())


def peak_ratio_map(gray: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """|FFT| of the Hann-windowed 128 px crop divided by the median |FFT| at the same radius, in the band
    (0 elsewhere)."""
    crop = cv2.resize(gray, (SIZE, SIZE), interpolation=cv2.INTER_AREA).astype(np.float64)
    crop = (crop - crop.mean()) * _window()
    magnitude = np.abs(np.fft.fftshift(np.fft.fft2(crop)))
    radius_bin, in_band = _rings()
    ratios = np.zeros_like(magnitude)
    for ring in np.unique(radius_bin[in_band]):
        members = (radius_bin == ring) & in_band
        median = float(np.median(magnitude[radius_bin == ring]))
        if median > 0:
            ratios[members] = magnitude[members] / median
    return ratios


@cache
def _window() -> npt.NDArray[np.float64]:
    hann = np.hanning(SIZE)
    return np.outer(hann, hann)


@cache
def _rings() -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    freq = np.fft.fftshift(np.fft.fftfreq(SIZE))
    fy, fx = np.meshgrid(freq, freq, indexing="ij")
    radius = np.hypot(fx, fy)
    # Leave out the two axes: the crop's edges and straight hair or collar lines put energy there.
    off_axis = (np.abs(fx) > 1.5 / SIZE) & (np.abs(fy) > 1.5 / SIZE)
    in_band = (radius >= BAND[0]) & (radius <= BAND[1]) & off_axis
    return np.round(radius * SIZE).astype(int), in_band
