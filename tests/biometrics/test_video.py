from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from biometrics.video import VideoDecodeError, VideoDecodeReason, read_video
from tests.biometrics.liveness_factories import write_video


def _frames(count: int, width: int = 160, height: int = 120) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(count)]


@pytest.fixture
def two_second_video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.mp4", _frames(40), fps=20)


def test_reads_frames_timestamps_and_source_properties(two_second_video: Path) -> None:
    clip = read_video(two_second_video, max_fps=30)
    assert len(clip.frames) == 40
    assert (clip.width, clip.height, clip.source_fps) == (160, 120, 20)
    assert clip.frames[0].shape == (120, 160, 3) and clip.frames[0].dtype == np.uint8
    assert np.allclose(np.diff(clip.timestamps), 0.05, atol=1e-3)
    assert clip.duration_s == pytest.approx(39 * 0.05, abs=1e-3)


def test_subsamples_to_max_fps_but_keeps_every_timestamp(two_second_video: Path) -> None:
    clip = read_video(two_second_video, max_fps=10)
    assert len(clip.frames) == 20
    assert np.allclose(np.diff(clip.timestamps), 0.1, atol=1e-3)
    assert len(clip.decoded_timestamps) == 40


def test_downscales_for_tracking(two_second_video: Path) -> None:
    clip = read_video(two_second_video, tracking_side=80)
    assert clip.frames[0].shape[:2] == (60, 80)
    assert clip.scale == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", {VideoDecodeReason.UNREADABLE, VideoDecodeReason.NO_FRAMES}),
     (b"\x00\x01not a video at all" * 100, {VideoDecodeReason.UNREADABLE, VideoDecodeReason.NO_FRAMES})],
)
def test_garbage_is_a_typed_error(tmp_path: Path, content: bytes, expected: set[VideoDecodeReason]) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoDecodeError) as error:
        read_video(path)
    assert error.value.reason in expected


def test_truncated_video_never_crashes(two_second_video: Path, tmp_path: Path) -> None:
    data = two_second_video.read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    try:
        clip = read_video(truncated)
    except VideoDecodeError as error:
        assert error.reason in set(VideoDecodeReason)
    else:
        assert 0 < len(clip.frames) <= 40


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(VideoDecodeError) as error:
        read_video(tmp_path / "absent.mp4")
    assert error.value.reason is VideoDecodeReason.NOT_FOUND


def test_too_large_is_refused_before_decoding(two_second_video: Path) -> None:
    with pytest.raises(VideoDecodeError) as error:
        read_video(two_second_video, max_pixels=160 * 120 - 1)
    assert error.value.reason is VideoDecodeReason.TOO_LARGE


def test_too_long_is_refused(two_second_video: Path) -> None:
    with pytest.raises(VideoDecodeError) as error:
        read_video(two_second_video, max_seconds=1.0)
    assert error.value.reason is VideoDecodeReason.TOO_LONG
